import { coreTarget } from '../targets/core.ts';
import { runConformance } from './suite.ts';

runConformance(coreTarget);
