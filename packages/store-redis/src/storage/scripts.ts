/**
 * The Lua scripts behind each operation, one EVALSHA each (ioredis `defineCommand`). Every script
 * takes the session hash as KEYS[1] and, but for the plain load, the caller's clock as ARGV[1]
 * (epoch ms, a decimal string). Times are stored as the strings the caller sent; only the version
 * is computed in Lua (exact far beyond any reachable count). A value of another type at the key
 * raises `VMCPDECODE <reason>` (`WRONGTYPE` from the plain load); a hash without a valid version
 * raises it too.
 */
import { createHash } from "node:crypto";

/** Common prelude: `live(key, now)` returns the version string of a live session or nil. */
const prelude = `
local function decode_error(reason)
  return redis.error_reply('VMCPDECODE ' .. reason)
end
local function live(key, now)
  local fields = redis.pcall('HMGET', key, '@v', '@e')
  if fields.err then
    return nil, decode_error('a value of type ' .. redis.call('TYPE', key).ok .. ' is stored at the session key')
  end
  local version = fields[1]
  if not version then
    if redis.call('EXISTS', key) == 0 then return nil end
    return nil, decode_error('the session hash has no version field')
  end
  if not tonumber(version) then return nil, decode_error('the session hash has no valid version field') end
  local deadline = fields[2]
  if deadline and tonumber(deadline) and tonumber(deadline) <= now then
    redis.call('DEL', key)
    return nil
  end
  return version
end
local function hset_pairs(key, args, first, last)
  local i = first
  while i <= last do
    local stop = math.min(i + 999, last)
    redis.call('HSET', key, unpack(args, i, stop))
    i = stop + 1
  end
end
`;

/**
 * create: ARGV = now, expiresAt ('' = none), then field/value pairs (metadata fields already
 * prefixed). Returns 1 when stored, 0 when a live session holds the ID or the deadline is past.
 */
export const CreateScript = `${prelude}
local key = KEYS[1]
local now = tonumber(ARGV[1])
local expires = ARGV[2]
if expires ~= '' and tonumber(expires) <= now then return 0 end
local version, err = live(key, now)
if err then return err end
if version then return 0 end
redis.call('DEL', key)
redis.call('HSET', key, '@c', ARGV[1], '@u', ARGV[1], '@v', '1')
if #ARGV >= 3 then hset_pairs(key, ARGV, 3, #ARGV) end
if expires ~= '' then
  redis.call('HSET', key, '@e', expires)
  redis.call('PEXPIREAT', key, expires)
end
return 1
`;

/**
 * update: ARGV = now, ifVersion ('' = unconditional), deadline mode ('keep' | 'clear' | 'set'),
 * deadline, count of set pairs N, N field/value pairs, then fields to remove. Returns 1 when
 * applied (a past deadline deletes), 0 when absent, -1 on a version mismatch (nothing changed).
 */
export const UpdateScript = `${prelude}
local key = KEYS[1]
local now = tonumber(ARGV[1])
local version, err = live(key, now)
if err then return err end
if not version then return 0 end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= tonumber(version) then return -1 end
local mode = ARGV[3]
if mode == 'set' and tonumber(ARGV[4]) <= now then
  redis.call('DEL', key)
  return 1
end
local pairs_end = 5 + 2 * tonumber(ARGV[5])
local next_version = tostring(tonumber(version) + 1)
if pairs_end - 5 > 1000 then
  hset_pairs(key, ARGV, 6, pairs_end)
  redis.call('HSET', key, '@u', ARGV[1], '@v', next_version)
else
  -- The usual case: every field of the patch and the bookkeeping in one HSET.
  redis.call('HSET', key, '@u', ARGV[1], '@v', next_version, unpack(ARGV, 6, pairs_end))
end
local i = pairs_end + 1
while i <= #ARGV do
  local stop = math.min(i + 999, #ARGV)
  redis.call('HDEL', key, unpack(ARGV, i, stop))
  i = stop + 1
end
if mode == 'set' then
  redis.call('HSET', key, '@e', ARGV[4])
  redis.call('PEXPIREAT', key, ARGV[4])
elseif mode == 'clear' then
  redis.call('HDEL', key, '@e')
  redis.call('PERSIST', key)
end
return 1
`;

/**
 * load: no ARGV. Returns the hash as one JSON array of field/value strings (one bulk reply, cheap
 * to parse; `{}` when absent). Read-only and minimal: the caller checks the deadline and decodes;
 * a value of another type raises `WRONGTYPE`.
 */
export const LoadScript = `return cjson.encode(redis.call('HGETALL', KEYS[1]))`;

/**
 * load with a sliding deadline: ARGV = now, new deadline. Returns what {@link LoadScript} does
 * after moving the deadline, or nil when absent or past its deadline (a past new deadline
 * deletes).
 */
export const LoadSlideScript = `${prelude}
local key = KEYS[1]
local now = tonumber(ARGV[1])
local version, err = live(key, now)
if err then return err end
if not version then return nil end
if tonumber(ARGV[2]) <= now then
  redis.call('DEL', key)
  return nil
end
redis.call('HSET', key, '@e', ARGV[2])
redis.call('PEXPIREAT', key, ARGV[2])
return cjson.encode(redis.call('HGETALL', key))
`;

/**
 * touch: ARGV = now, new deadline. Returns 1 when the session existed (a past deadline deletes
 * it), 0 otherwise. Metadata, updatedAt and version are left alone.
 */
export const TouchScript = `${prelude}
local key = KEYS[1]
local now = tonumber(ARGV[1])
local version, err = live(key, now)
if err then return err end
if not version then return 0 end
if tonumber(ARGV[2]) <= now then
  redis.call('DEL', key)
  return 1
end
redis.call('HSET', key, '@e', ARGV[2])
redis.call('PEXPIREAT', key, ARGV[2])
return 1
`;

/**
 * delete: ARGV = now. Removes whatever is at the key (a corrupt value included, so an operator can
 * clear it); returns 1 when a live session was there, 0 otherwise.
 */
export const DeleteScript = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local kind = redis.call('TYPE', key).ok
if kind == 'none' then return 0 end
local existed = 1
if kind == 'hash' then
  local deadline = redis.call('HGET', key, '@e')
  if deadline and tonumber(deadline) and tonumber(deadline) <= now then existed = 0 end
end
redis.call('DEL', key)
return existed
`;

/** The storage's Lua scripts, by operation. */
export type ScriptName = "create" | "update" | "load" | "loadSlide" | "touch" | "delete";

/** The write scripts, which durability follows with `WAIT`. */
export type WriteScriptName = "create" | "update" | "touch" | "delete";

/** A Lua script and its SHA1, for `EVALSHA` with an `EVAL` fallback. */
export interface LuaScript {
  /** The script's source. */
  readonly lua: string;
  /** Its SHA1, hex. */
  readonly sha: string;
}

/** Every script of the storage with its SHA1, by operation: what both client adapters send. */
export const Scripts: Readonly<Record<ScriptName, LuaScript>> = {
  create: luaScript(CreateScript),
  update: luaScript(UpdateScript),
  load: luaScript(LoadScript),
  loadSlide: luaScript(LoadSlideScript),
  touch: luaScript(TouchScript),
  delete: luaScript(DeleteScript),
};

function luaScript(lua: string): LuaScript {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}
