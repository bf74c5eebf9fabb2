-- wrk script for the portal benchmark: spread requests, session cookies, exact percentiles.
--
-- BENCH_PATHS (environment), when set, names a file of requests, one a line: a path, or a path,
-- a tab and the Cookie header to send with it (a citizen's session, a language cookie). Every
-- request picks one line at random, so a page is measured over thousands of different URLs or
-- users rather than one. The requests are built once per thread in init(), so picking one costs
-- the load generator no more than a fixed URL.
-- BENCH_COOKIE (environment) is the Cookie header of a fixed-URL run.
-- done() prints one line "BENCH_JSON {...}" that benchmarks/run.py reads: request count,
-- duration, errors (status = answers that were not 2xx/3xx) and latency percentiles in
-- milliseconds, computed by wrk over every request (not sampled).

local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
wrk.headers["Accept-Language"] = "vi"

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

local requests = nil
local count = 0

function init(args)
  local paths = os.getenv("BENCH_PATHS")
  if paths == nil or paths == "" then
    return
  end
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
  requests = {}
  for line in io.lines(paths) do
    if line ~= "" then
      local path, line_cookie = line:match("^([^\t]+)\t(.+)$")
      local headers = nil
      if path == nil then
        path = line
      else
        headers = { ["Cookie"] = line_cookie }
      end
      count = count + 1
      requests[count] = wrk.format("GET", path, headers)
    end
  end
end

if os.getenv("BENCH_PATHS") ~= nil and os.getenv("BENCH_PATHS") ~= "" then
  function request()
    return requests[math.random(count)]
  end
end

function done(summary, latency, requests)
  local percentiles = {}
  for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
    percentiles[#percentiles + 1] = string.format('"p%s": %.3f', tostring(p), latency:percentile(p) / 1000)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_ms": {%s, "mean": %.3f, "max": %.3f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(percentiles, ", "), latency.mean / 1000, latency.max / 1000
  ))
end
