--[[
  Gives users their recorded slot back in the slot map, only where they have no entry.

  KEYS[1]  meta hash   KEYS[2]  counter   KEYS[3]  slots hash   KEYS[4]  free zset   KEYS[5]  state
  ARGV[1]  the settings version the caller decided under ('' for any): under another version (a reset or a
           save since the caller read), nothing is restored
  ARGV[2..] userId, slot, userId, slot, ...

  Returns {how many entries were added}; adding any is a change, noted and published.
]]
-- #include note-change.lua

if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then
  return {0}
end
local added = 0
for i = 2, #ARGV - 1, 2 do
  added = added + redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + 1])
end
if added > 0 then
  noteChange()
end
return {added}
