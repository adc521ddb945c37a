import { describe, expect, it } from 'vitest';
import { backoffDelay, closeDecision, parseRetryAfter, statusDecision } from '../src/backoff.ts';

describe('backoff', () => {
  it('doubles from minDelay up to maxDelay, jittered between half and all of it', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, {}, high))).toEqual([500, 1000, 2000, 4000]);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, {}, low))).toEqual([250, 500, 1000, 2000]);
    expect(backoffDelay(10, {}, high)).toBe(30_000);
    expect(backoffDelay(1_000, {}, high)).toBe(30_000); // no overflow to Infinity
    expect(backoffDelay(2, { minDelay: 100, maxDelay: 300 }, high)).toBe(300);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('reads the close-code table of docs/protocol.md section 7', () => {
    const reconnect = [1001, 1005, 1006, 1009, 1011, 1012, 1013, 1014, 3001, 3008, 3999];
    const stop = [1000, 1002, 1003, 1007, 1008, 3000, 3003, 4000, 4001, 4500, 4999];
    expect(reconnect.map(closeDecision)).toEqual(reconnect.map(() => 'reconnect'));
    expect(stop.map(closeDecision)).toEqual(stop.map(() => 'stop'));
  });

  it('comes back after 429 and 5xx, stops on the other statuses before the 101', () => {
    expect([429, 500, 502, 503].map(statusDecision)).toEqual([
      'reconnect',
      'reconnect',
      'reconnect',
      'reconnect',
    ]);
    expect([400, 401, 403, 404, 405, 426].map(statusDecision)).toEqual([
      'stop',
      'stop',
      'stop',
      'stop',
      'stop',
      'stop',
    ]);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter('0')).toBe(0);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
