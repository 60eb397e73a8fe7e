-- forget_recurring: remove a recurring schedule's published definition and its last tick
-- together (the monitor's "remove"). A scheduler loop that still declares it writes the
-- definition again, and starts counting its ticks afresh.
-- KEYS[1] the definitions hash   KEYS[2] the last-tick hash
-- ARGV[1] the schedule's name
-- Returns 1 if there was a definition to remove, else 0.
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
