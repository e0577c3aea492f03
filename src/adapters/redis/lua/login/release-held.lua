-- Gives back a login's held place: its entry, by its hold id (none when the login held no place here).
local function releaseHeld(key, id)
  if id ~= '' then redis.call('zrem', key, id) end
end
