import { consoleLogger, type Logger } from '@wsgate/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rawRequest } from '../support/raw.ts';
import type { ConformanceTarget } from './target.ts';

const echo = { path: '/echo', handler: (s: any) => s.on('message', (m: string | Buffer) => s.send(m)) };

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps wsgate's refusal lines (a Fastify target also streams its own lines to info). */
function capture(): { logger: Logger; refusals: () => Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  return {
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    refusals: () => lines.filter((l) => l.msg.startsWith('wsgate: upgrade refused')),
  };
}

/**
 * Issue 20: a refused upgrade is seen where a developer looks, once, through the logger in use, with the
 * reason that names the option to change; and it stays quiet (debug) in production.
 */
export function refusalLogSuite(target: ConformanceTarget): void {
  describe(`${target.name}: refused upgrades are logged`, () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.restoreAllMocks();
    });

    it('in development each refusal is logged once at info, naming the option to change; no token', async () => {
      vi.stubEnv('NODE_ENV', 'development');
      const { logger, refusals } = capture();
      const t = await target.start({ logger }, [echo]);
      try {
        const port = new URL(t.url).port;
        const q = '?token=S3CR3T-L0G-T0KEN';
        const cases = [
          [{ Origin: 'https://elsewhere.example' }, 403, /set the origins option/],
          [{ Host: `rebind.example:${port}` }, 403, /set the allowedHosts option/],
          // The page on localhost opening ws://127.0.0.1: same machine, two names.
          [
            { Origin: `http://localhost:${port}` },
            403,
            new RegExp(
              `open ws://localhost:${port} from the page, or add 'http://localhost:${port}' to origins`,
            ),
          ],
          [{ 'Sec-WebSocket-Version': '12' }, 426, /./],
        ] as const;
        for (const [headers, status, reason] of cases) {
          const before = refusals().length;
          const a = await rawRequest(`${t.url}/echo${q}`, { headers });
          expect(a.status).toBe(status);
          const mine = refusals().slice(before);
          expect(mine, JSON.stringify(headers)).toHaveLength(1);
          const line = mine[0]!;
          expect(line.level).toBe('info');
          expect(line.obj.status).toBe(status);
          expect(String(line.obj.reason)).toMatch(reason);
          expect(line.msg).toContain(String(line.obj.reason));
          expect(line.obj.url).toBe('/echo?token=[redacted]');
        }
        expect(JSON.stringify(refusals())).not.toContain('S3CR3T');
        expect(refusals()).toHaveLength(Object.values(t.gate.stats().rejected).reduce((a, b) => a + b, 0));
      } finally {
        await t.close();
      }
    });

    it('in production refusals go to debug; logRefusals: false silences them, the reject event still fires', async () => {
      vi.stubEnv('NODE_ENV', 'production');
      const quiet = capture();
      const t = await target.start({ logger: quiet.logger }, [echo]);
      try {
        const a = await rawRequest(`${t.url}/echo`, { headers: { Origin: 'https://elsewhere.example' } });
        expect(a.status).toBe(403);
        expect(quiet.refusals().map((l) => l.level)).toEqual(['debug']);
      } finally {
        await t.close();
      }
      const off = capture();
      const u = await target.start({ logger: off.logger, logRefusals: false }, [echo]);
      const rejects: unknown[] = [];
      u.gate.on('reject', (info) => rejects.push(info));
      try {
        const a = await rawRequest(`${u.url}/echo`, { headers: { Origin: 'https://elsewhere.example' } });
        expect(a.status).toBe(403);
        expect(off.refusals()).toEqual([]);
        expect(rejects).toHaveLength(1);
      } finally {
        await u.close();
      }
    });

    it('with no logger option the default logger shows the refusal in development', async () => {
      vi.stubEnv('NODE_ENV', 'development');
      const info = vi.spyOn(console, 'info').mockImplementation(() => {});
      const t = await target.start({}, [echo]);
      try {
        const a = await rawRequest(`${t.url}/echo`, { headers: { Origin: 'https://elsewhere.example' } });
        expect(a.status).toBe(403);
        // Fastify's default is the app's own logger (packages/fastify/test/refusal-log.test.ts); the
        // others have none, so the console logger is in use.
        if (target.name === 'fastify') expect(t.gate.logger).not.toBe(consoleLogger);
        else {
          expect(t.gate.logger).toBe(consoleLogger);
          const lines = info.mock.calls.filter((c) => String(c[0]).startsWith('wsgate: upgrade refused'));
          expect(lines).toHaveLength(1);
          expect(String(lines[0]![0])).toMatch(
            /403 Origin https:\/\/elsewhere\.example is not allowed; set the origins option/,
          );
        }
      } finally {
        await t.close();
      }
    });
  });
}
