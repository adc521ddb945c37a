import { afterEach, expect, test, vi } from 'vitest';
import { consoleLogger, debugEnabled } from '../src/logger.ts';

afterEach(() => vi.restoreAllMocks());

test.each([
  ['warn', 'wsgate: socket error', 'wsgate: socket error'],
  ['error', 'wsgate: onError threw', 'wsgate: onError threw'],
  ['warn', 'a message from an app', 'wsgate: a message from an app'],
  ['error', undefined, 'wsgate:'],
] as const)('consoleLogger.%s(%s) prints one wsgate prefix: %s', (level, msg, expected) => {
  const spy = vi.spyOn(console, level).mockImplementation(() => {});
  const obj = { session: 's1' };
  consoleLogger[level](obj, msg);
  expect(spy).toHaveBeenCalledTimes(1);
  expect(spy.mock.calls[0]).toEqual([expected, obj]);
});

test.each([
  ['wsgate', true],
  ['wsgate*', true],
  ['wsgate:*', true],
  ['express:*,wsgate', true],
  ['*', true],
  ['', false],
  [undefined, false],
  ['express:*', false],
  ['wsgatex', false],
] as const)('DEBUG=%s turns wsgate debug lines on: %s', (value, on) => {
  expect(debugEnabled(value)).toBe(on);
});
