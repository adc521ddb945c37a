import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie that carries the signed-in name. */
export const COOKIE = 'chat_name';

/**
 * The sign-in: the display name in a cookie signed with HMAC-SHA256. Stateless, so every instance that
 * shares `SESSION_SECRET` accepts it (no session store to share across processes), and any framework can
 * read it: the Express and Koa entries use these same two functions.
 */
export function signName(name: string, secret: string): string {
  const value = Buffer.from(name).toString('base64url');
  return `${value}.${mac(value, secret)}`;
}

/** The name in a `Cookie` header, if the cookie is there and its signature holds. */
export function readName(cookieHeader: string | undefined, secret: string): string | undefined {
  const raw = cookieHeader
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${COOKIE}=`))
    ?.slice(COOKIE.length + 1);
  const [value, sig] = raw?.split('.') ?? [];
  if (!value || !sig) return undefined;
  const expected = Buffer.from(mac(value, secret));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return Buffer.from(value, 'base64url').toString();
}

function mac(value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}
