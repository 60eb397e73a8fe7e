-- clear_queue: empty a queue of its waiting jobs but keep it listed (unlike remove_queue), as
-- the monitor's "clear" button does. Counting and deleting in one step means the count is
-- exactly what went: a job pushed in between is either counted and gone, or kept.
-- KEYS[1] the queue's list
-- Returns how many waiting jobs were removed.
local waiting = redis.call('LLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return waiting
