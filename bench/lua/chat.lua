-- bench/lua/chat.lua — wrk script: POST a chat completion with a bearer key.
--   BENCH_BODY_FILE  the JSON body to send (default: bench/conf/request.json)
--   BENCH_KEY        the seam virtual key (nginx ignores the header)
--   BENCH_KEY_HEADER authorization (default): "Authorization: Bearer KEY";
--                    x-api-key: "x-api-key: KEY" and "anthropic-version",
--                    as an Anthropic client sends them
-- At the end it prints one machine-readable line that bench/run.sh parses:
--   BENCH requests=N duration_us=N p50_us=N ... status_errors=N ...
-- (latency percentiles straight from wrk's histogram, in microseconds).

local function read_file(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("*a")
    f:close()
    return (s:gsub("%s+$", ""))
end

wrk.method = "POST"
wrk.body = read_file(os.getenv("BENCH_BODY_FILE") or "bench/conf/request.json")
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("BENCH_KEY") or "sk-none"
if os.getenv("BENCH_KEY_HEADER") == "x-api-key" then
    wrk.headers["x-api-key"] = key
    wrk.headers["anthropic-version"] = "2023-06-01"
else
    wrk.headers["Authorization"] = "Bearer " .. key
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d bytes=%d mean_us=%.1f p50_us=%d p90_us=%d " ..
        "p99_us=%d p999_us=%d max_us=%d status_errors=%d connect_errors=%d " ..
        "read_errors=%d write_errors=%d timeouts=%d\n",
        summary.requests, summary.duration, summary.bytes, latency.mean,
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max, e.status, e.connect, e.read, e.write,
        e.timeout))
end
