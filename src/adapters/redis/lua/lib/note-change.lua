--[[
  Shared by every script that changes a campaign's slot state (included with `-- #include note-change.lua`).
  KEYS[5] is the campaign's state key, <prefix>:{<id>}:state.
  noteChange(): the state version grows by one, and "<id> <version>" is published on
  <prefix>:campaign-changes, so the API processes' views of a sold-out campaign are dropped at once.
  stateVersion(): the version now (0 when missing).
]]
local function noteChange()
  local version = redis.call('INCR', KEYS[5])
  local prefix, id = string.match(KEYS[5], '^(.*):{(.*)}:state$')
  redis.call('PUBLISH', prefix .. ':campaign-changes', id .. ' ' .. version)
  return version
end

local function stateVersion()
  return tonumber(redis.call('GET', KEYS[5])) or 0
end
