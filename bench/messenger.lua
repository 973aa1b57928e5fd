-- messenger.lua - wrk script for the Messenger webhook benchmark (bench/messenger.sh).
--
-- MESSENGER_BODIES names a file of pre-signed requests, one per line:
-- "<X-Hub-Signature-256 value>\t<raw JSON body>" (a new message id and a new
-- customer each). Thread i of n sends lines i, i+n, i+2n ... so no two
-- requests repeat while the file lasts. done() prints one "messenger ..." line.

local path = os.getenv("MESSENGER_BODIES")
local inbox = os.getenv("MESSENGER_INBOX") or "1"
local threads, lines, pos, step = {}, {}, 1, 1
local n_threads = 0

function setup(thread)
  n_threads = n_threads + 1
  thread:set("tid", n_threads)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(path, "r"))
  for l in f:lines() do lines[#lines + 1] = l end
  f:close()
  pos = tid
  step = tonumber(os.getenv("MESSENGER_THREADS") or "2")
end

function request()
  local l = lines[pos]
  pos = pos + step
  if pos > #lines then pos = tid end -- wrapped: redeliveries from here on (idempotent)
  local tab = l:find("\t", 1, true)
  local sig, body = l:sub(1, tab - 1), l:sub(tab + 1)
  return wrk.format("POST", "/webhooks/" .. inbox,
    {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sig}, body)
end

function done(summary, latency, requests)
  local function ms(p) return latency:percentile(p) / 1000.0 end
  io.write(string.format(
    "messenger: requests %d rps %.0f p50 %.2f ms p99 %.2f ms max %.2f ms non2xx %d errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), ms(50), ms(99),
    latency.max / 1000.0, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
