import type { StandardSchemaV1 } from './schema.js';

/** One issue as a short line: `invalid message: room: Too short` (the path dotted, keys only). */
export function describeIssue(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? [])
    .map((p) => String(typeof p === 'object' && p !== null ? p.key : p))
    .join('.');
  return path === '' ? `invalid message: ${issue.message}` : `invalid message: ${path}: ${issue.message}`;
}

/** A close reason may be at most 123 bytes of UTF-8 (RFC 6455 5.5): cut at a character boundary, with '…'. */
export function truncateReason(reason: string, limit = 123): string {
  if (Buffer.byteLength(reason) <= limit) return reason;
  const ellipsis = '…'; // 3 bytes
  let out = '';
  let bytes = 0;
  for (const ch of reason) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > limit - 3) break;
    out += ch;
    bytes += n;
  }
  return out + ellipsis;
}
