import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { wsgate } from '../src/index.js';
import { listen } from './helpers.js';

afterEach(() => vi.unstubAllEnvs());

describe("a refused upgrade shows in Fastify's own log (issue 20)", () => {
  it('logger: true at its default level (info) shows the 403 once, with the option to change and no token', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    const lines: Array<{ level: number; msg: string; status?: number; url?: string }> = [];
    // Fastify's `logger: true` is pino at level info; a stream only captures what it writes.
    const app = Fastify({ logger: { stream: { write: (l: string) => void lines.push(JSON.parse(l)) } } });
    await app.register(wsgate);
    app.ws('/echo', (session) => session.on('message', (m) => session.send(m)));
    try {
      const { url } = await listen(app);
      const a = await rawRequest(`${url}/echo?token=F4ST-T0K3N`, {
        headers: { Origin: 'https://elsewhere.example' },
      });
      expect(a.status).toBe(403);
      const refused = lines.filter((l) => l.msg.startsWith('wsgate: upgrade refused'));
      expect(refused).toHaveLength(1);
      expect(refused[0]!.level).toBe(30);
      expect(refused[0]!.msg).toMatch(
        /403 Origin https:\/\/elsewhere\.example is not allowed; set the origins option/,
      );
      expect(refused[0]!.url).toBe('/echo?token=[redacted]');
      expect(JSON.stringify(lines)).not.toContain('F4ST-T0K3N');
    } finally {
      await app.close();
    }
  });
});
