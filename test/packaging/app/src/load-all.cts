// Every package loads with require() and exposes its entry points (the frameworks are the peer
// dependencies npm installed next to them).
import * as core from '@wsgate/core';
import * as express from '@wsgate/express';
import fastifyPlugin, * as fastify from '@wsgate/fastify';
import * as koa from '@wsgate/koa';
import * as redis from '@wsgate/redis';
import { check } from './client.cjs';

check(typeof core.createGate === 'function', 'core.createGate');
check(typeof express.wsgate === 'function', 'express.wsgate');
check(
  typeof fastify.wsgate === 'function' && fastifyPlugin === fastify.wsgate,
  'fastify.wsgate and its default',
);
check(typeof koa.wsgate === 'function', 'koa.wsgate');
check(typeof redis.redisBroker === 'function', 'redis.redisBroker');
for (const name of ['core', 'express', 'fastify', 'koa', 'redis']) {
  check(require.resolve(`@wsgate/${name}`).endsWith('/dist/cjs/index.js'), `@wsgate/${name} CommonJS build`);
}
console.log('ok load-all cjs');
