-- claim_tick: enqueue one tick of a recurring schedule, once, however many scheduler loops
-- try. The last enqueued tick is kept per schedule; a loop enqueues only if its tick is later,
-- and records it in the same step (a compare-and-set), so the others find it taken.
-- The first time a schedule is seen, its current tick is only recorded, negated (-tick: "seen
-- then, never run"), not run: a schedule starts with the next tick after it was declared.
-- KEYS[1] the last-tick hash   KEYS[2] the queues set   KEYS[3] the queue's list
-- ARGV[1] schedule name   ARGV[2] the tick (Unix ms)   ARGV[3] the payload to enqueue
-- ARGV[4] the queue name   ARGV[5] its wake-up channel
-- Returns 'enqueued', 'taken' (this tick, or a later one, was enqueued already) or 'started'.
local last = redis.call('HGET', KEYS[1], ARGV[1])
if not last then
  redis.call('HSET', KEYS[1], ARGV[1], -tonumber(ARGV[2]))
  return 'started'
end
if math.abs(tonumber(last)) >= tonumber(ARGV[2]) then return 'taken' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[4])
return 'enqueued'
