-- wrk script of scripts/bench (load.py): POSTs the bodies of a file (one JSON per line) in turn
-- on every connection, and prints wrk's figures as one JSON line when the run is done.
--   wrk -t1 -c16 -d10s -H 'Content-Type: application/json' -s wrk_post.lua URL -- bodies.jsonl
local requests = {}
local next_index = 0

function init(args)
  -- Each request is formatted once here: wrk then sends prepared bytes (no Lua work per request
  -- beyond picking the next one).
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("POST", nil, nil, line)
  end
  if #requests == 0 then
    error("no bodies in " .. args[1])
  end
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d,' ..
      ' "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d,' ..
      ' "mean_us": %.1f}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
