import { fastifyTarget } from '../targets/fastify.ts';
import { runConformance } from './suite.ts';

runConformance(fastifyTarget, 'pipeline');
