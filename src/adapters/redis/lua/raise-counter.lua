--[[
  Raises the counter to at least a value: creates it when missing (which re-opens claims), never lowers it.

  KEYS[1]  meta hash   KEYS[2]  counter   KEYS[3]  slots hash   KEYS[4]  free zset   KEYS[5]  state
  ARGV[1]  the value the counter must reach
  ARGV[2]  the settings version the caller decided under ('' for any): under another version (a reset or a
           save since the caller read), nothing is raised

  Returns {counter before (-1 when missing), counter after (-1 when missing)}. A change is noted and published.
]]
-- #include note-change.lua

local target = tonumber(ARGV[1])
local before = tonumber(redis.call('GET', KEYS[2]))
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'version') ~= ARGV[2] then
  return {before or -1, before or -1}
end
if before and before >= target then
  return {before, before}
end
redis.call('SET', KEYS[2], target)
noteChange()
return {before or -1, target}
