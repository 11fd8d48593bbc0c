-- wrk script of scripts/bench (load.py): POSTs the bodies of a file (one JSON per line) in turn
-- on every connection, and prints wrk's figures as one JSON line when the run is done.
--   wrk -t1 -c16 -d10s -H 'Content-Type: application/json' -s wrk_post.lua URL -- bodies.jsonl \
--     [text]
-- With a text, a response that is not a 200 whose body holds it counts as `unexpected`.
local requests = {}
local next_index = 0
local threads = {}
unexpected = 0 -- a global: done() reads each thread's (thread:get)

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  -- Each request is formatted once here: wrk then sends prepared bytes (no Lua work per request
  -- beyond picking the next one).
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("POST", nil, nil, line)
  end
  if #requests == 0 then
    error("no bodies in " .. args[1])
  end
  local expect = args[2]
  if expect then
    -- Defined only then: wrk parses a response's body for Lua only if this function exists.
    function response(status, _, body)
      if status ~= 200 or not string.find(body, expect, 1, true) then
        unexpected = unexpected + 1
      end
    end
  end
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, _)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d,' ..
      ' "status": %d, "timeout": %d, "unexpected": %d, "p50_us": %d, "p90_us": %d,' ..
      ' "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, bad, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
