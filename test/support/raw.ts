import { connect } from 'node:net';

/** The answer a raw TCP client received to a hand-written request. */
export interface RawAnswer {
  /** e.g. `HTTP/1.1 404 Not Found` */
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The whole response text. */
  text: string;
  /** True once the server closed the connection. */
  closed: boolean;
}

/** A valid upgrade's headers; override or delete (value `null`) any of them. */
export function upgradeHeaders(
  host: string,
  extra: Record<string, string | null> = {},
): Record<string, string> {
  const base: Record<string, string | null> = {
    Host: host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== null) out[k] = v;
  return out;
}

/**
 * Sends a hand-written HTTP request over TCP and collects the response until the server closes the
 * connection (refusals must close it) or, for a 101, until the header block is complete.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string | null>;
    rawHead?: string;
    localAddress?: string;
  } = {},
): Promise<RawAnswer> {
  const u = new URL(url);
  const port = Number(u.port);
  const path = options.path ?? u.pathname + u.search;
  const head =
    options.rawHead ??
    `${options.method ?? 'GET'} ${path} HTTP/1.1\r\n${Object.entries(upgradeHeaders(u.host, options.headers))
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect({
      port,
      host: u.hostname,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    let data = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      const [headPart = '', ...rest] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = headPart.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({
        statusLine,
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: rest.join('\r\n\r\n'),
        text: data,
        closed,
      });
      if (!closed) socket.destroy();
    };
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.startsWith('HTTP/1.1 101') && data.includes('\r\n\r\n')) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err) => {
      if (data) finish(true);
      else if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}
