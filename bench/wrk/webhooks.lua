-- Signed sandbox webhook deliveries from a file ("<Sandbox-Signature>\t<body>" per line),
-- shared out between wrk's threads in order. Each thread writes the event id of every
-- delivery answered 200 to <file>.acked-<thread>, for the ledger check afterwards.
--   wrk -t2 -c32 -d15s -s webhooks.lua http://127.0.0.1:8000 -- deliveries.tsv 2 [pause]
-- With `pause` (ms) each connection waits that long before each request: an offered rate of
-- about connections * 1000 / pause a second, instead of as fast as the app answers.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "report"

local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  threads[#threads + 1] = thread
  counter = counter + 1
end

function init(args)
  local path, count = args[1], tonumber(args[2])
  pause = tonumber(args[3] or "0")
  mine, sent, exhausted = {}, 0, false
  acked = io.open(path .. ".acked-" .. id, "w")
  local n = 0
  for line in io.lines(path) do
    if n % count == id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      mine[#mine + 1] = wrk.format("POST", "/webhooks/sandbox",
        {["Content-Type"] = "application/json", ["Sandbox-Signature"] = signature}, body)
    end
    n = n + 1
  end
end

function delay()
  return pause
end

function request()
  sent = sent + 1
  if sent > #mine then exhausted = true end  -- the file was too short for the run
  return mine[math.min(sent, #mine)]
end

function response(status, headers, body)
  if status == 200 then
    acked:write(body:match('"received":%s*"([^"]+)"') or "?", "\n")
    acked:flush()
  end
end

done = function(summary, latency, requests)
  report(summary, latency)
  for _, thread in ipairs(threads) do
    io.write(string.format("BENCH_THREAD %d %d %s\n", thread:get("id"), thread:get("sent"),
                           tostring(thread:get("exhausted"))))
  end
end
