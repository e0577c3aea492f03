--[[
  Records that a campaign's slot state changed outside a script (a reset, restored holders, a cleaned free
  list): its state version grows by one and the change is published.

  KEYS[1..4] (unused), KEYS[5] state.
  Returns {the new state version}.
]]
-- #include note-change.lua

return {noteChange()}
