-- POST to one path, each request with the next user's signed session cookie.
-- Arguments (after wrk's --): path, a file with one cookie value per line, wrk's thread count.
-- Thread k of n takes users k, k+n, k+2n, ... so no two threads register the same user.
function init(args)
   path = args[1]
   cookies = lines(args[2])
   step = tonumber(args[3])
   position = index + 1
end

function request()
   local cookie = cookies[position]
   position = position + step
   if position > #cookies then
      position = index + 1 -- wrapped: these users are registered already (still a 302)
   end
   return wrk.format("POST", path, {
      ["Cookie"] = "session=" .. cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, "bench=1")
end
