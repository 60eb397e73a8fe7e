-- return_landing: put the jobs left in a landing list (see land.lua) back at the front of
-- their queue, in the order they were taken. A job is left there when its worker thread lost
-- Redis between the blocking move and the landing, or when the worker died in that moment.
-- KEYS[1] the landing list   KEYS[2] the queue's list   KEYS[3] the queues set
-- ARGV[1] the queue name   ARGV[2] its wake-up channel
-- Returns how many jobs went back.

local count = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do count = count + 1 end
if count > 0 then
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('PUBLISH', ARGV[2], ARGV[1])  -- an idle worker can take them at once
end
return count
