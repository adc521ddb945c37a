/** One HTTP/1.1 response head, as the pipeline or ws wrote it to what it believes is a socket. */
export interface ResponseHead {
  status: number;
  /** Lower-case names; a repeated header (Set-Cookie) keeps every value. */
  headers: Record<string, string | string[]>;
  /** Whether the body is chunked (a framework's answer without Content-Length). */
  chunked: boolean;
}

/** A head larger than this is not something wsgate, ws or a framework's refusal writes: the stream is reset. */
export const MAX_HEAD = 64 * 1024;

/**
 * Reads the head of an HTTP/1.1 response from the bytes written so far. Returns undefined while the head is
 * incomplete, else the head and the bytes after it. Informational heads other than 101 (100, 103) are
 * returned too; the caller skips them.
 */
export function readHead(buf: Buffer): { head: ResponseHead; rest: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) {
    if (buf.length > MAX_HEAD) throw new RangeError('wsgate: HTTP/1.1 response head too large for HTTP/2');
    return undefined;
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!match) throw new SyntaxError('wsgate: not an HTTP/1.1 response');
  const headers: Record<string, string | string[]> = {};
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
    const known = headers[name];
    if (known === undefined) headers[name] = value;
    else if (Array.isArray(known)) known.push(value);
    else headers[name] = [known, value];
  }
  return { head: { status: Number(match[1]), headers, chunked }, rest: buf.subarray(end + 4) };
}

/**
 * Decodes a chunked body (RFC 9112 section 7.1) into its data, for HTTP/2's own framing. Node does not
 * chunk a response to a request whose `httpVersion` is 2.0 (it ends the body with the stream instead), so
 * this serves a framework that sets `Transfer-Encoding: chunked` itself. Trailers are dropped.
 */
export class ChunkedDecoder {
  #buf: Buffer = Buffer.alloc(0);
  /** Bytes left in the current chunk, -1 while a size line is expected, -2 once the last chunk was read. */
  #left = -1;

  /** Whether the terminating zero-size chunk has been read. */
  get done(): boolean {
    return this.#left === -2;
  }

  /** Feeds encoded bytes; returns the data they complete. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length > 0 && this.#left !== -2) {
      if (this.#left === -1) {
        const eol = this.#buf.indexOf('\r\n');
        if (eol === -1) {
          if (this.#buf.length > 1024) throw new SyntaxError('wsgate: bad chunk size line');
          break;
        }
        const size = Number.parseInt(this.#buf.subarray(0, eol).toString('latin1').split(';')[0] ?? '', 16);
        if (!Number.isFinite(size) || size < 0) throw new SyntaxError('wsgate: bad chunk size');
        this.#buf = this.#buf.subarray(eol + 2);
        this.#left = size === 0 ? -2 : size;
        continue;
      }
      // Data, then its CRLF.
      if (this.#buf.length < this.#left + 2) {
        const take = Math.min(this.#buf.length, this.#left);
        if (take > 0) out.push(this.#buf.subarray(0, take));
        this.#left -= take;
        this.#buf = this.#buf.subarray(take);
        if (this.#left === 0 && this.#buf.length >= 2) {
          this.#buf = this.#buf.subarray(2);
          this.#left = -1;
        }
        if (this.#left > 0 || this.#buf.length < 2) break;
        continue;
      }
      out.push(this.#buf.subarray(0, this.#left));
      this.#buf = this.#buf.subarray(this.#left + 2);
      this.#left = -1;
    }
    return out;
  }
}
