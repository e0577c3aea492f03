--[[
  Shared by the scripts that act on a campaign's settings (included with `-- #include read-settings.lua`).
  Reads KEYS[1], the meta hash: limit, paused ('1'/'0'), version, startsAt and endsAt (ms since the epoch;
  endsAt 0 for none). Returns nil when the settings are missing.
]]
local function readSettings()
  local meta = redis.call('HMGET', KEYS[1], 'limit', 'paused', 'version', 'startsAt', 'endsAt')
  local limit = tonumber(meta[1])
  if not limit then
    return nil
  end
  return {
    limit = limit,
    paused = meta[2] == '1',
    version = tonumber(meta[3]) or 0,
    startsAt = tonumber(meta[4]),
    endsAt = tonumber(meta[5]) or 0,
  }
end

--[[ True when Redis's clock lies inside the settings' window (settings without a window: always). ]]
local function isRunning(settings)
  if not settings.startsAt then
    return true
  end
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  return now >= settings.startsAt and (settings.endsAt == 0 or now < settings.endsAt)
end
