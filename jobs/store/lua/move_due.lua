-- move_due: move the jobs that are due from a sorted set (scheduled or retries) to their
-- queues. Taking a job out of the set and pushing it onto its queue is one step, so two
-- scheduler loops running this at once move each job exactly once (the second finds it gone),
-- and a loop killed at any moment leaves every job in one place or the other.
-- The caller reads the soonest members first (ZRANGE 0 N-1) and passes each with its queue's
-- key, so that every key is declared; this script then moves those that are still there and
-- due by Redis's clock, in due order, and stops at the first one that is not due yet.
-- KEYS[1] the zset   KEYS[2] the queues set   KEYS[2 + i] the list of member i's queue
-- ARGV[1] now in Unix ms instead of Redis's clock (tests move time), or ''
-- ARGV[2 + 3(i-1)], ARGV[3 + 3(i-1)], ARGV[4 + 3(i-1)]: member i (JSON [queue, payload]),
-- its queue name and that queue's wake-up channel
-- Returns {jobs moved, now (ms), when the soonest job left is due (ms) or -1}.

-- include: now

local now = now_ms(ARGV[1])
local moved, woken = 0, {}
for i = 1, #KEYS - 2 do
  local member, queue = ARGV[3 * i - 1], ARGV[3 * i]
  local due = redis.call('ZSCORE', KEYS[1], member)
  if due then
    if tonumber(due) > now then break end
    redis.call('ZREM', KEYS[1], member)
    redis.call('SADD', KEYS[2], queue)
    redis.call('RPUSH', KEYS[2 + i], cjson.decode(member)[2])
    moved = moved + 1
    if not woken[queue] then
      woken[queue] = true
      redis.call('PUBLISH', ARGV[3 * i + 1], queue)
    end
  end
end
local soonest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local next_due = -1
if soonest[2] then next_due = tonumber(soonest[2]) end
return {moved, now, next_due}
