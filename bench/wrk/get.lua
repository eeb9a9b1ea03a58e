-- GET the URL wrk was given; report rate and percentiles.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "report"
done = function(summary, latency, requests) report(summary, latency) end
