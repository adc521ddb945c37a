import type { SendData } from './session.js';

/**
 * The size in bytes of a message about to be sent or published. Anything `ws` cannot send as one message
 * is a TypeError here, at the call that passed it: otherwise its size would be NaN and the backpressure
 * check would read it as over the limit and close the session with 1013.
 */
export function sizeOfSendData(data: SendData, what: string): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return data.byteLength;
  const got = data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data;
  throw new TypeError(`wsgate: ${what} takes a string, Buffer, ArrayBuffer or typed array, got ${got}`);
}
