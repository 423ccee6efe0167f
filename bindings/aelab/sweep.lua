-- Sweeps: one script run over a grid of settings and seeds, each run a
-- separate process with a folder of its own, on this machine (N at a time)
-- or as a Slurm job array; then the runs compared, mean ± sd over seeds.
--
--   ./aelab sweep grid.lua            run what is not done yet, here
--   ./aelab sweep grid.lua --slurm    write a job-array script and sbatch it
--   ./aelab sweep status grid.lua     each run's state
--   ./aelab sweep collect grid.lua    every run's settings and metrics → results.csv
--   ./aelab sweep report grid.lua     the comparison: report.md, summary.csv, a figure
--
-- A sweep file returns a table:
--
--   return {
--     name = "dae",                       -- out/<name>/ (default: the file's name)
--     script = "lessons/sweeps/dae_run.lua", -- what each run runs (beside the sweep file or from here)
--     grid = { noise = {0, 0.25, 0.5}, code = {8, 32} },  -- every combination …
--     runs = { {noise = 0.75, code = 32} },                -- … and/or listed settings
--     seeds = {1, 2, 3},                  -- every setting once per seed (default {42})
--     quick = false, args = {},           -- --quick for every run; the script's own arguments
--     metrics = {"test_mse"},             -- what the comparison shows (default: every number)
--     report = { metric = "test_mse", x = "noise", lines = "code" },   -- its figure
--     parallel = 2, threads = 1,          -- local runner: runs at a time, threads each
--     slurm = { cpus = 2, time = "00:10:00", mem = "2G", partition = "short",
--               max_parallel = 8, options = {"--qos=normal"} },
--   }
--
-- A run is `aelab --threads T --seed S --run out/<name>/<run-id> script`;
-- the script reads its settings with ae.sweep.settings{noise = 0.3, ...}
-- (the defaults; a run's settings.json overrides them, and so do key=value
-- arguments when the script is run by hand). A lesson run that way writes
-- its report, metrics.json, figures and models into the run's folder.
--
-- Files of a sweep (out/<name>/): manifest.json (the runs, their settings
-- and state: written whole by whoever changes it), <run-id>/settings.json,
-- <run-id>/state.json (written by the process that runs the run: the one
-- record a Slurm task and the local runner share), <run-id>/log.txt, and
-- what the script writes. A run is finished when its state is "done";
-- running the sweep again skips those and starts the others afresh.
local ae = require "aelab"
local sys = require "aelab.sys"
local json = require "aelab.json"
local optcheck = require "aelab.optcheck"

local M = {}

local SWEEP_KEYS = { "args", "description", "grid", "metrics", "name", "out", "parallel", "quick", "report", "runs",
  "script", "seeds", "slurm", "threads" }
local REPORT_KEYS = { "higher_is_better", "lines", "metric", "x" }
local SLURM_KEYS = { "cpus", "max_parallel", "mem", "options", "partition", "time" }

local function fail(msg, level) error(msg, (level or 1) + 1) end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function write_json(path, v)
  local ok, err = sys.write_file(path, json.encode(v, "  ") .. "\n")
  if not ok then error(err, 0) end
end

local function read_json(path)
  local s = read_file(path)
  if not s then return nil end
  local ok, v = pcall(json.decode, s)
  if ok then return v end
  return nil, string.format("%s is not valid JSON (%s)", path, tostring(v))
end

local function is_abs(path) return path:sub(1, 1) == "/" end
-- getcwd(3): $PWD is the shell's, stale under make -C or a spawn's own folder
local function cwd() return sys.getcwd() or os.getenv("PWD") or "." end
local function absolute(path) return is_abs(path) and path or (cwd() .. "/" .. path):gsub("/%./", "/") end
local function dirname(path) return path:match("^(.*)/[^/]*$") or "." end
local function exists(path) local f = io.open(path, "rb") if f then f:close() return true end return false end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

-- A value as a run id and a table show it: 0.25, 32, true, "relu".
local function show(v)
  if math.type(v) == "float" then
    local s = string.format("%.6g", v)
    return s
  end
  return tostring(v)
end

---------------------------------------------------------------------------
-- The sweep file and its runs
---------------------------------------------------------------------------

local function check_value(v, where)
  local t = type(v)
  if t ~= "number" and t ~= "string" and t ~= "boolean" then
    fail(string.format("%s: a setting's value must be a number, a string or a boolean, got %s", where, t), 3)
  end
  if t == "number" and (v ~= v or math.abs(v) == math.huge) then fail(where .. ": a setting cannot be NaN or infinite", 3) end
end

local function check_name(k, where)
  if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then
    fail(string.format("%s: setting names are identifiers (letters, digits, _), got %s", where, tostring(k)), 3)
  end
end

-- load(path [, {out =}]) → the sweep, checked, with every path resolved;
-- out (the command line's --out) wins over the file's own
function M.load(path, o)
  if type(path) ~= "string" then fail("sweep: needs the path of a sweep file (a Lua file returning a table)", 2) end
  local chunk, err = loadfile(path, "t")
  if not chunk then fail("sweep: " .. tostring(err), 2) end
  local ok, sw = pcall(chunk)
  if not ok then fail("sweep: " .. path .. " raised an error: " .. tostring(sw), 2) end
  if type(sw) ~= "table" then fail("sweep: " .. path .. " must return a table {script = ..., grid = {...}, seeds = {...}}", 2) end
  optcheck.check("sweep " .. path, sw, SWEEP_KEYS, 2)
  local name = sw.name or path:match("([^/]+)%.lua$") or path:match("([^/]+)$")
  if type(name) ~= "string" or not name:match("^[%w][%w_.-]*$") then
    fail("sweep: name must be letters, digits, '_', '-' or '.' (it names the folder out/<name>), got " .. tostring(name), 2)
  end
  if type(sw.script) ~= "string" then fail("sweep " .. path .. ": script = 'path/to/script.lua' is missing", 2) end
  local script = sw.script
  if not is_abs(script) and not exists(script) and exists(dirname(path) .. "/" .. script) then
    script = dirname(path) .. "/" .. script
  end
  if not exists(script) then fail("sweep " .. path .. ": script " .. sw.script .. " not found (beside the sweep file or from here)", 2) end
  local grid = sw.grid or {}
  if type(grid) ~= "table" then fail("sweep: grid must be a table {setting = {values...}}", 2) end
  for _, k in ipairs(sorted_keys(grid)) do
    check_name(k, "sweep: grid")
    local vs = grid[k]
    if type(vs) ~= "table" or #vs == 0 then fail(string.format("sweep: grid.%s must be a non-empty list of values", k), 2) end
    for _, v in ipairs(vs) do check_value(v, "sweep: grid." .. k) end
  end
  local listed = sw.runs or {}
  if type(listed) ~= "table" then fail("sweep: runs must be a list of settings tables", 2) end
  for i, r in ipairs(listed) do
    if type(r) ~= "table" then fail(string.format("sweep: runs[%d] must be a table of settings", i), 2) end
    for k, v in pairs(r) do check_name(k, string.format("sweep: runs[%d]", i)); check_value(v, string.format("sweep: runs[%d].%s", i, k)) end
  end
  local seeds = sw.seeds or { ae.options.seed or 42 }
  if type(seeds) ~= "table" or #seeds == 0 then fail("sweep: seeds must be a non-empty list of integers", 2) end
  for _, s in ipairs(seeds) do
    if math.type(s) ~= "integer" then fail("sweep: seeds must be integers, got " .. tostring(s), 2) end
  end
  for _, k in ipairs { "parallel", "threads" } do
    local v = sw[k]
    if v ~= nil and (math.type(v) ~= "integer" or v < 1 or v > 256) then fail("sweep: " .. k .. " must be an integer in 1..256", 2) end
  end
  local args = sw.args or {}
  if type(args) ~= "table" then fail("sweep: args must be a list of strings", 2) end
  for _, a in ipairs(args) do if type(a) ~= "string" then fail("sweep: args must be strings", 2) end end
  if sw.report ~= nil then
    if type(sw.report) ~= "table" then fail("sweep: report must be a table {metric =, x =, lines =}", 2) end
    optcheck.check("sweep: report", sw.report, REPORT_KEYS, 2)
  end
  if sw.metrics ~= nil and type(sw.metrics) ~= "table" then fail("sweep: metrics must be a list of metric names", 2) end
  if sw.slurm ~= nil then
    if type(sw.slurm) ~= "table" then fail("sweep: slurm must be a table {cpus =, time =, mem =, ...}", 2) end
    optcheck.check("sweep: slurm", sw.slurm, SLURM_KEYS, 2)
  end
  -- the figure's axes are settings of this sweep
  local names = sorted_keys(grid)
  for _, r in ipairs(listed) do for k in pairs(r) do names[#names + 1] = k end end
  for _, k in ipairs { "x", "lines" } do
    local v = sw.report and sw.report[k]
    if v ~= nil then
      local known = false
      for _, n in ipairs(names) do known = known or n == v end
      if not known then
        local near = type(v) == "string" and optcheck.nearest(v, names)
        fail(string.format("sweep: report.%s = %s is not a setting of this sweep%s; its settings: %s", k,
          tostring(v), near and (" (did you mean '" .. near .. "'?)") or "",
          #names > 0 and table.concat(names, ", ") or "none (no grid, no runs)"), 2)
      end
    end
  end
  local out = o and o.out or sw.out or ae.options.out or "out"
  return {
    file = absolute(path), name = name, script = absolute(script), grid = grid, listed = listed, seeds = seeds,
    quick = (sw.quick or ae.options.quick) and true or false, args = args, metrics = sw.metrics, report = sw.report or {},
    parallel = sw.parallel, threads = sw.threads, slurm = sw.slurm or {}, description = sw.description,
    dir = absolute(out .. "/" .. name),
  }
end

-- The id of a run: its settings in name order, then the seed
-- (code-32_noise-0.25_seed-1), made file-safe.
local function run_id(settings, seed)
  local parts = {}
  for _, k in ipairs(sorted_keys(settings)) do
    parts[#parts + 1] = k .. "-" .. show(settings[k]):gsub("[^%w.+-]", "-")
  end
  parts[#parts + 1] = "seed-" .. seed
  return table.concat(parts, "_")
end

-- expand(sw) → runs: every combination of the grid (names in order, the
-- last one varying fastest), then the listed ones, each once per seed.
function M.expand(sw)
  local keys = sorted_keys(sw.grid)
  local combos = { {} }
  if #keys == 0 and #sw.listed > 0 then combos = {} end
  for _, k in ipairs(keys) do
    local next = {}
    for _, c in ipairs(combos) do
      for _, v in ipairs(sw.grid[k]) do
        local d = {}
        for kk, vv in pairs(c) do d[kk] = vv end
        d[k] = v
        next[#next + 1] = d
      end
    end
    combos = next
  end
  for _, r in ipairs(sw.listed) do
    local d = {}
    for k, v in pairs(r) do d[k] = v end
    combos[#combos + 1] = d
  end
  local runs, seen = {}, {}
  for _, settings in ipairs(combos) do
    for _, seed in ipairs(sw.seeds) do
      local id = run_id(settings, seed)
      if seen[id] then
        local a, b = seen[id], settings
        local same = true
        for k, v in pairs(a) do same = same and b[k] == v end
        for k, v in pairs(b) do same = same and a[k] == v end
        if same then error("sweep: two runs have the same settings and seed: " .. id, 0) end
        local function show_all(t)
          local p = {}
          for _, k in ipairs(sorted_keys(t)) do p[#p + 1] = k .. " = " .. string.format("%q", t[k]) end
          return "{" .. table.concat(p, ", ") .. "}"
        end
        error(string.format("sweep: the runs %s and %s (seed %d) would share the folder %s: a folder name keeps " ..
          "letters, digits, '.', '+' and '-' of a value and turns the rest into '-'; make the values differ in " ..
          "those", show_all(a), show_all(b), seed, id), 0)
      end
      seen[id] = settings
      runs[#runs + 1] = { index = #runs + 1, id = id, settings = settings, seed = seed }
    end
  end
  return runs
end

---------------------------------------------------------------------------
-- One run: what starts it and what records how it ended (both runners)
---------------------------------------------------------------------------

local function run_dir(sw, run) return sw.dir .. "/" .. run.id end

-- The state a run's folder records: {state = "done"|"failed"|"interrupted"|"running", ...} or pending.
function M.state(sw, run)
  local st = read_json(run_dir(sw, run) .. "/state.json")
  if type(st) ~= "table" or type(st.state) ~= "string" then return { state = "pending" } end
  return st
end

local function host()
  local s = read_file("/proc/sys/kernel/hostname")
  return s and s:gsub("%s+$", "") or "?"
end

-- The aelab binary that runs each run: this very program.
local function aelab_bin() return ae.options.exe or (ae.options.home .. "/aelab") end

-- The BLIS variables this host set for itself (ae.options.host_env; not the
-- user's): a child must choose for itself, on its own node, as a fresh
-- process does. A child is started through `env -u NAME ...` (an argument
-- vector, no shell); a job script unsets them.
local function host_env() return ae.options.host_env or {} end
-- without_host_env(argv) → argv, or {"env", "-u", NAME, ..., argv...} when
-- the host set BLIS variables for itself.
local function without_host_env(argv)
  local names = host_env()
  if #names == 0 then return argv end
  local out = { "env" }
  for _, n in ipairs(names) do out[#out + 1] = "-u" out[#out + 1] = n end
  for _, a in ipairs(argv) do out[#out + 1] = a end
  return out
end
M.without_host_env = without_host_env

-- start(sw, run, threads) → Process: a fresh folder, settings.json,
-- state "running", then the script as a child process with its output in log.txt.
function M.start(sw, run, threads)
  local dir = run_dir(sw, run)
  sys.remove_tree(dir) -- a failed or stopped attempt: start afresh
  local ok, err = sys.mkdir(dir)
  if not ok then error("sweep: cannot make the run's folder: " .. err, 0) end
  write_json(dir .. "/settings.json", { sweep = sw.name, id = run.id, seed = run.seed, settings = run.settings })
  write_json(dir .. "/state.json", { state = "running", host = host(), started = os.time(), threads = threads })
  local argv = { aelab_bin(), "--threads", tostring(threads), "--seed", tostring(run.seed), "--run", dir }
  if sw.quick then argv[#argv + 1] = "--quick" end
  argv[#argv + 1] = "--"
  argv[#argv + 1] = sw.script
  for _, a in ipairs(sw.args) do argv[#argv + 1] = a end
  local p, why = sys.spawn(without_host_env(argv), { log = dir .. "/log.txt" })
  if not p then
    write_json(dir .. "/state.json", { state = "failed", host = host(), error = why })
    return nil, why
  end
  run.t0 = sys.clock()
  return p
end

-- finish(sw, run, ok, how, code) records how the child ended.
function M.finish(sw, run, ok, how, code, state)
  state = state or ok and "done" or ((how == "exit" and code == 130) or (how == "signal" and code == 2)) and "interrupted"
    or "failed"
  local st = M.state(sw, run)
  st.state, st.exit, st.how = state, code, how
  st.seconds = run.t0 and (sys.clock() - run.t0) or nil
  st.finished = os.time()
  write_json(run_dir(sw, run) .. "/state.json", st)
  return state
end

-- A sweep's folder holds runs of one kind: --quick ones are not the real ones.
local function check_same_kind(sw)
  local m = read_json(sw.dir .. "/manifest.json")
  if type(m) == "table" and m.quick ~= nil and m.quick ~= sw.quick then
    local function kind(q) return q and "--quick runs" or "full runs (not --quick)" end
    error(string.format("sweep: %s holds %s and this is a sweep of %s: put these runs in another folder " ..
      "(aelab sweep %s --out DIR), or remove that one", sw.dir, kind(m.quick), kind(sw.quick), sw.file or "grid.lua"), 0)
  end
end

-- One runner per sweep at a time: an flock on out/<sweep>/.lock, held while
-- the runner runs (released when it ends, however it ends).
local function take_lock(sw)
  local ok, err = sys.mkdir(sw.dir)
  if not ok then error("sweep: cannot make " .. sw.dir .. ": " .. err, 0) end
  local lock, why = sys.lock(sw.dir .. "/.lock")
  if lock then return lock end
  if why == "busy" then
    error(string.format("sweep: another runner is working on %s now (it holds %s/.lock); wait for it to end, " ..
      "or stop it first", sw.dir, sw.dir), 0)
  end
  error("sweep: " .. why, 0)
end

-- The manifest: every run with its settings and state, written whole.
-- `extra` (a runner starting) also sets what the runs are run with: the
-- script, --quick and the arguments, which a Slurm task reads from here
-- whatever its own options; status and collect only update the states.
local function write_manifest(sw, runs, extra)
  local old = read_json(sw.dir .. "/manifest.json")
  local m = type(old) == "table" and old or {}
  m.sweep, m.seeds, m.description = sw.name, sw.seeds, sw.description
  if extra or not m.file then m.file, m.script, m.args = sw.file, sw.script, sw.args end
  -- only a runner says what kind of runs the folder holds (status on a sweep never run does not)
  if extra then m.quick = sw.quick end
  m.updated = os.date("!%Y-%m-%dT%H:%M:%SZ")
  for k, v in pairs(extra or {}) do m[k] = v end
  m.runs = {}
  for i, r in ipairs(runs) do
    local st = M.state(sw, r)
    m.runs[i] = { id = r.id, seed = r.seed, settings = r.settings, state = st.state, exit = st.exit,
      seconds = st.seconds, host = st.host }
  end
  local ok, err = sys.mkdir(sw.dir)
  if not ok then error("sweep: cannot make " .. sw.dir .. ": " .. err, 0) end
  write_json(sw.dir .. "/manifest.json", m)
  return m
end
M.write_manifest = write_manifest

local fmt_time = require("aelab.progress").fmt_time

---------------------------------------------------------------------------
-- The local runner
---------------------------------------------------------------------------

-- run_local(sw, {parallel =, threads =, verbose =, cores =}) → counts {done,
-- failed, skipped, interrupted, parallel, threads, warning}. N at a time: by
-- default as many as the cores (the machine's, or the host's --threads) hold
-- at the threads asked for (1), never more than the runs left; each run gets
-- cores / N threads unless told; a warning when N × threads > cores.
function M.run_local(sw, o)
  o = o or {}
  optcheck.check("sweep.run_local", o, { "cores", "parallel", "threads", "verbose" }, 2)
  local runs = M.expand(sw)
  local cores = o.cores or ae.threads()
  check_same_kind(sw)
  local lock <close> = take_lock(sw)
  local todo, skipped = {}, 0
  for _, r in ipairs(runs) do
    if M.state(sw, r).state == "done" then skipped = skipped + 1 else todo[#todo + 1] = r end
  end
  -- as many at a time as the cores hold at the threads asked for (one each
  -- by default), never more than the runs left; the cores split among them
  local asked = o.threads or sw.threads
  local parallel = o.parallel or sw.parallel or math.max(1, cores // (asked or 1))
  parallel = math.max(1, math.min(parallel, #todo))
  local threads = asked or math.max(1, cores // parallel)
  write_manifest(sw, runs, { runner = "local", parallel = parallel, threads = threads })
  local say = o.verbose == false and function() end or function(...) print(string.format(...)) io.stdout:flush() end
  local warning
  if #todo > 0 and parallel * threads > cores then
    warning = string.format("%d runs at a time × %d threads = %d threads on %d cores: spinning threads slow each " ..
      "other down; use --parallel %d or --threads %d", parallel, threads, parallel * threads, cores,
      math.max(1, cores // threads), math.max(1, cores // parallel))
    if o.verbose ~= false then io.stderr:write("aelab sweep: warning: ", warning, "\n") end
  end
  say("sweep %s: %d runs (%s × %d seed%s) in %s", sw.name, #runs, #runs // #sw.seeds == 1 and "1 setting" or
    (#runs // #sw.seeds) .. " settings", #sw.seeds, #sw.seeds == 1 and "" or "s", sw.dir)
  if skipped > 0 then say("  %d already done, skipped (their folders are kept)", skipped) end
  say("  %d to run, %d at a time with %d thread%s each", #todo, parallel, threads, threads == 1 and "" or "s")
  local counts = { done = 0, failed = 0, skipped = skipped, interrupted = 0, seconds = 0, warning = warning,
    parallel = parallel, threads = threads }
  local running, nexti, t0 = {}, 1, sys.clock()
  local tty = o.verbose ~= false and sys.isatty(1)
  local last_line
  local function progress(force)
    if o.verbose == false then return end
    local finished = counts.done + counts.failed
    local el = sys.clock() - t0
    local left = finished > 0 and el / finished * (#todo - finished) or nil
    local line = string.format("[sweep %s] %d/%d done, %d running, %d failed · %s elapsed%s", sw.name,
      counts.done + skipped, #runs, #running, counts.failed, fmt_time(el), left and (", ~" .. fmt_time(left) .. " left") or "")
    if tty then
      io.stdout:write("\r", line, "\27[K")
      io.stdout:flush()
    elseif force or finished ~= last_line then -- not on a terminal: a line when a run ends
      print(line)
      io.stdout:flush()
    end
    last_line = finished
  end
  local function ended(entry, ok, how, code, text)
    local state = M.finish(sw, entry.run, ok, how, code)
    counts[state] = (counts[state] or 0) + 1
    if state == "failed" then
      if tty then io.stdout:write("\n") end
      say("  run %s failed (%s %d): see %s/log.txt", entry.run.id, how, code, run_dir(sw, entry.run))
    end
  end
  local ok, err = pcall(function()
    while nexti <= #todo or #running > 0 do
      while #running < parallel and nexti <= #todo do
        local r = todo[nexti]
        nexti = nexti + 1
        local p, why = M.start(sw, r, threads)
        if p then
          running[#running + 1] = { run = r, p = p }
        else
          counts.failed = counts.failed + 1
          say("  run %s could not start: %s", r.id, why)
        end
        progress()
      end
      for i = #running, 1, -1 do
        local e = running[i]
        local pok, how, code, text = e.p:poll()
        if pok ~= nil then
          table.remove(running, i)
          ended(e, pok, how, code, text)
          progress()
        end
      end
      sys.sleep(0.1)
    end
  end)
  if not ok then
    -- Ctrl-C (or an error of ours): the children got the terminal's SIGINT
    -- too; give them a moment to write what they have, then ask them again,
    -- then stop them. Their runs are recorded as interrupted.
    if tty then io.stdout:write("\n") end
    local deadline, asked = sys.clock() + 2, false
    while #running > 0 do
      for i = #running, 1, -1 do
        local e = running[i]
        local pok, how, code = e.p:poll()
        if pok ~= nil then
          table.remove(running, i)
          local state = M.finish(sw, e.run, pok, how, code, not pok and "interrupted" or nil)
          counts[state] = counts[state] + 1
        end
      end
      if #running > 0 and sys.clock() > deadline then
        for _, e in ipairs(running) do e.p:kill(asked and "kill" or "int") end
        deadline, asked = sys.clock() + 20, true
      end
      -- a second Ctrl-C here ends the runner at once (lsignal.c's SIG_DFL)
      pcall(sys.sleep, 0.05)
    end
    pcall(write_manifest, sw, runs)
    say("sweep %s: stopped; %d run%s interrupted, %d done. Run the same command again to finish the rest.",
      sw.name, counts.interrupted, counts.interrupted == 1 and "" or "s", counts.done + skipped)
    error(err, 0)
  end
  counts.seconds = sys.clock() - t0
  progress(true)
  if tty then io.stdout:write("\n") end
  write_manifest(sw, runs)
  say("sweep %s: %d done, %d failed, %d skipped in %.1f s; manifest: %s/manifest.json", sw.name, counts.done,
    counts.failed, skipped, counts.seconds, sw.dir)
  return counts
end

---------------------------------------------------------------------------
-- The Slurm runner: a job array, one task per run
---------------------------------------------------------------------------

-- A word for bash, single-quoted ('it'\''s').
local function sh_quote(s)
  if s:find("[%z\n\r]") then error("sweep: a path with a newline or NUL cannot go into a job script: " .. s, 0) end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- #SBATCH lines are read by sbatch word by word: a value there must be one plain word.
local function sbatch_word(v, what)
  local s = tostring(v)
  if s == "" or s:find("[%s'\"\\%%$`]") then
    error(string.format("sweep: %s '%s' cannot go on an #SBATCH line (no spaces, quotes, $ or %%)", what, s), 0)
  end
  return s
end

-- job_script(sw, runs) → the text of the sbatch script: one array task per
-- run of runs (1..#runs), each looked up by the id the script names for its
-- task (the ids are fixed when the script is written; the manifest may be
-- rewritten by status or another submission before a task starts).
function M.job_script(sw, runs)
  local s = sw.slurm
  local cpus = s.cpus or sw.threads or 1
  if math.type(cpus) ~= "integer" or cpus < 1 then error("sweep: slurm.cpus must be a positive integer", 0) end
  if #runs == 0 then error("sweep: a job script needs at least one run", 0) end
  local array = "1-" .. #runs
  if s.max_parallel then
    if math.type(s.max_parallel) ~= "integer" or s.max_parallel < 1 then error("sweep: slurm.max_parallel must be a positive integer", 0) end
    array = array .. "%" .. s.max_parallel
  end
  local lines = {
    "#!/bin/bash",
    "# Written by `aelab sweep --slurm` for the sweep " .. sw.name .. ": one array task per run;",
    "# each task runs `aelab sweep task <manifest> <run id>` (see bindings/aelab/sweep.lua).",
    "#SBATCH --job-name=aelab-" .. sbatch_word(sw.name, "the sweep's name"),
    "#SBATCH --array=" .. array,
    "#SBATCH --cpus-per-task=" .. cpus,
    "#SBATCH --ntasks=1",
    "#SBATCH --chdir=" .. sbatch_word(cwd(), "the folder the sweep is run from"),
    "#SBATCH --output=" .. sbatch_word(sw.dir, "the sweep's folder") .. "/slurm-%A_%a.out",
  }
  if s.time then lines[#lines + 1] = "#SBATCH --time=" .. sbatch_word(s.time, "slurm.time") end
  if s.mem then lines[#lines + 1] = "#SBATCH --mem=" .. sbatch_word(s.mem, "slurm.mem") end
  if s.partition then lines[#lines + 1] = "#SBATCH --partition=" .. sbatch_word(s.partition, "slurm.partition") end
  for _, opt in ipairs(s.options or {}) do
    local w = sbatch_word(opt, "slurm.options entry")
    if not w:match("^%-%-%a") then error("sweep: slurm.options entries are sbatch long options ('--qos=normal'), got " .. w, 0) end
    lines[#lines + 1] = "#SBATCH " .. w
  end
  lines[#lines + 1] = ""
  if #host_env() > 0 then
    lines[#lines + 1] = "# set by aelab on the submitting host for itself, not by you: each node chooses its own"
    lines[#lines + 1] = "unset " .. table.concat(host_env(), " ")
  end
  lines[#lines + 1] = "# the runs of this submission, task i → ids[i-1]"
  lines[#lines + 1] = "ids=("
  for _, r in ipairs(runs) do lines[#lines + 1] = "  " .. sh_quote(r.id) end
  lines[#lines + 1] = ")"
  -- --sweep: the tool, whatever the folder the task starts in holds (a file named sweep)
  lines[#lines + 1] = string.format("exec %s --threads %d --sweep task %s \"${ids[SLURM_ARRAY_TASK_ID-1]}\"",
    sh_quote(aelab_bin()), cpus, sh_quote(sw.dir .. "/manifest.json"))
  return table.concat(lines, "\n") .. "\n"
end

-- slurm_job_queued(job, log) → true when squeue lists the job (pending or
-- running), false when not, nil when squeue cannot tell (not a Slurm host)
function M.slurm_job_queued(job, log)
  if not tostring(job):match("^%d+$") or not sys.which("squeue") then return nil end
  local p = sys.spawn({ "squeue", "-h", "-j", tostring(job), "-o", "%i" }, { log = log })
  if not p then os.remove(log) return nil end
  local ok = p:close()
  local text = read_file(log) or ""
  os.remove(log)
  if not ok then return text:find("Invalid job id") and false or nil end
  return text:find("%d") ~= nil
end

-- run_slurm(sw, {dry_run =, force =}) → job id (nil with dry_run), script path
function M.run_slurm(sw, o)
  o = o or {}
  optcheck.check("sweep.run_slurm", o, { "dry_run", "force", "parallel", "slurm", "threads" }, 2)
  local runs = M.expand(sw)
  check_same_kind(sw)
  local lock <close> = take_lock(sw)
  -- a job of this sweep still in the queue would run the same runs again
  local old = read_json(sw.dir .. "/manifest.json")
  local queued = type(old) == "table" and old.slurm_job and M.slurm_job_queued(old.slurm_job, sw.dir .. "/.squeue.out")
  if queued and not o.force then
    error(string.format("sweep: Slurm job %s of this sweep is still queued or running (squeue): submitting again " ..
      "would run its runs twice; wait for it, scancel %s, or add --force", old.slurm_job, old.slurm_job), 0)
  end
  local todo = {}
  for _, r in ipairs(runs) do
    if M.state(sw, r).state ~= "done" then todo[#todo + 1] = r end
  end
  write_manifest(sw, runs, { runner = "slurm" })
  local path = sw.dir .. "/job.sbatch"
  if #todo == 0 then
    print(string.format("sweep %s: all %d runs are done; nothing to submit", sw.name, #runs))
    return nil, nil
  end
  local ok, err = sys.write_file(path, M.job_script(sw, todo))
  if not ok then error(err, 0) end
  print(string.format("sweep %s: job script for %d of %d runs: %s", sw.name, #todo, #runs, path))
  if o.dry_run then
    print("  --dry-run: not submitted; submit it with: sbatch " .. path)
    return nil, path
  end
  if not sys.which("sbatch") then error("sweep --slurm: sbatch is not on PATH (this machine is no Slurm submit host); " ..
    "--dry-run writes the script only", 0) end
  local log = sw.dir .. "/.sbatch.out"
  local p, why = sys.spawn(without_host_env { "sbatch", "--parsable", path }, { log = log })
  if not p then error("sweep: " .. why, 0) end
  local pok, how, code = p:close()
  local text = read_file(log) or ""
  os.remove(log)
  if not pok then error(string.format("sweep: sbatch failed (%s %d): %s", how, code, text), 0) end
  local job = text:match("^%s*(%d+)")
  if not job then error("sweep: sbatch printed no job id: " .. text, 0) end
  write_manifest(sw, runs, { runner = "slurm", slurm_job = job, submitted = os.date("!%Y-%m-%dT%H:%M:%SZ") })
  print(string.format("  submitted: job %s (%d array tasks); `./aelab sweep status %s` follows it", job, #todo,
    sw.file))
  return job, path
end

-- task(manifest, id): one array task, on the node Slurm chose. The run is
-- looked up by its id (the job script's, fixed at submission); what it runs
-- (script, --quick, arguments) is the manifest's, written when the sweep was
-- submitted: the sweep file is not read again (it may have changed since).
function M.task(manifest_path, id)
  local m, err = read_json(manifest_path)
  if type(m) ~= "table" or type(m.runs) ~= "table" then
    error("sweep task: cannot read " .. manifest_path .. (err and (": " .. err) or " (not a sweep's manifest)"), 0)
  end
  if type(id) ~= "string" or id == "" then error("sweep task: which run? (an id from the job script)", 0) end
  local i, r
  for k, e in ipairs(m.runs) do
    if e.id == id then i, r = k, e break end
  end
  if not r then
    error(string.format("sweep task: no run '%s' in %s (its %d runs are another set now: the sweep file changed " ..
      "since the job was submitted?); not run", id, manifest_path, #m.runs), 0)
  end
  if type(m.script) ~= "string" then error("sweep task: " .. manifest_path .. " names no script", 0) end
  local sw = { name = m.sweep, dir = dirname(manifest_path), script = m.script, quick = m.quick and true or false,
    args = type(m.args) == "table" and m.args or {} }
  local run = { index = i, id = r.id, seed = r.seed, settings = r.settings }
  local threads = math.tointeger(tonumber(os.getenv("SLURM_CPUS_PER_TASK") or "")) or ae.threads()
  print(string.format("sweep %s: run %d/%d %s on %s with %d thread%s", m.sweep, i, #m.runs, r.id, host(), threads,
    threads == 1 and "" or "s"))
  local p, why = M.start(sw, run, threads)
  if not p then error("sweep task: " .. why, 0) end
  local ok, how, code = p:close()
  local state = M.finish(sw, run, ok, how, code)
  print(string.format("sweep %s: run %s %s (%s %d)", m.sweep, r.id, state, how, code))
  return state == "done"
end

---------------------------------------------------------------------------
-- status, collect, report
---------------------------------------------------------------------------

-- status(sw) → {runs = {...with state}, counts = {state → n}}; prints a table
function M.status(sw, o)
  o = o or {}
  optcheck.check("sweep.status", o, { "verbose" }, 2)
  local runs = M.expand(sw)
  local m = write_manifest(sw, runs)
  local counts = {}
  for _, r in ipairs(m.runs) do counts[r.state] = (counts[r.state] or 0) + 1 end
  if o.verbose ~= false then
    print(string.format("sweep %s (%s runner%s): %d runs in %s", sw.name, m.runner or "no", m.slurm_job and
      (", Slurm job " .. m.slurm_job) or "", #runs, sw.dir))
    for _, r in ipairs(m.runs) do
      print(string.format("  %-12s %s%s", r.state, r.id, r.seconds and string.format("  (%.1f s)", r.seconds) or ""))
    end
    local parts = {}
    for _, k in ipairs(sorted_keys(counts)) do parts[#parts + 1] = counts[k] .. " " .. k end
    print("  " .. table.concat(parts, ", "))
  end
  return { runs = m.runs, counts = counts, manifest = m }
end

-- The metrics of a finished run, or nil.
local function metrics_of(sw, r)
  local m = read_json(sw.dir .. "/" .. r.id .. "/metrics.json")
  return type(m) == "table" and m or nil
end

local function csv_field(v)
  if v == nil then return "" end
  local s = type(v) == "number" and string.format("%.10g", v) or tostring(v)
  if s:find('[,"\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

-- The setting names of a sweep, in order: the grid's, then the listed runs' own.
local function setting_names(sw)
  local names, seen = sorted_keys(sw.grid), {}
  for _, k in ipairs(names) do seen[k] = true end
  for _, r in ipairs(sw.listed) do
    for _, k in ipairs(sorted_keys(r)) do if not seen[k] then seen[k] = true names[#names + 1] = k end end
  end
  return names
end

-- The metrics to compare: sw.metrics, or every number the finished runs all have.
local function metric_names(sw, rows)
  if sw.metrics then return sw.metrics end
  local count, order = {}, {}
  local have = 0
  for _, row in ipairs(rows) do
    if row.metrics then
      have = have + 1
      for k, v in pairs(row.metrics) do
        if type(v) == "number" then
          if not count[k] then order[#order + 1] = k end
          count[k] = (count[k] or 0) + 1
        end
      end
    end
  end
  local names = {}
  table.sort(order)
  for _, k in ipairs(order) do if count[k] == have then names[#names + 1] = k end end
  return names
end

-- collect(sw) → rows {run, state, metrics}: writes results.csv (one line
-- per run) and results.json, and the manifest with every state.
function M.collect(sw, o)
  o = o or {}
  optcheck.check("sweep.collect", o, { "verbose" }, 2)
  local st = M.status(sw, { verbose = false })
  local rows = {}
  for _, r in ipairs(st.runs) do
    rows[#rows + 1] = { run = r, state = r.state, metrics = r.state == "done" and metrics_of(sw, r) or nil }
  end
  local names, metrics = setting_names(sw), metric_names(sw, rows)
  local lines = { table.concat((function()
    local h = { "run", "state", "seed" }
    for _, k in ipairs(names) do h[#h + 1] = k end
    for _, k in ipairs(metrics) do h[#h + 1] = k end
    return h
  end)(), ",") }
  for _, row in ipairs(rows) do
    local f = { csv_field(row.run.id), row.state, row.run.seed }
    for _, k in ipairs(names) do f[#f + 1] = csv_field(row.run.settings[k]) end
    for _, k in ipairs(metrics) do f[#f + 1] = csv_field(row.metrics and row.metrics[k]) end
    lines[#lines + 1] = table.concat(f, ",")
  end
  local ok, err = sys.write_file(sw.dir .. "/results.csv", table.concat(lines, "\n") .. "\n")
  if not ok then error(err, 0) end
  local js = {}
  for i, row in ipairs(rows) do
    js[i] = { id = row.run.id, state = row.state, seed = row.run.seed, settings = row.run.settings, metrics = row.metrics }
  end
  write_json(sw.dir .. "/results.json", { sweep = sw.name, runs = js })
  if o.verbose ~= false then
    print(string.format("sweep %s: %d runs collected (%s): %s/results.csv", sw.name, #rows,
      (function()
        local parts = {}
        for _, k in ipairs(sorted_keys(st.counts)) do parts[#parts + 1] = st.counts[k] .. " " .. k end
        return table.concat(parts, ", ")
      end)(), sw.dir))
  end
  return rows, names, metrics
end

-- mean and sample standard deviation (nil for one value)
local function mean_sd(xs)
  local n = #xs
  if n == 0 then return nil end
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  local mean = s / n
  if n == 1 then return mean, nil end
  local v = 0
  for _, x in ipairs(xs) do v = v + (x - mean) ^ 2 end
  return mean, math.sqrt(v / (n - 1))
end
M.mean_sd = mean_sd

-- an sd: two significant digits are all three seeds can tell
local function fmt_sd(v) return v and string.format("%.2g", v) or "—" end

local function fmt_num(v)
  if v == nil then return "—" end
  if v ~= 0 and (math.abs(v) >= 1e5 or math.abs(v) < 1e-3) then return string.format("%.3e", v) end
  return string.format("%.4g", v)
end

-- summarize(sw, rows, names, metrics) → groups: one per setting (seeds
-- pooled) in the order of the runs, each {settings, n, seeds, mean = {}, sd = {}}
function M.summarize(sw, rows, names, metrics)
  local groups, by_key = {}, {}
  for _, row in ipairs(rows) do
    local key = run_id(row.run.settings, 0)
    local g = by_key[key]
    if not g then
      g = { settings = row.run.settings, values = {}, n = 0, runs = 0 }
      for _, k in ipairs(metrics) do g.values[k] = {} end
      by_key[key] = g
      groups[#groups + 1] = g
    end
    g.runs = g.runs + 1
    if row.metrics then
      g.n = g.n + 1
      for _, k in ipairs(metrics) do
        local v = row.metrics[k]
        if type(v) == "number" then table.insert(g.values[k], v) end
      end
    end
  end
  for _, g in ipairs(groups) do
    g.mean, g.sd = {}, {}
    for _, k in ipairs(metrics) do g.mean[k], g.sd[k] = mean_sd(g.values[k]) end
  end
  return groups
end

-- The figure's choices: metric, x and lines, from sw.report or guessed.
local function figure_axes(sw, names, metrics)
  local rep = sw.report
  local varied = {}
  for _, k in ipairs(sorted_keys(sw.grid)) do if #sw.grid[k] > 1 then varied[#varied + 1] = k end end
  local metric = rep.metric or metrics[1]
  local x = rep.x or varied[1] or names[1]
  local lines = rep.lines
  if lines == nil then
    for _, k in ipairs(varied) do if k ~= x then lines = k break end end
  end
  return metric, x, lines
end

-- The words of a comparison, from the numbers: the best and worst setting,
-- how far each setting moves the metric against the seeds' own spread.
local function findings(sw, groups, names, metric, higher)
  local out = {}
  local scored = {}
  for _, g in ipairs(groups) do if g.mean[metric] then scored[#scored + 1] = g end end
  if #scored == 0 then return { "No run finished, so there is nothing to compare yet." } end
  table.sort(scored, function(a, b) if higher then return a.mean[metric] > b.mean[metric] end return a.mean[metric] < b.mean[metric] end)
  local function label(g)
    local p = {}
    for _, k in ipairs(names) do if g.settings[k] ~= nil then p[#p + 1] = k .. " = " .. show(g.settings[k]) end end
    return #p > 0 and table.concat(p, ", ") or "the one setting"
  end
  local best, worst = scored[1], scored[#scored]
  local function pm(g) return fmt_num(g.mean[metric]) .. (g.sd[metric] and (" ± " .. fmt_sd(g.sd[metric])) or "") end
  out[#out + 1] = string.format("- The best %s (%s is better) came with %s: %s over %d seed%s; the worst with %s: %s.",
    metric, higher and "higher" or "lower", label(best), pm(best), #best.values[metric], #best.values[metric] == 1 and "" or "s",
    label(worst), pm(worst))
  -- the seeds' spread: the mean sd over the settings
  local sds = {}
  for _, g in ipairs(scored) do if g.sd[metric] then sds[#sds + 1] = g.sd[metric] end end
  local noise = #sds > 0 and (mean_sd(sds)) or nil
  for _, k in ipairs(sorted_keys(sw.grid)) do
    local vals = sw.grid[k]
    if #vals > 1 then
      local parts, lo, hi = {}, math.huge, -math.huge
      for _, v in ipairs(vals) do
        local xs = {}
        for _, g in ipairs(scored) do if g.settings[k] == v then xs[#xs + 1] = g.mean[metric] end end
        local m = mean_sd(xs)
        if m then
          parts[#parts + 1] = string.format("%s at %s", fmt_num(m), show(v))
          lo, hi = math.min(lo, m), math.max(hi, m)
        end
      end
      if #parts > 1 then
        local spread = hi - lo
        local verdict
        if noise and noise > 0 then
          local ratio = spread / noise
          verdict = ratio >= 3 and string.format("%.0f× the seeds' typical sd (%s): a real effect", ratio, fmt_sd(noise))
            or string.format("only %.1f× the seeds' typical sd (%s): within what seeds alone change", ratio, fmt_sd(noise))
        else
          verdict = "one seed per setting, so no spread to judge it against"
        end
        out[#out + 1] = string.format("- %s, averaged over the other settings: %s; a range of %s, %s.", k,
          table.concat(parts, ", "), fmt_num(spread), verdict)
      end
    end
  end
  return out
end

-- report(sw) → path of report.md: the table (settings × metrics, mean ± sd
-- over seeds) in report.md and summary.csv, a figure of one metric against
-- one setting with a line per value of another and error bars over seeds.
function M.report(sw, o)
  o = o or {}
  optcheck.check("sweep.report", o, { "verbose" }, 2)
  local rows, names, metrics = M.collect(sw, { verbose = false })
  local groups = M.summarize(sw, rows, names, metrics)
  local metric, x, lines = figure_axes(sw, names, metrics)
  local higher = sw.report.higher_is_better and true or false
  -- summary.csv
  local head = {}
  for _, k in ipairs(names) do head[#head + 1] = k end
  head[#head + 1] = "runs"
  head[#head + 1] = "finished"
  for _, k in ipairs(metrics) do head[#head + 1] = k .. "_mean"; head[#head + 1] = k .. "_sd" end
  local csv = { table.concat(head, ",") }
  for _, g in ipairs(groups) do
    local f = {}
    for _, k in ipairs(names) do f[#f + 1] = csv_field(g.settings[k]) end
    f[#f + 1] = g.runs
    f[#f + 1] = g.n
    for _, k in ipairs(metrics) do f[#f + 1] = csv_field(g.mean[k]); f[#f + 1] = csv_field(g.sd[k]) end
    csv[#csv + 1] = table.concat(f, ",")
  end
  local ok, err = sys.write_file(sw.dir .. "/summary.csv", table.concat(csv, "\n") .. "\n")
  if not ok then error(err, 0) end
  -- the figure
  local figure, why
  -- a setting's values: the grid's order, or those the listed runs have, sorted
  local function values_of(k)
    if sw.grid[k] then return sw.grid[k] end
    local seen, vs = {}, {}
    for _, row in ipairs(rows) do
      local v = row.run.settings[k]
      if v ~= nil and not seen[v] then seen[v] = true vs[#vs + 1] = v end
    end
    table.sort(vs, function(a, b)
      if type(a) == type(b) and type(a) ~= "boolean" then return a < b end
      return tostring(a) < tostring(b)
    end)
    return vs
  end
  if metric and x and groups[1] then
    local series, by_line = {}, {}
    local line_values = lines and values_of(lines) or { false }
    for _, lv in ipairs(line_values) do
      local s = { label = lines and (lines .. " = " .. show(lv)) or metric, x = {}, y = {}, err = {} }
      by_line[#by_line + 1] = s
      for xi, xv in ipairs(values_of(x)) do
        -- the mean over the seeds, and over any other setting the line does not fix
        local ys = {}
        for _, row in ipairs(rows) do
          local st = row.run.settings
          if st[x] == xv and (not lines or st[lines] == lv) and row.metrics and type(row.metrics[metric]) == "number" then
            ys[#ys + 1] = row.metrics[metric]
          end
        end
        local m, sd = mean_sd(ys)
        if m then
          local xn = type(xv) == "number" and xv or xi
          s.x[#s.x + 1], s.y[#s.y + 1], s.err[#s.err + 1] = xn, m, sd or 0
        end
      end
      if #s.y > 0 then series[#series + 1] = s end
    end
    if #series > 0 then
      local plot = require "plots.gnuplot"
      figure, why = plot.series(series, { out = sw.dir .. "/" .. metric .. "_vs_" .. x .. ".png",
        title = string.format("%s: %s against %s (mean ± sd over seeds)", sw.name, metric, x),
        xlabel = x, ylabel = metric, key = "outside right" })
    end
  end
  -- report.md
  local md = { "# Sweep " .. sw.name, "" }
  if sw.description then md[#md + 1] = sw.description; md[#md + 1] = "" end
  local st = M.status(sw, { verbose = false })
  local parts = {}
  for _, k in ipairs(sorted_keys(st.counts)) do parts[#parts + 1] = st.counts[k] .. " " .. k end
  md[#md + 1] = string.format("Script `%s`, %d runs (%s), seeds %s; runner: %s%s. Sweep file `%s`; table generated %s.",
    sw.script:match("[^/]+$"), #rows, table.concat(parts, ", "), table.concat(sw.seeds, ", "), st.manifest.runner or "none",
    st.manifest.slurm_job and (" (Slurm job " .. st.manifest.slurm_job .. ")") or "", sw.file:match("[^/]+$"),
    os.date("!%Y-%m-%d %H:%M UTC"))
  md[#md + 1] = ""
  md[#md + 1] = "## Settings × metrics (mean ± sd over seeds)"
  md[#md + 1] = ""
  local h, rule = {}, {}
  for _, k in ipairs(names) do h[#h + 1] = k; rule[#rule + 1] = "---:" end
  h[#h + 1] = "seeds"; rule[#rule + 1] = "---:"
  for _, k in ipairs(metrics) do h[#h + 1] = k; rule[#rule + 1] = "---:" end
  md[#md + 1] = "| " .. table.concat(h, " | ") .. " |"
  md[#md + 1] = "|" .. table.concat(rule, "|") .. "|"
  for _, g in ipairs(groups) do
    local f = {}
    for _, k in ipairs(names) do f[#f + 1] = g.settings[k] == nil and "—" or show(g.settings[k]) end
    f[#f + 1] = g.n == g.runs and tostring(g.n) or (g.n .. " of " .. g.runs)
    for _, k in ipairs(metrics) do
      f[#f + 1] = g.mean[k] and (fmt_num(g.mean[k]) .. (g.sd[k] and (" ± " .. fmt_sd(g.sd[k])) or "")) or "—"
    end
    md[#md + 1] = "| " .. table.concat(f, " | ") .. " |"
  end
  md[#md + 1] = ""
  md[#md + 1] = "The same table as CSV: `summary.csv`; one line per run: `results.csv`."
  md[#md + 1] = ""
  md[#md + 1] = "## Figure"
  md[#md + 1] = ""
  if figure then
    local file = figure:match("[^/]+$")
    md[#md + 1] = string.format("![%s against %s](%s)", metric, x, file)
    md[#md + 1] = ""
    md[#md + 1] = string.format("*%s against %s%s; error bars: one sd over seeds* (restyle with `gnuplot %s`)", metric, x,
      lines and (", one line per " .. lines) or "", file:gsub("%.png$", ".gp"))
  else
    md[#md + 1] = "No figure: " .. tostring(why or "nothing finished to draw")
  end
  md[#md + 1] = ""
  md[#md + 1] = "## What the numbers say"
  md[#md + 1] = ""
  for _, l in ipairs(findings(sw, groups, names, metric, higher)) do md[#md + 1] = l end
  -- the other metrics, one line each: where they are best (timings are not judged)
  for _, k in ipairs(metrics) do
    if k ~= metric and not k:find("seconds") then
      local scored = {}
      for _, g in ipairs(groups) do if g.mean[k] then scored[#scored + 1] = g end end
      table.sort(scored, function(a, b) if higher then return a.mean[k] > b.mean[k] end return a.mean[k] < b.mean[k] end)
      if #scored > 1 then
        local function at(g)
          local p = {}
          for _, n in ipairs(names) do if g.settings[n] ~= nil then p[#p + 1] = n .. " = " .. show(g.settings[n]) end end
          return string.format("%s (%s%s)", table.concat(p, ", "), fmt_num(g.mean[k]), g.sd[k] and (" ± " .. fmt_sd(g.sd[k])) or "")
        end
        md[#md + 1] = string.format("- %s is %s at %s and %s at %s.", k, higher and "highest" or "lowest", at(scored[1]),
          higher and "lowest" or "highest", at(scored[#scored]))
      end
    end
  end
  ok, err = sys.write_file(sw.dir .. "/report.md", table.concat(md, "\n") .. "\n")
  if not ok then error(err, 0) end
  if o.verbose ~= false then
    print(table.concat(md, "\n", 5, #md))
    print(string.format("\nsweep %s: report %s/report.md, table %s/summary.csv%s", sw.name, sw.dir, sw.dir,
      figure and (", figure " .. figure) or ""))
  end
  return sw.dir .. "/report.md", groups, figure
end

---------------------------------------------------------------------------
-- The script's side: its settings
---------------------------------------------------------------------------

-- settings(defaults) → the run's settings: the defaults, overridden by the
-- run's settings.json (under `aelab --run DIR`, as a sweep starts it) and by
-- key=value arguments; a name not among the defaults is an error.
function M.settings(defaults)
  if type(defaults) ~= "table" then fail("ae.sweep.settings: pass the defaults, {noise = 0.3, code = 32}", 2) end
  local given = {}
  local run = ae.options.run
  if run then
    local s, err = read_json(run .. "/settings.json")
    if not s and err then fail("ae.sweep.settings: " .. err, 2) end
    for k, v in pairs(type(s) == "table" and s.settings or {}) do given[k] = v end
  end
  for _, a in ipairs(arg or {}) do
    local k, v = tostring(a):match("^([%a_][%w_]*)=(.*)$")
    if k then given[k] = v end
  end
  local out = {}
  for k, v in pairs(defaults) do out[k] = v end
  local known = sorted_keys(defaults)
  for k, v in pairs(given) do
    if defaults[k] == nil then
      local t = {}
      t[k] = true
      optcheck.check("ae.sweep.settings", t, known, 2)
    end
    local want = type(defaults[k])
    if want == "number" then
      local n = tonumber(v)
      if not n then fail(string.format("ae.sweep.settings: %s wants a number, got '%s'", k, tostring(v)), 2) end
      v = n
      if math.type(defaults[k]) == "integer" then
        v = math.tointeger(n)
        if v == nil then fail(string.format("ae.sweep.settings: %s wants an integer, got '%s'", k, tostring(n)), 2) end
      end
    elseif want == "boolean" and type(v) == "string" then
      if v ~= "true" and v ~= "false" then fail(string.format("ae.sweep.settings: %s wants true or false, got '%s'", k, v), 2) end
      v = v == "true"
    elseif want == "boolean" and type(v) ~= "boolean" then
      fail(string.format("ae.sweep.settings: %s wants true or false, got %s", k, tostring(v)), 2)
    elseif want == "string" then
      v = tostring(v)
    end
    out[k] = v
  end
  return out
end

---------------------------------------------------------------------------
-- The command line: ./aelab sweep ...
---------------------------------------------------------------------------

M.usage = [==[
usage: aelab sweep [run] grid.lua [--out DIR] [--quick] [--parallel N] [--threads N] [--slurm [--dry-run] [--force]]
       aelab sweep status grid.lua | collect grid.lua | report grid.lua

  run       (the default) start every run not done yet: here, N at a time
            (--parallel, default: one per core; each run gets cores/N threads,
            or --threads), or with --slurm as a Slurm job array (sbatch), or
            with --slurm --dry-run only write out/<sweep>/job.sbatch; one
            runner per sweep at a time, and no second submission while the
            last one's job is in squeue (unless --force)
  status    each run's state (pending, running, done, failed, interrupted)
  collect   every run's settings and metrics: out/<sweep>/results.csv, .json
  report    the comparison: mean ± sd over seeds in out/<sweep>/report.md and
            summary.csv, and a figure of one metric against one setting
  task      (what a Slurm array task runs) aelab sweep task manifest.json RUN-ID

  --out DIR and --quick are aelab's own (`aelab --out DIR sweep ...` too):
  the sweep's folder is DIR/<sweep>; --quick asks every run for a quick run.

A sweep file is Lua returning {script =, grid =, seeds =, ...}: see
bindings/aelab/sweep.lua, and lessons/sweeps/denoising.lua for an example.
]==]

local main

-- main(...): the command line. A failure is one message (no traceback: it
-- is the user's sweep or machine, not aelab's code) and exit code 1; Ctrl-C
-- goes on up to the host (exit 130).
function M.main(...)
  local ok, err = pcall(main, ...)
  if ok then return end
  if require("aelab.signal").is_interrupt(err) or type(err) ~= "string" then error(err, 0) end
  io.stdout:flush()
  -- the message without the position in sweep.lua it was raised from
  io.stderr:write("aelab sweep: ", (err:gsub("^[^\n]-%.lua:%d+: ", ""):gsub("^aelab sweep: ", ""):gsub("^sweep: ", "")), "\n")
  os.exit(1)
end

function main(...)
  local args = { ... }
  local cmd = args[1]
  if cmd == nil or cmd == "--help" or cmd == "-h" or cmd == "help" then
    io.stdout:write(M.usage)
    return
  end
  local commands = { run = true, status = true, collect = true, report = true, task = true }
  if commands[cmd] then
    table.remove(args, 1)
  else
    -- a word that is no file and almost a command is a misspelt command
    local near = not exists(cmd) and not cmd:find("[/.]") and optcheck.nearest(cmd, { "run", "status", "collect", "report" })
    if near then
      error(string.format("aelab sweep: unknown command '%s' (did you mean '%s'?); the commands are run, status, " ..
        "collect, report", cmd, near), 0)
    end
    cmd = "run"
  end
  if cmd == "task" then
    if #args ~= 2 then error("aelab sweep task wants a manifest and a run id\n" .. M.usage, 0) end
    if not M.task(args[1], args[2]) then os.exit(1) end
    return
  end
  local file
  local o = {}
  local i = 1
  while i <= #args do
    local a = args[i]
    local function value()
      i = i + 1
      local n = math.tointeger(tonumber(args[i] or ""))
      if not n or n < 1 or n > 256 then error("aelab sweep: " .. a .. " wants an integer in 1..256", 0) end
      return n
    end
    if a == "--slurm" then o.slurm = true
    elseif a == "--dry-run" then o.dry_run = true
    elseif a == "--force" then o.force = true
    elseif a == "--out" then
      i = i + 1
      if not args[i] or args[i] == "" then error("aelab sweep: --out wants a folder", 0) end
      o.out = args[i]
    elseif a == "--quick" then o.quick = true
    elseif a == "--parallel" then o.parallel = value()
    elseif a == "--threads" then o.threads = value()
    elseif a:sub(1, 1) == "-" then
      local near = optcheck.nearest(a:gsub("^%-+", ""), { "slurm", "dry-run", "parallel", "threads", "force", "out",
        "quick" })
      error("aelab sweep: unknown option " .. a .. (near and (" (did you mean --" .. near .. "?)") or "") ..
        "; the options are --out DIR, --quick, --parallel N, --threads N, --slurm, --dry-run, --force", 0)
    elseif file then error("aelab sweep: one sweep file at a time (got " .. file .. " and " .. a .. ")", 0)
    else file = a end
    i = i + 1
  end
  if not file then error("aelab sweep: which sweep file?\n" .. M.usage, 0) end
  if cmd ~= "run" and (o.slurm or o.dry_run or o.parallel or o.threads or o.force) then
    error("aelab sweep " .. cmd .. ": --slurm, --dry-run, --force, --parallel and --threads belong to run", 0)
  end
  if o.force and not o.slurm then error("aelab sweep: --force goes with --slurm (submit while a job of the sweep is queued)", 0) end
  if o.dry_run and not o.slurm then error("aelab sweep: --dry-run goes with --slurm (it writes the job script only)", 0) end
  local sw = M.load(file, { out = o.out })
  if o.quick then sw.quick = true end
  o.out, o.quick = nil, nil
  if cmd == "status" then
    M.status(sw)
  elseif cmd == "collect" then
    M.collect(sw)
  elseif cmd == "report" then
    M.report(sw)
  elseif o.slurm then
    M.run_slurm(sw, o)
  else
    local counts = M.run_local(sw, o)
    if counts.done + counts.skipped > 0 then M.report(sw, { verbose = false }) print("  comparison: " .. sw.dir .. "/report.md") end
    if counts.failed > 0 then os.exit(1) end
  end
end

return M
