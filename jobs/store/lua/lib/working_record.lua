-- working_record(queue, payload, run_at): Resque's record of what a worker is working on, the
-- text of its worker:ID key. Resque embeds the payload as a JSON object, and its web UI reads
-- payload.class; a payload that is not such an object (someone pushed garbage) is embedded as
-- {"raw": text}, the way failure records keep it, so Resque can still read it.

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

local function working_record(queue, payload, run_at)
  local embedded = payload
  if not is_job_object(payload) then embedded = cjson.encode({raw = payload}) end
  return '{"queue":' .. cjson.encode(queue) .. ',"run_at":' .. cjson.encode(run_at)
    .. ',"payload":' .. embedded .. '}'
end
