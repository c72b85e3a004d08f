/** Reads holder, lease and fencing number in one consistent snapshot (see the header below). */
export const INSPECT_LUA = `
--[[
  Reports who holds a lock.

  KEYS[1]  the lock, e.g. vigie:leader
  KEYS[2]  its fencing counter, e.g. vigie:leader:fencing

  ARGV     none

  Returns { holder token or "", remaining lease in ms (PTTL: -2 when free), counter or "" }.
  Empty strings stand for "none": a nil would end the Lua array early.
]]
local holder = redis.call('GET', KEYS[1]) or ''
local ttl = redis.call('PTTL', KEYS[1])
local fencing = redis.call('GET', KEYS[2]) or ''
return { holder, ttl, fencing }
`;
