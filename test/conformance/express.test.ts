import { express4Target, express5Target } from '../targets/express.ts';
import { runConformance } from './suite.ts';

runConformance(express5Target);
runConformance(express4Target);
