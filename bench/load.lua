-- wrk script for bench/load.sh: signed-in users mixing reads and writes.
-- Each request takes the next user (cookie, CSRF token, board) round-robin. One request in
-- WRITE_EVERY is a POST of a new outcome (the one-outcome form, /indicators/ID/outcome) to
-- an indicator of that user's board (a unique
-- indicator/week, so every accepted write adds exactly one row and can be counted
-- afterwards); the rest GET pages (LOAD_READS, in turn).
--
-- LOAD_PORTS ("8081 8082"): more than one app process. wrk takes one URL, so each wrk
-- thread is pointed at one of the ports (thread.addr, set in setup): with -t2 and two
-- ports, half the connections go to each process. Users are picked per request,
-- independently of the thread, so every user's requests alternate between the processes
-- (signed in on one, writing and reading on both).
--
-- Without LOAD_USERS it only spreads plain GETs of the URL over LOAD_PORTS (the static-file
-- baseline).
local users, reads, by_board = {}, {}, {}
local threads = {}
local next_id = 0
local write_every = tonumber(os.getenv("WRITE_EVERY") or "10")

function setup(thread)
  thread:set("id", next_id)
  local ports = {}
  for p in (os.getenv("LOAD_PORTS") or ""):gmatch("%d+") do table.insert(ports, p) end
  if #ports > 0 then
    thread.addr = wrk.lookup("127.0.0.1", ports[(next_id % #ports) + 1])[1]
  end
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(out, line) end
  end
  return out
end

function init(args)
  if not os.getenv("LOAD_USERS") then return end
  for _, line in ipairs(lines(os.getenv("LOAD_USERS"))) do
    local cookie, csrf, board = line:match("^(%S+) (%S+) (%S+)$")
    table.insert(users, { cookie = cookie, csrf = csrf, board = board })
  end
  reads = lines(os.getenv("LOAD_READS"))
  -- "board indicator" a line: where the users of each board may write.
  for _, line in ipairs(lines(os.getenv("LOAD_INDICATORS"))) do
    local board, ind = line:match("^(%S+) (%S+)$")
    by_board[board] = by_board[board] or { list = {}, sent = 0 }
    table.insert(by_board[board].list, ind)
  end
  nthreads = tonumber(os.getenv("LOAD_THREADS") or "2")
  -- The server accepts a POST only from its public origin, as browsers name it.
  origin = os.getenv("LOAD_ORIGIN")
  counter, sent, writes_ok, bad = 0, 0, 0, 0
end

-- Only with users: a request() or response() costs wrk time per request (a response()
-- makes it parse every body), which the baseline must not pay.
if os.getenv("LOAD_USERS") then
  function request()
    counter = counter + 1
    local user = users[((counter + id) % #users) + 1]
    if counter % write_every == 0 then
      local b = by_board[user.board]
      -- This thread's n-th write to the board: k is unique per board across threads.
      local k = b.sent * nthreads + id
      b.sent = b.sent + 1
      sent = sent + 1
      local ind = b.list[(k % #b.list) + 1]
      local j = math.floor(k / #b.list)
      local period = string.format("%dW%02d", 2100 + math.floor(j / 52), j % 52 + 1)
      local body = "period=" .. period .. "&breakdown=total&value=" .. (k % 97) ..
        "&margin=&sample_size=&csrf=" .. user.csrf
      return wrk.format("POST", "/indicators/" .. ind .. "/outcome", {
        ["Cookie"] = user.cookie,
        ["Origin"] = origin,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
    end
    local path = reads[(counter % #reads) + 1]
    return wrk.format("GET", path, { ["Cookie"] = user.cookie })
  end

  function response(status, headers, body)
    -- A saved outcome redirects to its indicator as of the period entered; any other
    -- redirect (back to a form, to the sign-in page) is no acknowledged write.
    local location = headers["location"] or headers["Location"] or ""
    if status == 303 and location:find("?period=", 1, true) then
      writes_ok = writes_ok + 1
    elseif status ~= 200 then
      bad = bad + 1
      if bad <= 3 then
        local message = body:match('<p class="error"[^>]*>(.-)</p>') or body:match("<main.-<p>(.-)</p>") or ""
        io.stderr:write(string.format("unexpected status %d: %s\n", status, message:sub(1, 300)))
      end
    end
  end
end

function done(summary, latency, requests)
  if not os.getenv("LOAD_USERS") then return end
  local ok, wrong, posted = 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("writes_ok")
    wrong = wrong + t:get("bad")
    posted = posted + t:get("sent")
  end
  io.write(string.format("LOAD writes_ok=%d writes_sent=%d bad_status=%d\n", ok, posted, wrong))
end
