-- wrk script: replay a file of pre-built GET requests, each exactly once.
--
--   wrk -t 1 -c C -d 120s --latency -s bench/replay.lua URL -- FILE MARKER
--
-- FILE has one request a line: the path, then "Name: value" headers, tab-separated.
-- C connections take the next line as each becomes free, so the server sees each
-- line at most once (the replay guard would refuse a repeat). wrk may skip a line now
-- and then (it asks for a new request when a write has to be retried): the caller
-- counts what the server answered, from its access log. gunicorn's sync workers close
-- every connection; one that reopens after the last line went out sends nothing and
-- idles until wrk exits (with no more connections than workers, it never holds one a
-- real request needs). MARKER.sent appears when the last line has gone out, MARKER
-- when the last response came back: wrk itself sleeps for the whole -d, so the caller
-- sends it SIGINT once the server has answered. done() prints one line,
-- REPLAY-RESULT {json}: responses, statuses other than 200, socket errors, latency
-- p50/p99 in microseconds.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  marker = args[2]
  lines = {}
  for line in io.lines(args[1]) do
    local path, headers = nil, {}
    for field in line:gmatch("[^\t]+") do
      if path == nil then
        path = field
      else
        local name, value = field:match("^([^:]+):%s*(.*)$")
        headers[name] = value
      end
    end
    headers["Accept"] = "application/json"
    lines[#lines + 1] = wrk.format("GET", path, headers)
  end
  sent, received, others = 0, 0, ""
end

function request()
  if sent >= #lines then
    return ""
  end
  sent = sent + 1
  if sent == #lines then
    io.open(marker .. ".sent", "w"):close()
  end
  return lines[sent]
end

function response(status, headers, body)
  received = received + 1
  if status ~= 200 then
    others = others .. status .. " "
  end
  if received == #lines then
    io.open(marker, "w"):close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local responses, sent_total, statuses = 0, 0, {}
  for _, thread in ipairs(threads) do
    responses = responses + thread:get("received")
    sent_total = sent_total + thread:get("sent")
    for status in string.gmatch(thread:get("others"), "%d+") do
      statuses[status] = (statuses[status] or 0) + 1
    end
  end
  local parts = {}
  for status, count in pairs(statuses) do
    parts[#parts + 1] = string.format('"%s": %d', status, count)
  end
  local errors = summary.errors
  io.write(string.format(
    'REPLAY-RESULT {"responses": %d, "sent": %d, "other_statuses": {%s}, ' ..
    '"socket_errors": %d, "errors": "connect %d read %d write %d timeout %d", ' ..
    '"p50_us": %d, "p99_us": %d, "duration_us": %d}\n',
    responses, sent_total, table.concat(parts, ", "),
    errors.connect + errors.read + errors.write + errors.timeout,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(99), summary.duration))
end
