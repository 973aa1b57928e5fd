-- desk.lua - wrk script for the desk latency benchmark (bench/run.sh, "== desk").
--
-- Environment:
--   DESK_MODE    inbox | detail | search
--   DESK_TOKENS  file with one bearer token per line (one per agent)
--   DESK_CONVS   highest conversation id (detail picks ids 1..DESK_CONVS)
--   DESK_TERMS   file with one search text per line (search mode)
--
-- Every request rotates the agent (token) and, by mode, the conversation id or
-- the search text. done() prints "desk <mode>: p50 X ms p95 Y ms p99 Z ms ..."
-- from wrk's latency histogram, with the count of non-2xx answers and socket errors.

local mode = os.getenv("DESK_MODE") or "inbox"
local tokens, terms = {}, {}
local convs = tonumber(os.getenv("DESK_CONVS") or "1") or 1
local thread_no = 0

local function lines(path)
  local t = {}
  if not path then return t end
  local f = io.open(path, "r")
  if not f then return t end
  for l in f:lines() do
    if #l > 0 then t[#t + 1] = l end
  end
  f:close()
  return t
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function setup(thread)
  thread_no = thread_no + 1
  thread:set("id", thread_no)
end

function init(args)
  tokens = lines(os.getenv("DESK_TOKENS"))
  if #tokens == 0 then error("DESK_TOKENS names no tokens") end
  if mode == "search" then
    local raw = lines(os.getenv("DESK_TERMS"))
    for i = 1, #raw do terms[i] = urlencode(raw[i]) end
    if #terms == 0 then error("DESK_TERMS names no search texts") end
  end
  math.randomseed(os.time() * 1000 + (id or 0))
end

function request()
  local tok = tokens[math.random(#tokens)]
  local path
  if mode == "inbox" then
    path = "/api/v1/conversations?assignee=me&status=open"
  elseif mode == "detail" then
    path = "/api/v1/conversations/" .. math.random(convs)
  else
    path = "/api/v1/search?q=" .. terms[math.random(#terms)]
  end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. tok})
end

function done(summary, latency, requests)
  local function ms(p) return latency:percentile(p) / 1000.0 end
  io.write(string.format(
    "desk %s: requests %d rps %.0f p50 %.2f ms p95 %.2f ms p99 %.2f ms max %.2f ms non2xx %d errors %d\n",
    mode, summary.requests, summary.requests / (summary.duration / 1e6), ms(50), ms(95), ms(99),
    latency.max / 1000.0, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
