--[[
  Points a user's entry in the slot map elsewhere, only if it still holds the expected slot, so a
  concurrent claim is never overwritten.

  KEYS[1]  meta hash   KEYS[2]  counter   KEYS[3]  slots hash   KEYS[4]  free zset   KEYS[5]  state
  ARGV[1]  userId
  ARGV[2]  the slot the entry must hold now
  ARGV[3]  the slot to hold instead, or 0 to remove the entry
  ARGV[4]  '1': a removed entry's slot goes on the free list at once (a slot the database refused before
           anyone was recorded in it), when it lies between 1 and both the counter and the limit

  Returns {1} when changed, {0} when the entry held something else (nothing changed).
  Otherwise the slot given up is not freed here: reconciliation frees it once it has seen it unheld and
  without a winner for a grace period. A change is noted and published.
]]
-- #include note-change.lua

if tonumber(redis.call('HGET', KEYS[3], ARGV[1])) ~= tonumber(ARGV[2]) then
  return {0}
end
if tonumber(ARGV[3]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[1])
  if ARGV[4] == '1' then
    local slot = tonumber(ARGV[2])
    local counter = tonumber(redis.call('GET', KEYS[2]))
    local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
    if counter and limit and slot >= 1 and slot <= math.min(counter, limit) then
      redis.call('ZADD', KEYS[4], 'NX', slot, slot)
    end
  end
else
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
end
noteChange()
return {1}
