import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemAvailable } from './system.ts';

describe('systemAvailable', () => {
  const saved = process.env.WSGATE_REQUIRE_ALL;
  afterEach(() => {
    if (saved === undefined) delete process.env.WSGATE_REQUIRE_ALL;
    else process.env.WSGATE_REQUIRE_ALL = saved;
    vi.restoreAllMocks();
  });

  it('runs the suite when the component is there', () => {
    process.env.WSGATE_REQUIRE_ALL = '1';
    expect(systemAvailable('x suite', undefined)).toBe(true);
  });

  it('skips with a printed reason when it is missing', () => {
    delete process.env.WSGATE_REQUIRE_ALL;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(systemAvailable('x suite', 'x is not installed')).toBe(false);
    expect(warn).toHaveBeenCalledWith('[wsgate] skipping x suite: x is not installed');
  });

  it('fails instead under WSGATE_REQUIRE_ALL=1', () => {
    process.env.WSGATE_REQUIRE_ALL = '1';
    expect(() => systemAvailable('x suite', 'x is not installed')).toThrow(/x is not installed.*REQUIRE_ALL/);
  });
});
