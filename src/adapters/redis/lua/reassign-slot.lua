--[[
  Moves a claim forward after the database refused its slot because another user is recorded with it
  (the counter went backwards: a stale Redis handed the slot out twice).

  KEYS[1]  meta hash   KEYS[2]  counter   KEYS[3]  slots hash   KEYS[4]  free zset
  ARGV[1]  userId
  ARGV[2]  the stale slot the user holds now

  Returns {code, slot, limit}:
    1  WON        the user now holds a fresh `slot` (a freed one first, else the next one)
    3  FULL       no slot is left; the user's stale slot is dropped
    5  NO_COUNTER the counter is missing
    6  NO_META    the campaign's settings are missing
    7  CHANGED    the user no longer holds the stale slot (another request moved it); `slot` is what the
                  user holds now, 0 for nothing. Nothing was changed.
]]
-- #include hand-out-slot.lua

local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
if not limit then
  return {6, 0, 0}
end

local held = tonumber(redis.call('HGET', KEYS[3], ARGV[1]))
if held ~= tonumber(ARGV[2]) then
  return {7, held or 0, limit}
end

local counter = tonumber(redis.call('GET', KEYS[2]))
if not counter then
  return {5, 0, limit}
end

local slot = handOutSlot(counter, limit, ARGV[1])
if not slot then
  redis.call('HDEL', KEYS[3], ARGV[1])
  return {3, 0, limit}
end
return {1, slot, limit}
