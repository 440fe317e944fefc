-- wrk: POST /v3/kv/range of one key. Args: key, "serializable" or "linearizable".
dofile("bench/versus-common.lua")
local body
function init(args)
  local serializable = args[2] == "serializable" and "true" or "false"
  body = '{"key":"' .. b64(args[1] or "bench/one") .. '","serializable":' .. serializable .. '}'
end
function request() return wrk.format("POST", "/v3/kv/range", nil, body) end
done = function(summary, latency, requests) report(summary, latency) end
