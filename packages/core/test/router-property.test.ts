// The properties live with the fuzz suite (test/fuzz), which `pnpm test:fuzz` runs with many more cases;
// here they run with the small default (WSGATE_FUZZ_RUNS) as part of every test run.
import { routerProperties } from '../../../test/fuzz/router-properties.ts';

routerProperties();
