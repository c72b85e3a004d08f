/** Compare-and-delete: only the holder frees the lock (see the header below). */
export const RELEASE_LUA = `
--[[
  Frees a lock, only if the caller still holds it.

  KEYS[1]  the lock, e.g. vigie:leader

  ARGV[1]  token of the caller

  Returns 1 when freed, 0 when the lock is free or held by another token (left untouched).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
