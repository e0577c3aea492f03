--[[
  Points a user's entry in the slot map elsewhere, only if it still holds the expected slot, so a
  concurrent claim is never overwritten.

  KEYS[1]  meta hash   KEYS[2]  counter   KEYS[3]  slots hash   KEYS[4]  free zset   KEYS[5]  state
  ARGV[1]  userId
  ARGV[2]  the slot the entry must hold now
  ARGV[3]  the slot to hold instead, or 0 to remove the entry

  Returns {1} when changed, {0} when the entry held something else (nothing changed).
  The slot given up is not freed here: reconciliation frees it once it has seen it unheld and without a
  winner for a grace period. A change is noted and published.
]]
-- #include note-change.lua

if tonumber(redis.call('HGET', KEYS[3], ARGV[1])) ~= tonumber(ARGV[2]) then
  return {0}
end
if tonumber(ARGV[3]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[1])
else
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
end
noteChange()
return {1}
