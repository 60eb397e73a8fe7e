-- silent_hosts: the hosts none of whose workers has sent a heartbeat for a while (a machine
-- that went down, or lost its network). Read-only, and grouped inside Redis, so the monitor
-- reads a line per silent host whatever the number of workers.
-- KEYS[1] our heartbeats zset (worker id -> last heartbeat, Redis ms)
-- ARGV[1] how long without a heartbeat makes a worker silent (ms)
-- Returns {Redis's clock (ms), then per silent host: its name, how many workers, its newest
-- heartbeat (ms)}, hosts sorted by name. A worker id's host is what comes before its first ':'.

-- include: now

local now = now_ms('')
local newest, count = {}, {}
local beats = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #beats, 2 do
  local host = string.match(beats[i], '^([^:]*):') or beats[i]
  local beat = tonumber(beats[i + 1])
  count[host] = (count[host] or 0) + 1
  if newest[host] == nil or beat > newest[host] then newest[host] = beat end
end
local hosts = {}
for host, beat in pairs(newest) do
  if now - beat > tonumber(ARGV[1]) then hosts[#hosts + 1] = host end
end
table.sort(hosts)
local reply = {now}
for _, host in ipairs(hosts) do
  reply[#reply + 1] = host
  reply[#reply + 1] = count[host]
  reply[#reply + 1] = newest[host]
end
return reply
