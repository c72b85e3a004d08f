/** Compare-and-extend: only the holder resets its lease (see the header below). */
export const EXTEND_LUA = `
--[[
  Resets the lease of a lock, only if the caller still holds it.

  KEYS[1]  the lock, e.g. vigie:leader

  ARGV[1]  token of the caller
  ARGV[2]  new lease in ms

  Returns 1 when extended, 0 when the lock is free or held by another token.
  An expired lock is not revived: its holder has already had to assume it lost.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;
