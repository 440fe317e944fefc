-- wrk: POST /v3/kv/put of a new key per request, 256-byte value. Args: key prefix, [responses per thread].
dofile("bench/versus-common.lua")
local value = b64(string.rep("x", 256))
local prefix, counter, limit, answered = "bench/put", 0, nil, 0
function init(args)
  prefix = args[1] or prefix
  limit = tonumber(args[2])
end
function request()
  counter = counter + 1
  local body = '{"key":"' .. b64(string.format("%s/%d/%d", prefix, tid or 0, counter)) .. '","value":"' .. value .. '"}'
  return wrk.format("POST", "/v3/kv/put", nil, body)
end
if os.getenv("VERSUS_LIMITED") then
  function response(status, headers, body)
    answered = answered + 1
    if limit and answered >= limit then wrk.thread:stop() end
  end
end
done = function(summary, latency, requests) report(summary, latency) end
