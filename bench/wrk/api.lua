-- wrk script for the Todo API benchmark; bench/runner.py sets everything through the environment:
--   BENCH_OP        list | list_mix | get | create | patch | toggle | update | delete | ceiling
--   BENCH_TOKENS    file with one bearer token per line; line i is bench user i - 1 (bench/seed.py)
--   BENCH_TASKS     tasks per user; user u owns ids u * TASKS + 1 .. (u + 1) * TASKS
--   BENCH_STABLE    the first STABLE tasks of a user are read and updated, the rest are deleted
--   BENCH_DELETE_OFFSET  deletes already spent by earlier runs, so no task is deleted twice
--   BENCH_THREADS   wrk's -t, so threads interleave the delete sequence without overlap
--   BENCH_PACE_MS   0: closed loop; else each connection waits uniform(0, 2 * PACE) ms before a request
--   BENCH_OUT       where done() writes the results as JSON
--   BENCH_HISTOGRAM "1" to include the full latency histogram (merged across processes by the runner)

local op = os.getenv("BENCH_OP") or "list"
local tasks_per_user = tonumber(os.getenv("BENCH_TASKS") or "100")
local stable = tonumber(os.getenv("BENCH_STABLE") or "60")
local delete_offset = tonumber(os.getenv("BENCH_DELETE_OFFSET") or "0")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local pace_ms = tonumber(os.getenv("BENCH_PACE_MS") or "0")

local tokens = {}
local users = 0
local sent = 0
statuses = {}

local threads = {}
local next_tid = 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

function init(args)
   local path = os.getenv("BENCH_TOKENS")
   if path then
      for line in io.lines(path) do
         users = users + 1
         tokens[users] = line
      end
   end
   tid = tid or 0  -- set by setup() as a global of this thread's state
   math.randomseed(os.time() * 1000 + tid * 7919)
end

local TITLES = {"Buy oat milk", "Call the bank", "Renew passport", "Fix the bike", "Plan the trip",
                "Write the report", "Book the dentist", "Pay the rent"}
local TAGS = {"home", "work", "errands", "groceries", "finance", "health", "family", "urgent"}
local PRIORITIES = {"low", "medium", "high"}
local WORDS = {"milk", "report", "passport", "bill", "tickets", "plumber"}
local JSON = "application/json"

local function pick(list)
   return list[math.random(#list)]
end

local function headers(user, body)
   local h = {["Authorization"] = "Bearer " .. tokens[user + 1]}
   if body then
      h["Content-Type"] = JSON
   end
   return h
end

local function random_user()
   return math.random(0, users - 1)
end

-- A task of `user` that is never deleted, so reads and updates always find it.
local function stable_task(user)
   return user * tasks_per_user + math.random(0, stable - 1) + 1
end

local LIST_MIX = {
   {30, "/api/tasks"},
   {15, "/api/tasks?status=pending"},
   {10, "/api/tasks?status=completed"},
   {10, "/api/tasks?sort=due_at"},
   {10, "/api/tasks?sort=-priority&limit=20"},
   {10, "/api/tasks?sort=title&limit=20"},
   {10, "tag"},
   {5, "q"},
}

local function list_mix_path()
   local roll = math.random(100)
   for _, entry in ipairs(LIST_MIX) do
      roll = roll - entry[1]
      if roll <= 0 then
         if entry[2] == "tag" then
            return "/api/tasks?tag=" .. pick(TAGS)
         elseif entry[2] == "q" then
            return "/api/tasks?q=" .. pick(WORDS)
         end
         return entry[2]
      end
   end
   return "/api/tasks"
end

local function create_body()
   local due = ""
   if math.random() < 0.5 then
      due = string.format(',"due_at":"2026-12-%02dT17:00:00+01:00"', math.random(1, 28))
   end
   return string.format('{"title":"%s","priority":"%s","tags":["%s"]%s}',
                        pick(TITLES), pick(PRIORITIES), pick(TAGS), due)
end

local PATCHES = {
   function() return string.format('{"title":"%s"}', pick(TITLES)) end,
   function() return string.format('{"priority":"%s","tags":["%s","%s"]}',
                                   pick(PRIORITIES), TAGS[1], TAGS[2]) end,
   function() return '{"due_at":null,"description":"Updated under load"}' end,
   function() return string.format('{"completed":%s}', math.random() < 0.5 and "true" or "false") end,
}

local function patch(user)
   local body = PATCHES[math.random(#PATCHES)]()
   return wrk.format("PATCH", "/api/tasks/" .. stable_task(user), headers(user, true), body)
end

local function toggle(user)
   return wrk.format("PATCH", "/api/tasks/" .. stable_task(user) .. "/complete", headers(user))
end

local function delete()
   -- Each request gets the next unused position; position p is user p % users, deletable task p / users.
   local position = delete_offset + sent * thread_count + tid
   local user = position % users
   local k = stable + math.floor(position / users)
   return wrk.format("DELETE", "/api/tasks/" .. (user * tasks_per_user + k + 1), headers(user))
end

local BUILDERS = {
   ceiling = function() return wrk.format("GET", "/ceiling") end,
   list = function() local u = random_user(); return wrk.format("GET", "/api/tasks?limit=50", headers(u)) end,
   list_mix = function() local u = random_user(); return wrk.format("GET", list_mix_path(), headers(u)) end,
   get = function() local u = random_user(); return wrk.format("GET", "/api/tasks/" .. stable_task(u), headers(u)) end,
   create = function() local u = random_user(); return wrk.format("POST", "/api/tasks", headers(u, true), create_body()) end,
   patch = function() return patch(random_user()) end,
   toggle = function() return toggle(random_user()) end,
   update = function() local u = random_user(); if math.random() < 0.5 then return patch(u) end return toggle(u) end,
   delete = delete,
}
local build = BUILDERS[op]

function request()
   local r = build()
   sent = sent + 1
   return r
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

if pace_ms > 0 then
   function delay()
      return math.random(0, 2 * pace_ms)
   end
end

function done(summary, latency, requests)
   local out = {}
   local function add(s) out[#out + 1] = s end
   local e = summary.errors
   add(string.format('{"requests":%d,"duration_us":%d,"bytes":%d,', summary.requests, summary.duration, summary.bytes))
   add(string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},',
                     e.connect, e.read, e.write, e.status, e.timeout))
   add(string.format('"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d},',
                     latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
                     latency:percentile(95), latency:percentile(99)))
   local merged = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses") or {}) do
         merged[status] = (merged[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(merged) do
      parts[#parts + 1] = string.format('"%d":%d', status, count)
   end
   add('"statuses":{' .. table.concat(parts, ",") .. '}')
   if os.getenv("BENCH_HISTOGRAM") == "1" then
      local pairs_ = {}
      for i = 1, #latency do
         local value, count = latency(i)
         pairs_[#pairs_ + 1] = string.format("[%d,%d]", value, count)
      end
      add(',"histogram":[' .. table.concat(pairs_, ",") .. ']')
   end
   add("}")
   local file = assert(io.open(os.getenv("BENCH_OUT"), "w"))
   file:write(table.concat(out))
   file:close()
end
