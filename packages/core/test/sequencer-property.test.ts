// The model-based property lives with the fuzz suite (test/fuzz), which `pnpm test:fuzz` runs with many
// more cases; here it runs with the small default (WSGATE_FUZZ_RUNS) as part of every test run.
import { sequencerProperties } from '../../../test/fuzz/sequencer-model.ts';

sequencerProperties();
