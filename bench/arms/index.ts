/** The arms of the suite: which module starts each, how clients speak to it, and what it is. */
import type { Arm } from './common.ts';

export type ArmName =
  | 'raw'
  | 'raw2'
  | 'core'
  | 'express'
  | 'fastify'
  | 'koa'
  | 'fastify-websocket'
  | 'express-ws'
  | 'socketio';

export interface ArmInfo {
  name: ArmName;
  label: string;
  /** Where the version in the table comes from. */
  pkg: string;
  /** `sio`: engine.io/socket.io framing over the WebSocket (the load generator speaks it). */
  proto: 'ws' | 'sio';
  kind: 'reference' | 'noise' | 'wsgate' | 'peer';
  /** Has topics of its own (false: the naive Set + send loop stands in). */
  topics: boolean;
  load: () => Promise<{ start: () => Promise<Arm> }>;
}

export const ARMS: readonly ArmInfo[] = [
  {
    name: 'raw',
    label: 'raw ws',
    pkg: 'ws',
    proto: 'ws',
    kind: 'reference',
    topics: false,
    load: () => import('./raw.ts'),
  },
  {
    name: 'raw2',
    label: 'raw ws (noise arm)',
    pkg: 'ws',
    proto: 'ws',
    kind: 'noise',
    topics: false,
    load: () => import('./raw.ts'),
  },
  {
    name: 'core',
    label: 'wsgate core',
    pkg: '@wsgate/core',
    proto: 'ws',
    kind: 'wsgate',
    topics: true,
    load: () => import('./core.ts'),
  },
  {
    name: 'express',
    label: '@wsgate/express',
    pkg: 'express',
    proto: 'ws',
    kind: 'wsgate',
    topics: true,
    load: () => import('./express.ts'),
  },
  {
    name: 'fastify',
    label: '@wsgate/fastify',
    pkg: 'fastify',
    proto: 'ws',
    kind: 'wsgate',
    topics: true,
    load: () => import('./fastify.ts'),
  },
  {
    name: 'koa',
    label: '@wsgate/koa',
    pkg: 'koa',
    proto: 'ws',
    kind: 'wsgate',
    topics: true,
    load: () => import('./koa.ts'),
  },
  {
    name: 'fastify-websocket',
    label: '@fastify/websocket',
    pkg: '@fastify/websocket',
    proto: 'ws',
    kind: 'peer',
    topics: false,
    load: () => import('./fastify-websocket.ts'),
  },
  {
    name: 'express-ws',
    label: 'express-ws (ws 7)',
    pkg: 'express-ws',
    proto: 'ws',
    kind: 'peer',
    topics: false,
    load: () => import('./express-ws.ts'),
  },
  {
    name: 'socketio',
    label: 'socket.io',
    pkg: 'socket.io',
    proto: 'sio',
    kind: 'peer',
    topics: true,
    load: () => import('./socketio.ts'),
  },
];

export function armInfo(name: string): ArmInfo {
  const info = ARMS.find((a) => a.name === name);
  if (!info) throw new Error(`unknown arm ${name}`);
  return info;
}
