-- POST a JSON body per request: wrk ... -- '<body with {n} where a unique number goes>'
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local template
local sent = 0

function init(args)
   template = args[1]
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   sent = sent + 1
   local body = template:gsub("{n}", thread_number .. "-" .. sent)
   return wrk.format(nil, nil, nil, body)
end
