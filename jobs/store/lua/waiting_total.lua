-- waiting_total: how many jobs wait on the queues together, for the monitor's totals.
-- Read-only. Summing inside Redis costs one round trip however many queues there are, but
-- each LLEN still costs Redis a microsecond or two, and the live Overview asks every few
-- seconds: so it sums at most ARGV[2] queues, and says how many it summed.
-- KEYS[1] the queues set
-- ARGV[1] the key prefix of a queue's list (ns:queue:)   ARGV[2] most queues to sum
-- Returns {jobs waiting on the queues summed, how many queues were summed}.
local total, counted, most = 0, 0, tonumber(ARGV[2])
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if counted == most then break end
  total = total + redis.call('LLEN', ARGV[1] .. name)
  counted = counted + 1
end
return {total, counted}
