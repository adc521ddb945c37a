import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts of topic history. Each runs atomically on the Redis that holds the topic's keys (one
 * slot: the keys share the `{topic}` hash tag), so two nodes can never get the same offset, and a message
 * is in the stream before anyone hears of it on the channel.
 *
 * Keys of a topic: `<prefix>{<topic>}:m` (hash: `e` epoch, `s` latest offset) and `<prefix>{<topic>}:s`
 * (stream; entry id `<offset>-0`, fields `d` data, `b` '1' for binary, `t` Redis time in ms).
 */

/** The meta hash outlives the messages by this much, so a quiet topic keeps its epoch (ms). */
export const META_GRACE = 24 * 60 * 60_000;

/** Redis time in ms, epoch and offset of a topic, creating the epoch when the topic has none. */
const META = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local meta = redis.call('HMGET', KEYS[1], 'e', 's')
local epoch = meta[1]
local offset = tonumber(meta[2] or '0')
if not epoch then
  epoch = ARGV[1]
  offset = 0
  redis.call('HSET', KEYS[1], 'e', epoch, 's', 0)
  redis.call('DEL', KEYS[2])
end
`;

/**
 * APPEND: KEYS meta, stream; ARGV epoch-candidate, size, maxAge, envelope header, binary ('1'/'0'),
 * payload, channel, publish command ('PUBLISH' or 'SPUBLISH'). Returns { epoch, offset }.
 */
export const APPEND = `${META}
local size = tonumber(ARGV[2])
local maxAge = tonumber(ARGV[3])
offset = redis.call('HINCRBY', KEYS[1], 's', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', size, offset .. '-0', 'd', ARGV[6], 'b', ARGV[5], 't', now)
-- Age: every 16th append trims entries past maxAge from the front, at most 64 (reads filter the rest).
local function ts(e)
  local f = e[2]
  for i = 1, #f, 2 do if f[i] == 't' then return tonumber(f[i + 1]) end end
  return 0
end
local first = offset % 16 == 0 and redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
if first and ts(first) < now - maxAge then
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 64)
  local keep = nil
  for _, e in ipairs(oldest) do
    if ts(e) >= now - maxAge then keep = e[1] break end
  end
  if not keep then keep = (tonumber(string.match(oldest[#oldest][1], '^(%d+)')) + 1) .. '-0' end
  redis.call('XTRIM', KEYS[2], 'MINID', keep)
end
redis.call('PEXPIRE', KEYS[2], maxAge)
if offset % 16 == 1 then redis.call('PEXPIRE', KEYS[1], maxAge + ${META_GRACE}) end
redis.call(ARGV[8], ARGV[7], ARGV[4] .. epoch .. ' ' .. offset .. ' ' .. ARGV[6])
return { epoch, offset }
`;

/**
 * READ: KEYS meta, stream; ARGV epoch-candidate, size, maxAge, after (offset, '' for the oldest kept),
 * limit. Returns { epoch, offset, id1, fields1, id2, fields2, ... } with messages inside retention only.
 */
export const READ = `${META}
local size = tonumber(ARGV[2])
local maxAge = tonumber(ARGV[3])
local limit = tonumber(ARGV[5])
local from = offset - size + 1
if ARGV[4] ~= '' and tonumber(ARGV[4]) + 1 > from then from = tonumber(ARGV[4]) + 1 end
if from < 1 then from = 1 end
local out = { epoch, offset }
if limit > 0 and from <= offset then
  local entries = redis.call('XRANGE', KEYS[2], from .. '-0', '+', 'COUNT', limit + 64)
  local n = 0
  for _, e in ipairs(entries) do
    if n >= limit then break end
    local f = e[2]
    local ts = 0
    for i = 1, #f, 2 do if f[i] == 't' then ts = tonumber(f[i + 1]) end end
    if ts >= now - maxAge then
      table.insert(out, e[1])
      table.insert(out, f)
      n = n + 1
    end
  end
end
return out
`;

/** A script run by EVALSHA, loaded with EVAL the first time a Redis does not know it. */
export class Script {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Loads the script; sent first on every new connection, so EVALSHAs sent after it never meet NOSCRIPT.
   * (A NOSCRIPT falls back to EVAL, but that retry would land after appends sent meanwhile: a publisher's
   * messages would take offsets out of the order it published them.)
   */
  load(conn: Pick<Redis, 'script'>): Promise<unknown> {
    return conn.script('LOAD', this.#source);
  }

  /**
   * Runs the script; replies come back as Buffers (payloads are bytes, not text). `command` is the whole
   * argument list after the sha (key count, keys, args), so a hot caller builds one array and nothing is
   * spread or wrapped in another promise.
   */
  run(conn: Pick<Redis, 'callBuffer'>, command: Array<string | Buffer | number>): Promise<unknown> {
    return conn.callBuffer('EVALSHA', this.#sha, ...command).catch((err: unknown) => {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return conn.callBuffer('EVAL', this.#source, ...command);
    });
  }
}
