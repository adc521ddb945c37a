import { routerProperties } from './router-properties.ts';

routerProperties();
