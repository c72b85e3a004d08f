/** Grants the lock and its fencing number in one atomic step (see the header below). */
export const ACQUIRE_LUA = `
--[[
  Takes a lock if it is free and gives the grant its fencing number.

  KEYS[1]  the lock, e.g. vigie:leader (value: the holder's token)
  KEYS[2]  its fencing counter, e.g. vigie:leader:fencing (never expires)

  ARGV[1]  token of the new holder
  ARGV[2]  lease in ms
  ARGV[3]  fencing floor: the number granted is above it ("0" when none)

  Returns the fencing number when granted, nil when another holder has the lock.
  The counter moves only on a grant, in the same script, so a grant always carries a number
  higher than every earlier grant of the key.
]]
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
local fencing = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3]) or 0
if fencing <= floor then
  fencing = floor + 1
  redis.call('SET', KEYS[2], fencing)
end
return fencing
`;
