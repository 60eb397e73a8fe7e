-- unregister: remove a worker from every registry key. Refused while the worker still holds
-- jobs in flight, or in its landing list (see land.lua): those must be put back first, or they
-- would be forgotten.
-- ARGV[2] is the heartbeat we judged a dead worker by ('' for a worker leaving by itself):
-- if it changed, the worker is alive and stays registered.
-- KEYS[1] workers set   KEYS[2] worker:ID   KEYS[3] worker:ID:started   KEYS[4] Resque heartbeats
-- KEYS[5] our heartbeats   KEYS[6] stat:processed:ID   KEYS[7] stat:failed:ID   KEYS[8] in-flight
-- KEYS[9] the worker's flags   KEYS[10] its landing list
-- ARGV[1] worker id   ARGV[2] expected heartbeat or ''
-- Returns 'unregistered', 'busy' (jobs still in flight) or 'alive'.
if ARGV[2] ~= '' and redis.call('ZSCORE', KEYS[5], ARGV[1]) ~= ARGV[2] then return 'alive' end
if redis.call('LLEN', KEYS[8]) > 0 or redis.call('LLEN', KEYS[10]) > 0 then return 'busy' end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[6], KEYS[7], KEYS[9])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return 'unregistered'
