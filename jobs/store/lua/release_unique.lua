-- release_unique: delete a unique job's lock if it is still held by this copy (a compare and
-- delete: a later copy's lock stays). For jobs.cancel and jobs.dequeue, which take a waiting
-- copy off its queue: enqueueing it again must work at once, not when the lock expires.
-- KEYS[1] the lock   ARGV[1] the id of the copy taken off the queue
-- Returns 1 if the lock was released, 0 if it was not this copy's (or had expired).
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
