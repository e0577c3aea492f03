--[[
  Shared by the scripts that hand out slots (included where a script says `-- #include hand-out-slot.lua`).
  Gives the user the lowest freed slot, else the slot after the counter (raising it), and records it in
  the slot map. Returns the slot, or nil when the counter has reached the limit and nothing is free.
  Uses KEYS[2] counter, KEYS[3] slots hash, KEYS[4] free zset.
]]
local function handOutSlot(counter, limit, userId)
  local slot
  local freed = redis.call('ZPOPMIN', KEYS[4])
  if freed[1] then
    slot = tonumber(freed[1])
  elseif counter < limit then
    slot = redis.call('INCR', KEYS[2])
  else
    return nil
  end
  redis.call('HSET', KEYS[3], userId, slot)
  return slot
end
