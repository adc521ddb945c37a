import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { wsgate } from '../src/index.ts';

// Its own file: each test file gets fresh Express modules, so nothing else has touched these prototypes.
describe('router.ws lands on the app’s own Express copy only', () => {
  it('Express 5 first: its routers get ws, Express 4 routers do not, until an Express 4 app gets a gate', () => {
    const has = (router: object) => typeof (router as { ws?: unknown }).ws === 'function';
    expect(has(express5.Router())).toBe(false);
    expect(has(express4.Router())).toBe(false);

    const app5 = express5();
    wsgate(app5);
    expect(has(app5)).toBe(true);
    expect(has(express5.Router())).toBe(true);
    expect(has(express4.Router())).toBe(false);

    const app4 = express4();
    wsgate(app4);
    expect(has(express4.Router())).toBe(true);
    expect((express4.Router() as { ws?: unknown }).ws).not.toBe((express5.Router() as { ws?: unknown }).ws);
  });

  it('rejects something that is not an Express app', () => {
    expect(() => wsgate({} as never)).toThrow(/Express application/);
  });
});
