-- Gives back one held place (never below none: the key may have expired since it was taken).
local function releaseHeld(key)
  if (tonumber(redis.call('get', key)) or 0) > 0 then redis.call('decr', key) end
end
