-- release_unique(prefix, job): a worker took this copy of a unique job (job: from
-- job_with_id, with a "unique" lock name), so another copy may now be enqueued. The lock is
-- deleted only if it is this copy's: a copy put back after a crash must not release the lock
-- of the copy enqueued since. Lock keys are built from the payload, like status keys.
local function release_unique(prefix, job)
  if job == nil or type(job['unique']) ~= 'string' then return end
  local key = prefix .. job['unique']
  if redis.call('GET', key) == job['id'] then redis.call('DEL', key) end
end
