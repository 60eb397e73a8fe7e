-- now_ms(given): the time in Unix milliseconds: ``given`` if it is not '' (tests move time that
-- way), else Redis's own clock, which every worker and scheduler shares.
local function now_ms(given)
  if given ~= '' then return tonumber(given) end
  local time = redis.call('TIME')
  return time[1] * 1000 + math.floor(time[2] / 1000)
end
