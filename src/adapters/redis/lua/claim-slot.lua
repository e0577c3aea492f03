--[[
  Claims a slot of a campaign for a user, atomically.

  KEYS[1]  meta hash (fields: limit, paused)
  KEYS[2]  counter (integer: slots handed out so far)
  KEYS[3]  slots hash (userId -> slot)
  KEYS[4]  free zset (slots at or below the counter that nobody holds)
  ARGV[1]  userId

  Returns {code, slot, limit}; integers only, so RESP2 and RESP3 clients read it alike:
    1  WON        a slot was handed to the user (a freed one first, else the next one)
    2  HELD       the user already holds `slot`
    3  FULL       the counter has reached the limit and no slot is free
    4  PAUSED     the campaign is paused
    5  NO_COUNTER the counter is missing (Redis lost it): claims stay closed until it is rebuilt
    6  NO_META    the campaign's settings are missing
  A missing counter is never created here: that would re-open slots that were already won.
]]
-- #include hand-out-slot.lua

local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
if not limit then
  return {6, 0, 0}
end

local held = redis.call('HGET', KEYS[3], ARGV[1])
if held then
  return {2, tonumber(held), limit}
end

if redis.call('HGET', KEYS[1], 'paused') == '1' then
  return {4, 0, limit}
end

local counter = tonumber(redis.call('GET', KEYS[2]))
if not counter then
  return {5, 0, limit}
end

local slot = handOutSlot(counter, limit, ARGV[1])
if not slot then
  return {3, 0, limit}
end
return {1, slot, limit}
