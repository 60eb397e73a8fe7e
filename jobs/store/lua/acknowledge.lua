-- acknowledge: a job finished well. Take it out of the in-flight list, mark the worker idle and
-- count it. If the entry is no longer in flight (another worker decided this one was dead and
-- put the job back), nothing is counted: the job will run again, which at-least-once allows.
-- KEYS[1] in-flight list   KEYS[2] working record   KEYS[3] stat:processed
-- KEYS[4] stat:processed:ID   KEYS[5] the crash counts hash   KEYS[6] this minute's processed count
-- ARGV[1] the in-flight entry   ARGV[2] seconds to keep the minute's count
-- Returns 1 if the job was acknowledged, 0 if it was no longer in flight.
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('INCR', KEYS[3])
redis.call('INCR', KEYS[4])
redis.call('INCR', KEYS[6])
redis.call('EXPIRE', KEYS[6], ARGV[2])
redis.call('HDEL', KEYS[5], redis.sha1hex(ARGV[1]))
return 1
