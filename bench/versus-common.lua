-- Shared by the versus-*.lua wrk scripts (bench/versus-etcd.sh): fast base64 and the result line.
local bit = require("bit")
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local digits = {}
for i = 1, 64 do digits[i - 1] = alphabet:sub(i, i) end

function b64(data)
  local out, n = {}, #data
  for i = 1, n, 3 do
    local a, b, c = data:byte(i, i + 2)
    local word = bit.bor(bit.lshift(a, 16), bit.lshift(b or 0, 8), c or 0)
    out[#out + 1] = digits[bit.band(bit.rshift(word, 18), 63)] .. digits[bit.band(bit.rshift(word, 12), 63)]
      .. (b and digits[bit.band(bit.rshift(word, 6), 63)] or "=") .. (c and digits[bit.band(word, 63)] or "=")
  end
  return table.concat(out)
end

-- One machine-readable line: requests, microseconds, non-2xx, socket errors, p50 and p99 in microseconds.
function report(summary, latency)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.0f %.0f\n", summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end

threads_started = 0
function setup(thread)
  threads_started = threads_started + 1
  thread:set("tid", threads_started)
end
