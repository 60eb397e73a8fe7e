-- remove_queue: forget a queue and every job waiting on it, as Resque's remove_queue does.
-- KEYS[1] the queues set   KEYS[2] the queue's list
-- ARGV[1] the queue name
-- Returns how many waiting jobs were removed with it.
local waiting = redis.call('LLEN', KEYS[2])
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return waiting
