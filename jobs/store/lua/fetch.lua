-- fetch: take the next job from the first non-empty queue, in priority order, and move it
-- into the worker's in-flight list in the same step. Because the move is atomic, there is no
-- moment at which a job is in neither place: a worker killed right after this still "holds" the
-- job in Redis, and whoever finds the dead worker puts it back.
--
-- It first acknowledges the job the worker just finished, if it names one, so that a busy
-- worker pays one round trip per job: "done with this one, give me the next". With no queues
-- it only acknowledges.
--
-- Acknowledging: take the job out of the in-flight list, mark the worker idle and count it. If
-- the entry is no longer in flight (another worker decided this one was dead and put the job
-- back), nothing is counted: the job will run again, which at-least-once delivery allows.
--
-- KEYS[1] the worker's in-flight list   KEYS[2] its working record (worker:ID)
-- KEYS[3] stat:processed   KEYS[4] stat:processed:ID   KEYS[5] the crash counts hash
-- KEYS[6] this minute's processed count   KEYS[7...] the queues' lists, highest priority first
-- ARGV[1] the in-flight entry of the job just finished, or ''   ARGV[2] seconds to keep the
-- minute's count   ARGV[3] the time to show as run_at   ARGV[4...] the queue names, in the
-- same order as KEYS[7...]
-- Returns {acknowledged (1 or 0), the next job's in-flight entry (JSON [queue, payload]) or nil}.

-- Is this payload a strict JSON object with a "class", that Resque could read? cjson also
-- accepts nan, inf and hex numbers, which no other JSON parser does; refuse those too (a hex
-- check on the raw text may also catch "0x" inside a string: then the record just shows it raw).
local function is_job_object(payload)
  local ok, decoded = pcall(cjson.decode, payload)
  if not (ok and type(decoded) == 'table' and type(decoded['class']) == 'string') then
    return false
  end
  return pcall(cjson.encode, decoded) and not string.find(payload, '[%[,:]%s*%-?0[xX]')
end

local function acknowledge(entry)
  if redis.call('LREM', KEYS[1], 1, entry) == 0 then return 0 end
  redis.call('DEL', KEYS[2])
  redis.call('INCR', KEYS[3])
  redis.call('INCR', KEYS[4])
  if redis.call('INCR', KEYS[6]) == 1 then redis.call('EXPIRE', KEYS[6], ARGV[2]) end
  redis.call('HDEL', KEYS[5], redis.sha1hex(entry))
  return 1
end

local function take_next()
  for i = 7, #KEYS do
    local payload = redis.call('LPOP', KEYS[i])
    if payload then
      local queue = ARGV[i - 3]
      local entry = cjson.encode({queue, payload})
      redis.call('RPUSH', KEYS[1], entry)
      -- Resque's working record embeds the payload as a JSON object, and its web UI reads
      -- payload.class. A payload that is not such an object (someone pushed garbage) is
      -- embedded as {"raw": text}, the way failure records keep it, so Resque can still read it.
      local embedded = payload
      if not is_job_object(payload) then embedded = cjson.encode({raw = payload}) end
      redis.call('SET', KEYS[2], '{"queue":' .. cjson.encode(queue) .. ',"run_at":'
        .. cjson.encode(ARGV[3]) .. ',"payload":' .. embedded .. '}')
      return entry
    end
  end
  return false
end

local acknowledged = 0
if ARGV[1] ~= '' then acknowledged = acknowledge(ARGV[1]) end
return {acknowledged, take_next()}
