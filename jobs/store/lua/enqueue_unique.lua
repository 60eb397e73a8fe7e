-- enqueue_unique: put a unique job at the back of its queue, unless a copy with the same class
-- and arguments waits already (see jobs/unique.py). Checking the lock and pushing are one
-- step, so two enqueues at the same moment cannot both push.
-- The lock holds the id of the copy that waits; fetch.lua deletes it when a worker takes that
-- copy. It expires anyway, so a copy that vanished without being taken blocks nothing forever.
-- KEYS[1] the queues set   KEYS[2] the queue's list   KEYS[3] the lock
-- ARGV[1] the queue name   ARGV[2] its wake-up channel   ARGV[3] the payload (JSON)
-- ARGV[4] the job's id   ARGV[5] how long the lock lives at most, in ms
-- Returns the id of the copy that waits: ARGV[4] if this one was pushed, else the earlier one's.
local waiting = redis.call('GET', KEYS[3])
if waiting then return waiting end
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[2], ARGV[1])
return ARGV[4]
