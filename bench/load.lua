-- wrk script for bench/load.sh: signed-in users mixing reads and writes.
-- Each request takes the next user (cookie + CSRF token) round-robin. One request in
-- WRITE_EVERY is a POST of a new outcome (a unique indicator/week, so every accepted
-- write adds exactly one row and can be counted afterwards); the rest GET pages.
local users, reads, indicators = {}, {}, {}
local threads = {}
local next_id = 0
local write_every = tonumber(os.getenv("WRITE_EVERY") or "10")

function setup(thread)
  thread:set("id", next_id)
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
  for _, line in ipairs(lines(os.getenv("LOAD_USERS"))) do
    local cookie, csrf = line:match("^(%S+) (%S+)$")
    table.insert(users, { cookie = cookie, csrf = csrf })
  end
  reads = lines(os.getenv("LOAD_READS"))
  indicators = lines(os.getenv("LOAD_INDICATORS"))
  nthreads = tonumber(os.getenv("LOAD_THREADS") or "2")
  -- The server accepts a POST only from its own origin, as browsers name it.
  origin = os.getenv("LOAD_ORIGIN")
  counter, sent, writes_ok, bad = 0, 0, 0, 0
end

function request()
  counter = counter + 1
  local user = users[((counter * nthreads + id) % #users) + 1]
  if counter % write_every == 0 then
    local k = sent * nthreads + id
    sent = sent + 1
    local ind = indicators[(k % #indicators) + 1]
    local j = math.floor(k / #indicators)
    local period = string.format("%dW%02d", 2100 + math.floor(j / 52), j % 52 + 1)
    local body = "period=" .. period .. "&breakdown=total&value=" .. (k % 97) ..
      "&margin=&sample_size=&csrf=" .. user.csrf
    return wrk.format("POST", "/indicators/" .. ind .. "/outcomes", {
      ["Cookie"] = user.cookie,
      ["Origin"] = origin,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
  end
  local path = reads[(counter % #reads) + 1]
  return wrk.format("GET", path, { ["Cookie"] = user.cookie })
end

function response(status, headers, body)
  if status == 303 then
    writes_ok = writes_ok + 1
  elseif status ~= 200 then
    bad = bad + 1
    if bad <= 3 then
      local message = body:match('<p class="error"[^>]*>(.-)</p>') or body:match("<main.-<p>(.-)</p>") or ""
      io.stderr:write(string.format("unexpected status %d: %s\n", status, message:sub(1, 300)))
    end
  end
end

function done(summary, latency, requests)
  local ok, wrong, posted = 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("writes_ok")
    wrong = wrong + t:get("bad")
    posted = posted + t:get("sent")
  end
  io.write(string.format("LOAD writes_ok=%d writes_sent=%d bad_status=%d\n", ok, posted, wrong))
end
