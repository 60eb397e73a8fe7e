-- fetch: take the next job from the first non-empty queue, in priority order, and move it
-- into the worker's in-flight list in the same step. Because the move is atomic, there is no
-- moment at which a job is in neither place: a worker killed right after this still "holds" the
-- job in Redis, and whoever finds the dead worker puts it back.
-- KEYS[1] the worker's in-flight list   KEYS[2] the worker's working record (worker:ID)
-- KEYS[3...] the queues' lists, highest priority first
-- ARGV[1] the time to show as run_at   ARGV[2...] the queue names, in the same order as KEYS[3...]
-- Returns the in-flight entry, JSON [queue, payload], or false when every queue is empty.

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

for i = 3, #KEYS do
  local payload = redis.call('LPOP', KEYS[i])
  if payload then
    local queue = ARGV[i - 1]
    local entry = cjson.encode({queue, payload})
    redis.call('RPUSH', KEYS[1], entry)
    -- Resque's working record embeds the payload as a JSON object, and its web UI reads
    -- payload.class. A payload that is not such an object (someone pushed garbage) is embedded
    -- as {"raw": text}, the way failure records keep it, so Resque can still read the record.
    local embedded = payload
    if not is_job_object(payload) then embedded = cjson.encode({raw = payload}) end
    redis.call('SET', KEYS[2], '{"queue":' .. cjson.encode(queue) .. ',"run_at":'
      .. cjson.encode(ARGV[1]) .. ',"payload":' .. embedded .. '}')
    return entry
  end
end
return false
