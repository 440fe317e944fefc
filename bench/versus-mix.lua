-- wrk: 90 % linearizable range, 10 % put (256-byte values) over a fixed set of keys. Args: prefix, key count.
dofile("bench/versus-common.lua")
local value = b64(string.rep("y", 256))
local keys = {}
function init(args)
  local prefix, count = args[1] or "bench/mix", tonumber(args[2]) or 100
  for i = 1, count do keys[i] = b64(string.format("%s/%d", prefix, i - 1)) end
  math.randomseed(1000 + (tid or 0))
end
function request()
  local key = keys[math.random(#keys)]
  if math.random(10) == 1 then
    return wrk.format("POST", "/v3/kv/put", nil, '{"key":"' .. key .. '","value":"' .. value .. '"}')
  end
  return wrk.format("POST", "/v3/kv/range", nil, '{"key":"' .. key .. '"}')
end
done = function(summary, latency, requests) report(summary, latency) end
