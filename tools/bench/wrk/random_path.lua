-- GET a path picked at random per request from a file of paths (one a line): wrk ... -- <file>
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local paths = {}

function init(args)
   for line in io.lines(args[1]) do
      paths[#paths + 1] = line
   end
   math.randomseed(os.time() * 100 + thread_number)
end

function request()
   return wrk.format("GET", paths[math.random(#paths)])
end
