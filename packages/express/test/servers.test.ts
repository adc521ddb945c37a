import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMessage, openClient } from '../../../test/support/ws.ts';
import { wsgate } from '../src/index.ts';
import { majors, started } from './helpers.ts';

let dir = '';
let tls: { key: Buffer; cert: Buffer };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsgate-express-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.each(majors)('%s: servers', (_name, express) => {
  it('http.createServer(app) with gate.attach(server), attached twice: one pipeline, one answer', async () => {
    const app = express();
    const gate = wsgate(app);
    let runs = 0;
    app.use((_req, _res, next) => {
      runs++;
      next();
    });
    app.ws('/hello', (s) => s.send('hello'));
    const server = createServer(app);
    const detach = gate.attach(server);
    expect(gate.attach(server)).toBe(detach);
    expect(server.listenerCount('upgrade')).toBe(1);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const t = started(server, gate, 'http');
    try {
      const ws = await openClient(`${t.wsUrl}/hello`);
      expect(await nextMessage(ws)).toBe('hello');
      ws.close();
      expect(runs).toBe(1);
      // inject goes through the attached server, and so through Express, with no port.
      const injected = await gate.inject('/hello');
      injected.close();
      expect(runs).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('an https server: wss:// through the app, and the scheme is known to the Origin check', async () => {
    const app = express();
    const gate = wsgate(app);
    app.ws('/secure', (s, req) => s.sendJson({ secure: req.secure, protocol: req.protocol }));
    const server = createHttpsServer(tls, app);
    gate.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const t = started(server, gate, 'https');
    try {
      const host = new URL(t.url).host;
      const ws = await openClient(`${t.wsUrl}/secure`, { ca: tls.cert, origin: `https://${host}` });
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ secure: true, protocol: 'https' });
      ws.close();
      // Same host and port but another scheme is another origin.
      await expect(
        openClient(`${t.wsUrl}/secure`, { ca: tls.cert, origin: `http://${host}` }),
      ).rejects.toMatchObject({ status: 403 });
    } finally {
      await t.close();
    }
  });
});
