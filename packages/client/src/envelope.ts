/** What the application sends and receives: text, or bytes. */
export type Data = string | Uint8Array;

/** Bytes as base64 (btoa exists in browsers and Node alike). */
function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The `d` (and `b`) members of a frame: binary as base64 with `b:1`, anything else as JSON. */
export function payload(data: unknown): string {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const view =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return `"d":"${toBase64(view)}","b":1`;
  }
  const json = JSON.stringify(data === undefined ? null : data);
  if (json === undefined) throw new TypeError(`wsgate: ${typeof data} has no JSON representation`);
  return `"d":${json}`;
}

/** `d` of a received frame, decoded from base64 when `b` is 1. */
export function dataOf(frame: { d?: unknown; b?: unknown }): unknown {
  return frame.b === 1 && typeof frame.d === 'string'
    ? Uint8Array.from(atob(frame.d), (c) => c.charCodeAt(0))
    : frame.d;
}
