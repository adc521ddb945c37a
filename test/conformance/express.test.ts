import { express4Target, express5Target } from '../targets/express.ts';
import { runConformance } from './suite.ts';

// Core alone and Express 5 run the whole suite; the other targets run the pipeline tier (see Tier).
runConformance(express5Target);
runConformance(express4Target, 'pipeline');
