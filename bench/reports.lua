-- reports.lua - wrk script for the report latency benchmark (bench/reports.sh).
--
-- Environment:
--   REPORT_PATH    the endpoint with its fixed query, e.g. "summary" or "timeseries?by=day"
--   REPORT_PERIOD  day | month | all: a random UTC day, a random 30 days, or the whole range
--   REPORT_BEGIN, REPORT_END  the data's time range, seconds since the epoch
--   REPORT_AGENTS  agent ids, comma-separated (the agent filter picks one)
--   REPORT_INBOX   the inbox id (the inbox filter)
--   DESK_TOKENS    file with one bearer token per line
--   REPORT_LABEL   a label name added to every request (the label-filtered cases)
--
-- Each request takes a random token, a random period of its kind and one of
-- five filter sets in turn: none, agent, priority=high, inbox with
-- business_hours=true, channel=api. done() prints
-- "reports <path> <period>: requests N rps R p50 X ms p95 Y ms p99 Z ms max M ms
-- non2xx K errors E" from wrk's latency histogram.

local path = os.getenv("REPORT_PATH") or "summary"
local period = os.getenv("REPORT_PERIOD") or "all"
local t_begin = tonumber(os.getenv("REPORT_BEGIN") or "0")
local t_end = tonumber(os.getenv("REPORT_END") or "0")
local inbox = os.getenv("REPORT_INBOX") or "1"
local label = os.getenv("REPORT_LABEL")
local tokens, agents = {}, {}
local counter, thread_no = 0, 0
local DAY = 86400

function setup(thread)
  thread_no = thread_no + 1
  thread:set("id", thread_no)
end

function init(args)
  local f = io.open(os.getenv("DESK_TOKENS") or "", "r")
  if f then
    for l in f:lines() do if #l > 0 then tokens[#tokens + 1] = l end end
    f:close()
  end
  if #tokens == 0 then error("DESK_TOKENS names no tokens") end
  for a in (os.getenv("REPORT_AGENTS") or ""):gmatch("%d+") do agents[#agents + 1] = a end
  if #agents == 0 then agents[1] = "1" end
  if t_end <= t_begin then error("REPORT_BEGIN/REPORT_END give no range") end
  math.randomseed(os.time() * 1000 + (id or 0))
  counter = id or 0
end

local function iso(s) return os.date("!%Y-%m-%dT%H:%M:%SZ", s) end

local function range()
  if period == "all" then return t_begin, t_end end
  local len = period == "day" and DAY or 30 * DAY
  local days = math.floor((t_end - t_begin - len) / DAY)
  if days < 1 then return t_begin, t_end end
  local s = math.floor(t_begin / DAY) * DAY + DAY * math.random(days)
  return s, s + len
end

function request()
  counter = counter + 1
  local s, u = range()
  local f = counter % 5
  local q = "since=" .. iso(s) .. "&until=" .. iso(u)
  if f == 1 then
    q = q .. "&agent=" .. agents[math.random(#agents)]
  elseif f == 2 then
    q = q .. "&priority=high"
  elseif f == 3 then
    q = q .. "&inbox=" .. inbox .. "&business_hours=true"
  elseif f == 4 then
    q = q .. "&channel=api"
  end
  if label and #label > 0 then q = q .. "&label=" .. label end
  local sep = path:find("?", 1, true) and "&" or "?"
  return wrk.format("GET", "/api/v1/reports/" .. path .. sep .. q,
                    {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]})
end

function done(summary, latency, requests)
  local function ms(p) return latency:percentile(p) / 1000.0 end
  io.write(string.format(
    "reports %s%s %s: requests %d rps %.0f p50 %.2f ms p95 %.2f ms p99 %.2f ms max %.2f ms non2xx %d errors %d\n",
    path, (label and #label > 0) and (" label=" .. label) or "", period, summary.requests, summary.requests / (summary.duration / 1e6), ms(50), ms(95),
    ms(99), latency.max / 1000.0, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
