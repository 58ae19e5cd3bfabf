-- GET the paths of a file in turn, each made new by "&n=<thread>-<count>" so that no answer
-- comes from the page cache: every search is made for its request.
-- Arguments (after wrk's --): a file with one path per line.
function init(args)
   paths = lines(args[1])
   count = 0
end

function request()
   count = count + 1
   local path = paths[(count - 1) % #paths + 1]
   return wrk.format("GET", path .. "&n=" .. index .. "-" .. count)
end
