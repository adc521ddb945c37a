// Every package loads with import and exposes its entry points.
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
  check(import.meta.resolve(`@wsgate/${name}`).endsWith('/dist/esm/index.js'), `@wsgate/${name} ESM build`);
}
console.log('ok load-all esm');
