-- POST /donations as the widget's script does (JSON, sandbox provider).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "report"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = '{"amount": "10", "currency": "EUR", "frequency": "once", "provider": "sandbox", ' ..
           '"email": "bench-reader@example.org", "source": "https://news.example/story"}'
done = function(summary, latency, requests) report(summary, latency) end
