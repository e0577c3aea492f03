--[[
  Shared by the scripts that hand out slots (included where a script says `-- #include hand-out-slot.lua`).
  Gives the user the lowest freed slot at or below the limit, else the slot after the counter (raising it),
  and records it in the slot map. Returns the slot, or nil when the counter has reached the limit and
  nothing is free. Uses KEYS[2] counter, KEYS[3] slots hash, KEYS[4] free zset.
]]
local function handOutSlot(counter, limit, userId)
  local slot
  local freed = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', limit, 'LIMIT', 0, 1)
  if freed[1] then
    redis.call('ZREM', KEYS[4], freed[1])
    slot = tonumber(freed[1])
  elseif counter < limit then
    slot = redis.call('INCR', KEYS[2])
  else
    return nil
  end
  redis.call('HSET', KEYS[3], userId, slot)
  return slot
end
