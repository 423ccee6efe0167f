-- aelab sweep: the grid's expansion, a run's settings, the local runner
-- (N at a time, threads split, skips what is done, redoes what failed,
-- Ctrl-C), the comparison (mean ± sd, CSV, figure), the Slurm job script,
-- and a real single-node Slurm (slurm-wlm and munge, installed by the test;
-- skipped with a message only where they cannot be installed).
local lu = require "luaunit"
local ae = require "aelab"
local sys = require "aelab.sys"
local json = require "aelab.json"
local sweep = require "aelab.sweep"
local H = require "helpers"

local BIN = os.getenv("AELAB_BIN") or "./aelab"
local HERE = (os.getenv("PWD") or ".")
local TINY = HERE .. "/tests/data/sweep_tiny.lua"

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function tmpdir(tag)
  local d = string.format("/tmp/aelab-test-sweep-%s-%d", tag, sys.getpid())
  sys.remove_tree(d)
  assert(sys.mkdir(d))
  return d
end

-- A sweep file in dir with the given body fields (Lua source), loaded with its folder in dir.
local function sweep_file(dir, body, name)
  local path = dir .. "/" .. (name or "grid") .. ".lua"
  assert(sys.write_file(path, "return {\n  script = " .. string.format("%q", TINY) .. ",\n  out = " ..
    string.format("%q", dir .. "/out") .. ",\n" .. body .. "\n}\n"))
  return path
end

local function spawn_wait(argv, log)
  local p = assert(sys.spawn(argv, { log = log }))
  local ok, how, code = p:close()
  return ok, how, code, read(log) or ""
end

TestSweepExpand = {}

function TestSweepExpand:test_grid_times_seeds_and_listed_runs()
  local d = tmpdir("expand")
  local sw = sweep.load(sweep_file(d, [[
  grid = { b = { "p", "q" }, a = { 1, 2, 3 } },
  runs = { { a = 9, b = "z" } },
  seeds = { 5, 6 },]]))
  local runs = sweep.expand(sw)
  lu.assertEquals(#runs, (3 * 2 + 1) * 2)
  lu.assertEquals(runs[1].id, "a-1_b-p_seed-5")
  lu.assertEquals(runs[2].id, "a-1_b-p_seed-6")
  lu.assertEquals(runs[3].id, "a-1_b-q_seed-5") -- names in order, the last varying fastest
  lu.assertEquals(runs[#runs].id, "a-9_b-z_seed-6")
  lu.assertEquals(runs[#runs].settings, { a = 9, b = "z" })
  lu.assertEquals(sw.dir, d .. "/out/grid")
  sys.remove_tree(d)
end

function TestSweepExpand:test_bad_sweep_files_say_what_is_wrong()
  local d = tmpdir("bad")
  H.error_containing(lu, "unknown option 'seed' (did you mean 'seeds'?)", sweep.load, sweep_file(d, "seed = {1},"))
  H.error_containing(lu, "grid.a must be a non-empty list", sweep.load, sweep_file(d, "grid = { a = {} },"))
  H.error_containing(lu, "seeds must be integers", sweep.load, sweep_file(d, "seeds = {1.5},"))
  H.error_containing(lu, "a number, a string or a boolean", sweep.load, sweep_file(d, "grid = { a = { {} } },"))
  H.error_containing(lu, "unknown option 'metrc'", sweep.load, sweep_file(d, "report = { metrc = 'loss' },"))
  H.error_containing(lu, "unknown option 'cpu'", sweep.load, sweep_file(d, "slurm = { cpu = 2 },"))
  H.error_containing(lu, "report.x = noize is not a setting of this sweep (did you mean 'noise'?)", sweep.load,
    sweep_file(d, "grid = { noise = { 0, 1 }, code = { 2, 3 } },\n  report = { x = 'noize' },"))
  H.error_containing(lu, "report.lines = cod is not a setting of this sweep (did you mean 'code'?)", sweep.load,
    sweep_file(d, "grid = { noise = { 0, 1 } },\n  runs = { { code = 2 } },\n  report = { lines = 'cod' },"))
  local path = d .. "/noscript.lua"
  assert(sys.write_file(path, "return { script = 'nowhere.lua' }"))
  H.error_containing(lu, "script nowhere.lua not found", sweep.load, path)
  local sw = sweep.load(sweep_file(d, "grid = { a = { 1, 1 } },"))
  H.error_containing(lu, "two runs have the same settings and seed: a-1_seed-42", sweep.expand, sw)
  sys.remove_tree(d)
end

function TestSweepExpand:test_settings_from_arguments_and_defaults()
  local saved = arg
  arg = { [0] = "x.lua", "noise=0.5", "code=16", "name=relu", "flag=true" }
  local s = sweep.settings { noise = 0.3, code = 32, name = "tanh", flag = false, other = 7 }
  arg = saved
  lu.assertEquals(s, { noise = 0.5, code = 16, name = "relu", flag = true, other = 7 })
  lu.assertEquals(math.type(s.code), "integer")
  arg = { [0] = "x.lua", "nois=0.5" }
  local ok, err = pcall(sweep.settings, { noise = 0.3 })
  arg = { [0] = "x.lua", "code=1.5" }
  local ok2, err2 = pcall(sweep.settings, { code = 32 })
  arg = saved
  lu.assertFalse(ok)
  lu.assertStrContains(err, "unknown option 'nois' (did you mean 'noise'?)")
  lu.assertFalse(ok2)
  lu.assertStrContains(err2, "code wants an integer")
  -- a run's settings.json: a number for a boolean is refused, not taken for true
  local d = tmpdir("settings")
  assert(sys.write_file(d .. "/settings.json", '{"settings": {"flag": 0}}'))
  local saved_run = ae.options.run
  ae.options.run, arg = d, { [0] = "x.lua" }
  local ok3, err3 = pcall(sweep.settings, { flag = false })
  ae.options.run, arg = saved_run, saved
  lu.assertFalse(ok3)
  lu.assertStrContains(err3, "flag wants true or false, got 0")
  sys.remove_tree(d)
end

TestSweepLocal = {}

-- A 2 × 2 grid × 2 seeds, 2 at a time: every run done, in its folder, with
-- half the cores each; run again: all skipped; a failed run is redone.
function TestSweepLocal:test_runs_skips_and_redoes()
  local d = tmpdir("local")
  local sw = sweep.load(sweep_file(d, [[
  grid = { a = { 1, 2 }, b = { "p", "q" } },
  seeds = { 1, 2 },
  report = { metric = "value", x = "a", lines = "b" },]]))
  assert(sys.mkdir(sw.dir))
  assert(sys.write_file(sw.dir .. "/FAIL-2", "")) -- runs with a = 2 fail this time
  local counts = sweep.run_local(sw, { parallel = 2, cores = 4, verbose = false })
  lu.assertEquals(counts.done, 4)
  lu.assertEquals(counts.failed, 4)
  local st = sweep.status(sw, { verbose = false })
  lu.assertEquals(st.counts, { done = 4, failed = 4 })
  local m = json.decode(read(sw.dir .. "/manifest.json"))
  lu.assertEquals(#m.runs, 8)
  lu.assertEquals(m.runs[1].id, "a-1_b-p_seed-1")
  lu.assertEquals(m.runs[1].state, "done")
  lu.assertEquals(m.runs[5].state, "failed")
  lu.assertEquals(m.threads, 2, "4 cores, 2 runs at a time: 2 threads each")
  local one = sw.dir .. "/a-1_b-p_seed-1/"
  local metrics = json.decode(read(one .. "metrics.json"))
  lu.assertEquals(metrics.value, 11)
  lu.assertEquals(metrics.threads, 2)
  lu.assertEquals(json.decode(read(one .. "settings.json")).settings, { a = 1, b = "p" })
  lu.assertStrContains(read(one .. "report.md"), "tiny run a=1 b=p")
  lu.assertStrContains(read(sw.dir .. "/a-2_b-p_seed-1/log.txt"), "asked to fail (a = 2)")
  lu.assertNil(read(sw.dir .. "/README.md"), "a sweep's runs are not lessons of out/README.md")
  -- again, with the cause of the failures gone: only the four failed runs run
  os.remove(sw.dir .. "/FAIL-2")
  local mtime_marker = read(one .. "state.json")
  counts = sweep.run_local(sw, { parallel = 2, cores = 4, verbose = false })
  lu.assertEquals(counts.skipped, 4)
  lu.assertEquals(counts.done, 4)
  lu.assertEquals(counts.failed, 0)
  lu.assertEquals(read(one .. "state.json"), mtime_marker, "a finished run is left alone")
  lu.assertEquals(sweep.status(sw, { verbose = false }).counts, { done = 8 })
  -- and the comparison: value = a·10 + seed, seeds 1 and 2 → mean a·10 + 1.5, sd √0.5
  local report, groups = sweep.report(sw, { verbose = false })
  lu.assertEquals(#groups, 4)
  lu.assertAlmostEquals(groups[3].mean.value, 21.5, 1e-12)
  lu.assertAlmostEquals(groups[3].sd.value, math.sqrt(0.5), 1e-12)
  local md = read(report)
  lu.assertStrContains(md, "| a | b | seeds |")
  lu.assertStrContains(md, "| 2 | p | 2 |")
  lu.assertStrContains(md, "21.5 ± 0.71")
  lu.assertStrContains(md, "## What the numbers say")
  lu.assertStrContains(md, "The best value (lower is better) came with a = 1, b = p: 11.5 ± 0.71")
  lu.assertStrContains(md, "a, averaged over the other settings: 11.5 at 1, 21.5 at 2; a range of 10, 14× the seeds' typical sd")
  local csv = read(sw.dir .. "/summary.csv")
  -- every number all runs have, by default
  lu.assertStrContains(csv, "a,b,runs,finished,loss_mean,loss_sd,seconds_total_mean,seconds_total_sd,threads_mean," ..
    "threads_sd,value_mean,value_sd\n")
  lu.assertStrContains(csv, "\n2,p,2,2,")
  lu.assertStrContains(csv, ",21.5,0.7071067812")
  lu.assertEquals(select(2, read(sw.dir .. "/results.csv"):gsub("\n", "")), 9)
  if ae.plot.available() then
    lu.assertNotNil(read(sw.dir .. "/value_vs_a.png"), "the figure")
    local gp = read(sw.dir .. "/value_vs_a.gp")
    lu.assertStrContains(gp, "yerrorlines")
    lu.assertStrContains(gp, "b = p")
  end
  sys.remove_tree(d)
end

-- The same seed and thread count give the same losses whatever the number
-- of runs side by side.
function TestSweepLocal:test_same_seed_same_metrics_in_parallel_or_not()
  local d = tmpdir("repeat")
  local sw = sweep.load(sweep_file(d, "grid = { a = { 1, 2 } },\n  seeds = { 3 },\n  threads = 1,"))
  sweep.run_local(sw, { parallel = 2, verbose = false })
  local first = read(sw.dir .. "/a-2_seed-3/metrics.json")
  sys.remove_tree(sw.dir)
  sweep.run_local(sw, { parallel = 1, verbose = false })
  local a, b = json.decode(first), json.decode(read(sw.dir .. "/a-2_seed-3/metrics.json"))
  lu.assertEquals(a.loss, b.loss)
  sys.remove_tree(d)
end

-- Listed runs without a grid: the figure takes its x values from them.
function TestSweepLocal:test_listed_runs_report_and_figure()
  local d = tmpdir("listed")
  local sw = sweep.load(sweep_file(d, "runs = { { a = 3 }, { a = 1 } },\n  seeds = { 1, 2 },\n  threads = 1,\n" ..
    "  metrics = { 'value' },\n  report = { metric = 'value', x = 'a' },"))
  local counts = sweep.run_local(sw, { parallel = 2, verbose = false })
  lu.assertEquals(counts.done, 4)
  local _, groups, figure = sweep.report(sw, { verbose = false })
  lu.assertEquals(#groups, 2)
  lu.assertEquals(groups[1].mean.value, 31.5)
  if ae.plot.available() then
    lu.assertEquals(figure, sw.dir .. "/value_vs_a.png")
    local gp = read(sw.dir .. "/value_vs_a.gp")
    lu.assertStrContains(gp, "1 11.5 0.707")
    lu.assertStrContains(gp, "3 31.5 0.707")
  end
  sys.remove_tree(d)
end

-- Ctrl-C: the runner stops its runs, records them as interrupted, exits
-- 130; the same command again finishes them.
function TestSweepLocal:test_interrupt_stops_cleanly_and_resumes()
  local d = tmpdir("sigint")
  -- three runs that take 30 s, one that does not
  local file = sweep_file(d, "runs = { { a = 1, sleep = 30 }, { a = 2, sleep = 30 }, { a = 3, sleep = 30 }, " ..
    "{ a = 4, sleep = 0 } },\n  seeds = { 1 },\n  parallel = 2,\n  threads = 1,")
  local log = d .. "/runner.log"
  local p = assert(sys.spawn({ BIN, "sweep", file }, { log = log }))
  -- wait until two runs are going
  local t0 = sys.clock()
  local sw = sweep.load(file)
  while sys.clock() - t0 < 20 do
    if sweep.status(sw, { verbose = false }).counts.running == 2 then break end
    sys.sleep(0.1)
  end
  sys.sleep(0.5)
  p:kill("int")
  local ok, how, code = p:close()
  local text = read(log) or ""
  lu.assertFalse(ok)
  lu.assertEquals(code, 130, text)
  lu.assertStrContains(text, "2 runs interrupted")
  lu.assertTrue(sys.clock() - t0 < 15, "the runs were stopped, not waited for")
  local counts = sweep.status(sw, { verbose = false }).counts
  lu.assertEquals(counts.interrupted, 2)
  lu.assertEquals(counts.pending, 2)
  lu.assertStrContains(read(sw.dir .. "/a-1_sleep-30_seed-1/report.md"), "interrupted")
  sys.remove_tree(d)
end

TestSweepSlurm = {}

function TestSweepSlurm:test_dry_run_writes_the_job_array_script()
  local d = tmpdir("dry")
  local file = sweep_file(d, [[
  grid = { a = { 1, 2, 3 } },
  seeds = { 1, 2 },
  slurm = { cpus = 2, time = "00:05:00", mem = "500M", partition = "short", max_parallel = 3, options = { "--qos=low" } },]],
    "dry")
  local ok, how, code, text = spawn_wait({ BIN, "sweep", file, "--slurm", "--dry-run" }, d .. "/dry.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(text, "--dry-run: not submitted")
  local sw = sweep.load(file)
  local script = read(sw.dir .. "/job.sbatch")
  lu.assertStrContains(script, "#!/bin/bash\n")
  lu.assertStrContains(script, "#SBATCH --array=1-6%3\n")
  lu.assertStrContains(script, "#SBATCH --cpus-per-task=2\n")
  lu.assertStrContains(script, "#SBATCH --time=00:05:00\n#SBATCH --mem=500M\n#SBATCH --partition=short\n#SBATCH --qos=low\n")
  lu.assertStrContains(script, "--sweep task '" .. sw.dir .. "/manifest.json' \"${ids[SLURM_ARRAY_TASK_ID-1]}\"")
  lu.assertEquals(#json.decode(read(sw.dir .. "/manifest.json")).runs, 6)
  -- only the runs not done go into the array, named by their ids
  local runs = sweep.expand(sw)
  for _, i in ipairs { 1, 2, 4 } do
    assert(sys.mkdir(sw.dir .. "/" .. runs[i].id))
    assert(sys.write_file(sw.dir .. "/" .. runs[i].id .. "/state.json", '{"state": "done"}'))
  end
  ok, how, code, text = spawn_wait({ BIN, "sweep", file, "--slurm", "--dry-run" }, d .. "/dry.log")
  lu.assertTrue(ok, text)
  script = read(sw.dir .. "/job.sbatch")
  lu.assertStrContains(script, "#SBATCH --array=1-3%3\n")
  lu.assertStrContains(script, "ids=(\n  'a-2_seed-1'\n  'a-3_seed-1'\n  'a-3_seed-2'\n)\n")
  lu.assertStrContains(sweep.job_script(sw, { runs[3] }), "--threads 2 --sweep task '")
  lu.assertStrContains(sweep.job_script(sw, { runs[3] }), "#SBATCH --array=1-1%3\n")
  sys.remove_tree(d)
  d = tmpdir("dry")
  file = sweep_file(d, "grid = { a = { 1 } },\n  slurm = { time = '1' },", "dry")
  sw = sweep.load(file)
  runs = sweep.expand(sw)
  sw.slurm.time = "10 minutes"
  H.error_containing(lu, "slurm.time '10 minutes' cannot go on an #SBATCH line", sweep.job_script, sw, runs)
  sw.slurm.time, sw.slurm.options = nil, { "qos=low" }
  H.error_containing(lu, "slurm.options entries are sbatch long options", sweep.job_script, sw, runs)
  sys.remove_tree(d)
end

-- An array task finds its run by the id its job script gave it, whatever
-- the manifest became since (the sweep file changed, status rewrote it);
-- what it runs comes from the manifest, not from the sweep file as it is now;
-- a run no longer in the manifest is refused, not some other run run.
function TestSweepSlurm:test_a_task_runs_its_run_by_id()
  local d = tmpdir("task")
  local file = sweep_file(d, "grid = { a = { 1, 2 } },\n  seeds = { 1 },", "task")
  local ok, _, _, text = spawn_wait({ BIN, "sweep", file, "--slurm", "--dry-run" }, d .. "/dry.log")
  lu.assertTrue(ok, text)
  local sw = sweep.load(file)
  local script = read(sw.dir .. "/job.sbatch")
  lu.assertStrContains(script, "ids=(\n  'a-1_seed-1'\n  'a-2_seed-1'\n)\n")
  -- the sweep file changes (a run before the others, another script) and status rewrites the manifest
  assert(sys.write_file(d .. "/other.lua", "error('the sweep file as it is now was read')\n"))
  assert(sys.write_file(file, "return { script = 'other.lua', out = " .. string.format("%q", d .. "/out") ..
    ", grid = { a = { 0, 1, 2 } }, seeds = { 1 } }\n"))
  ok, _, _, text = spawn_wait({ BIN, "sweep", "status", file }, d .. "/status.log")
  lu.assertTrue(ok, text)
  lu.assertEquals(json.decode(read(sw.dir .. "/manifest.json")).runs[1].id, "a-0_seed-1")
  ok, _, _, text = spawn_wait({ BIN, "sweep", "task", sw.dir .. "/manifest.json", "a-2_seed-1" }, d .. "/task.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(text, "run 3/3 a-2_seed-1")
  lu.assertEquals(json.decode(read(sw.dir .. "/a-2_seed-1/state.json")).state, "done")
  lu.assertEquals(json.decode(read(sw.dir .. "/a-2_seed-1/metrics.json")).value, 21)
  lu.assertNil(read(sw.dir .. "/a-1_seed-1/state.json"))
  ok, _, _, text = spawn_wait({ BIN, "sweep", "task", sw.dir .. "/manifest.json", "a-5_seed-1" }, d .. "/task.log")
  lu.assertFalse(ok)
  lu.assertStrContains(text, "no run 'a-5_seed-1' in " .. sw.dir .. "/manifest.json")
  lu.assertNil(read(sw.dir .. "/a-5_seed-1/state.json"))
  sys.remove_tree(d)
end

-- `aelab sweep` is the tool where a folder named sweep is (only a regular
-- file of that name is a script); `aelab --sweep` is the tool even beside such a file.
function TestSweepLocal:test_the_tool_beside_a_file_or_folder_named_sweep()
  local d = tmpdir("name")
  local bin = BIN:sub(1, 1) == "/" and BIN or HERE .. "/" .. BIN:gsub("^%./", "")
  assert(sys.mkdir(d .. "/sweep"))
  local ok, _, _, text = spawn_wait({ "env", "-C", d, bin, "sweep", "--help" }, d .. "/help.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(text, "usage: aelab sweep")
  sys.remove_tree(d .. "/sweep")
  assert(sys.write_file(d .. "/sweep", "print('the file named sweep')\n"))
  ok, _, _, text = spawn_wait({ "env", "-C", d, bin, "sweep" }, d .. "/file.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(text, "the file named sweep")
  ok, _, _, text = spawn_wait({ "env", "-C", d, bin, "--threads", "1", "--sweep", "--help" }, d .. "/tool.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(text, "usage: aelab sweep")
  sys.remove_tree(d)
end

-- Relative paths are the real current folder's (getcwd), not a stale $PWD's
-- (make -C, a spawn's own folder); one runner per sweep at a time.
function TestSweepLocal:test_paths_from_the_real_folder_and_one_runner_at_a_time()
  local d = tmpdir("cwd")
  local bin = BIN:sub(1, 1) == "/" and BIN or HERE .. "/" .. BIN:gsub("^%./", "")
  assert(sys.write_file(d .. "/grid.lua", "return { script = " .. string.format("%q", TINY) ..
    ", out = 'out', grid = { a = { 1 } } }\n"))
  local ok, _, _, text = spawn_wait({ "env", "-C", d, "PWD=/nonexistent", bin, "sweep", "grid.lua", "--slurm",
    "--dry-run" }, d .. "/dry.log")
  lu.assertTrue(ok, text)
  local script = read(d .. "/out/grid/job.sbatch")
  lu.assertNotNil(script, text)
  lu.assertStrContains(script, "#SBATCH --chdir=" .. d .. "\n")
  lu.assertEquals(json.decode(read(d .. "/out/grid/manifest.json")).file, d .. "/grid.lua")
  -- another runner holds the sweep's lock
  local sw = sweep.load(sweep_file(d, "grid = { a = { 1 } },", "busy"))
  assert(sys.mkdir(sw.dir))
  local held = assert(sys.lock(sw.dir .. "/.lock"))
  H.error_containing(lu, "another runner is working on " .. sw.dir, sweep.run_local, sw, { verbose = false })
  H.error_containing(lu, "another runner is working on " .. sw.dir, sweep.run_slurm, sw, { dry_run = true })
  held:unlock()
  local counts = sweep.run_local(sw, { verbose = false })
  lu.assertEquals(counts.done, 1)
  -- the runner let go of it when it ended
  local again = assert(sys.lock(sw.dir .. "/.lock"))
  again:unlock()
  sys.remove_tree(d)
end

-- Messages: a misspelt command, runs whose folder names would collide, a
-- folder of the other kind of runs (with --out on the sweep's own command
-- line as the way out); status on a sweep never run records no kind.
function TestSweepLocal:test_messages_say_what_to_do()
  local d = tmpdir("msg")
  local ok, _, _, text = spawn_wait({ BIN, "sweep", "statu", "x.lua" }, d .. "/m.log")
  lu.assertFalse(ok)
  lu.assertStrContains(text, "unknown command 'statu' (did you mean 'status'?)")
  local sw = sweep.load(sweep_file(d, "grid = { b = { 'x y', 'x-y' } },", "clash"))
  H.error_containing(lu, 'the runs {b = "x y"} and {b = "x-y"} (seed 42) would share the folder b-x-y_seed-42',
    sweep.expand, sw)
  local file = sweep_file(d, "grid = { a = { 1 } },", "kind")
  sw = sweep.load(file)
  sweep.status(sw, { verbose = false })
  lu.assertNil(json.decode(read(sw.dir .. "/manifest.json")).quick)
  sw.quick = true
  lu.assertEquals(sweep.run_local(sw, { verbose = false }).done, 1)
  ok, _, _, text = spawn_wait({ BIN, "sweep", file }, d .. "/m.log")
  lu.assertFalse(ok)
  lu.assertStrContains(text, "holds --quick runs and this is a sweep of full runs (not --quick): put these runs in " ..
    "another folder (aelab sweep " .. file .. " --out DIR)")
  ok, _, _, text = spawn_wait({ BIN, "sweep", file, "--out", d .. "/other" }, d .. "/m.log")
  lu.assertTrue(ok, text)
  lu.assertEquals(json.decode(read(d .. "/other/kind/manifest.json")).quick, false)
  ok, _, _, text = spawn_wait({ BIN, "sweep", "status", file, "--quick" }, d .. "/m.log")
  lu.assertTrue(ok, text)
  sys.remove_tree(d)
end

-- Runs at a time: as many as the cores hold at the threads asked for, never
-- more than the runs left (the last run left gets every core); a warning
-- when runs × threads is more than the cores; options checked.
function TestSweepLocal:test_parallel_fits_the_cores_and_the_runs_left()
  local d = tmpdir("par")
  local sw = sweep.load(sweep_file(d, "grid = { a = { 1, 2 } },\n  seeds = { 1 },", "par"))
  local runs = sweep.expand(sw)
  assert(sys.mkdir(sw.dir .. "/" .. runs[1].id))
  assert(sys.write_file(sw.dir .. "/" .. runs[1].id .. "/state.json", '{"state": "done"}'))
  local counts = sweep.run_local(sw, { cores = 2, verbose = false })
  lu.assertEquals({ counts.parallel, counts.threads, counts.done, counts.skipped }, { 1, 2, 1, 1 })
  lu.assertEquals(json.decode(read(sw.dir .. "/a-2_seed-1/metrics.json")).threads, 2)
  lu.assertNil(counts.warning)
  sys.remove_tree(sw.dir)
  counts = sweep.run_local(sw, { cores = 4, threads = 2, verbose = false })
  lu.assertEquals({ counts.parallel, counts.threads }, { 2, 2 })
  lu.assertNil(counts.warning)
  sys.remove_tree(sw.dir)
  counts = sweep.run_local(sw, { cores = 2, threads = 2, parallel = 2, verbose = false })
  lu.assertStrContains(counts.warning, "2 runs at a time × 2 threads = 4 threads on 2 cores")
  H.error_containing(lu, "unknown option 'paralel' (did you mean 'parallel'?)", sweep.run_local, sw, { paralel = 2 })
  H.error_containing(lu, "unknown option 'verbos' (did you mean 'verbose'?)", sweep.status, sw, { verbos = false })
  H.error_containing(lu, "unknown option 'verbos'", sweep.collect, sw, { verbos = false })
  H.error_containing(lu, "unknown option 'verbos'", sweep.report, sw, { verbos = false })
  H.error_containing(lu, "unknown option 'dryrun' (did you mean 'dry_run'?)", sweep.run_slurm, sw, { dryrun = true })
  sys.remove_tree(d)
end

-- The BLIS variables the host set for itself do not reach a run (nor a
-- job script): a run chooses its kernels as a fresh process does; the ones
-- the user set do reach it.
function TestSweepLocal:test_runs_do_not_inherit_the_hosts_blis_choice()
  local d = tmpdir("env")
  local file = sweep_file(d, "grid = { a = { 1 } },\n  seeds = { 1 },", "env")
  local sw = sweep.load(file)
  local log = sw.dir .. "/a-1_seed-1/log.txt"
  local ok, _, _, text = spawn_wait({ "env", "-u", "BLIS_ARCH_TYPE", "-u", "BLIS_NUM_THREADS", BIN, "sweep", file },
    d .. "/run.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(read(log), "user BLIS_ARCH_TYPE: nil, BLIS_NUM_THREADS: nil")
  sys.remove_tree(sw.dir) -- a job script is written for runs not done
  ok, _, _, text = spawn_wait({ "env", "-u", "BLIS_ARCH_TYPE", "-u", "BLIS_NUM_THREADS", BIN, "sweep", file, "--slurm",
    "--dry-run" }, d .. "/run.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(read(sw.dir .. "/job.sbatch"), "\nunset BLIS_ARCH_TYPE BLIS_NUM_THREADS\n")
  sys.remove_tree(sw.dir)
  -- the user's own choice goes on to the runs (the arch this machine's BLIS runs now is a valid one)
  local arch = os.getenv("BLIS_ARCH_TYPE") or "0"
  ok, _, _, text = spawn_wait({ "env", "-u", "BLIS_NUM_THREADS", "BLIS_ARCH_TYPE=" .. arch, BIN, "sweep", file }, d .. "/run.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(read(log), "user BLIS_ARCH_TYPE: " .. arch .. ", BLIS_NUM_THREADS: nil")
  sys.remove_tree(sw.dir)
  ok, _, _, text = spawn_wait({ "env", "-u", "BLIS_NUM_THREADS", "BLIS_ARCH_TYPE=" .. arch, BIN, "sweep", file, "--slurm",
    "--dry-run" }, d .. "/run.log")
  lu.assertTrue(ok, text)
  lu.assertStrContains(read(sw.dir .. "/job.sbatch"), "\nunset BLIS_NUM_THREADS\n")
  sys.remove_tree(d)
end

-- A single-node Slurm on this machine: munged, slurmctld -D and slurmd -D as
-- children of this test, on ports and folders of its own; a sweep submitted,
-- waited for, collected, and compared with the same sweep run here.
local function install(pkgs)
  local argv = { HERE .. "/scripts/install-deps.sh" }
  for _, p in ipairs(pkgs) do argv[#argv + 1] = p end
  local log = string.format("/tmp/aelab-test-install-%d.log", sys.getpid())
  local ok, _, _, text = spawn_wait(argv, log)
  os.remove(log)
  return ok, text
end

local function hostname() return (read("/proc/sys/kernel/hostname") or "localhost"):gsub("%s+$", ""):match("^[^.]+") end

local function is_root() return (read("/proc/self/status") or ""):match("\nUid:%s+0%s") ~= nil end

function TestSweepSlurm:test_single_node_cluster()
  -- slurmd runs jobs as their users and the spool folders go to the slurm user
  if not is_root() then lu.skip("a single-node Slurm needs root (slurmd, chown to the slurm user)") end
  local ok, why = install { "slurm-wlm", "munge" }
  if not ok or not sys.which("slurmctld") or not sys.which("munged") then
    lu.skip("slurm-wlm and munge cannot be installed here: " .. tostring(why))
  end
  local d = tmpdir("slurm")
  local node = hostname()
  local port = 20000 + sys.getpid() % 20000
  for _, sub in ipairs { "state", "spool" } do
    assert(sys.mkdir(d .. "/" .. sub))
    lu.assertTrue(spawn_wait({ "chown", "slurm:slurm", d .. "/" .. sub }, d .. "/chown.log"), "chown to the slurm user")
  end
  local conf = d .. "/slurm.conf"
  assert(sys.write_file(conf, table.concat({
    "ClusterName=aelabtest",
    "SlurmctldHost=" .. node,
    "SlurmUser=slurm",
    "SlurmctldPort=" .. port,
    "SlurmdPort=" .. (port + 1),
    "AuthType=auth/munge",
    "AuthInfo=socket=" .. d .. "/munge.sock",
    "CredType=cred/munge",
    "StateSaveLocation=" .. d .. "/state",
    "SlurmdSpoolDir=" .. d .. "/spool",
    "SlurmctldPidFile=" .. d .. "/slurmctld.pid",
    "SlurmdPidFile=" .. d .. "/slurmd.pid",
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "ReturnToService=2",
    "MpiDefault=none",
    "JobCompType=jobcomp/none",
    "AccountingStorageType=accounting_storage/none",
    "NodeName=" .. node .. " CPUs=2 RealMemory=1000 State=UNKNOWN",
    "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
  }, "\n") .. "\n"))
  local daemons = {}
  local env = "SLURM_CONF=" .. conf
  local jobs = {}
  local function stop_all() -- by their process ids, the last started first
    -- jobs left in the queue (a test failed half-way) first, while slurmctld can still hear
    if #jobs > 0 and daemons[2] and daemons[2]:pid() then
      local argv = { "env", env, "scancel" }
      for _, j in ipairs(jobs) do argv[#argv + 1] = j end
      spawn_wait(argv, d .. "/scancel.out")
    end
    for i = #daemons, 1, -1 do
      local p = daemons[i]
      if p:pid() then
        p:kill("term")
        -- a daemon that does not stop on SIGTERM within 10 s is killed
        local deadline = sys.clock() + 10
        while p:poll() == nil and sys.clock() < deadline do sys.sleep(0.05) end
        if p:pid() then p:kill("kill") p:close() end
      end
    end
  end
  local ran, err = pcall(function()
    daemons[1] = assert(sys.spawn({ "munged", "-F", "-f", "-S", d .. "/munge.sock", "--pid-file=" .. d .. "/munged.pid",
      "--seed-file=" .. d .. "/munged.seed", "--log-file=" .. d .. "/munged.log" }, { log = d .. "/munged.out" }))
    local t0 = sys.clock()
    while not read(d .. "/munged.pid") and sys.clock() - t0 < 10 do sys.sleep(0.05) end
    daemons[2] = assert(sys.spawn({ "slurmctld", "-D", "-f", conf }, { log = d .. "/slurmctld.out" }))
    daemons[3] = assert(sys.spawn({ "slurmd", "-D", "-f", conf }, { log = d .. "/slurmd.out" }))
    -- the node is up when sinfo says idle
    local up = false
    while not up and sys.clock() - t0 < 30 do
      sys.sleep(0.3)
      local _, _, _, text = spawn_wait({ "env", env, "sinfo", "-h", "-o", "%T" }, d .. "/sinfo.out")
      up = text:find("idle") ~= nil
    end
    lu.assertTrue(up, "the node never came up:\n" .. (read(d .. "/slurmctld.out") or "") .. (read(d .. "/slurmd.out") or ""))
    local file = sweep_file(d, "grid = { a = { 1, 2 } },\n  seeds = { 1, 2 },\n  threads = 1,\n  slurm = { cpus = 1, mem = '100M' },")
    local sok, _, _, text = spawn_wait({ "env", env, BIN, "sweep", file, "--slurm" }, d .. "/submit.log")
    lu.assertTrue(sok, text)
    local job = text:match("submitted: job (%d+)")
    lu.assertNotNil(job, text)
    jobs[#jobs + 1] = job
    local sw = sweep.load(file)
    local counts
    while sys.clock() - t0 < 90 do
      counts = sweep.status(sw, { verbose = false }).counts
      if (counts.done or 0) + (counts.failed or 0) == 4 then break end
      sys.sleep(0.3)
    end
    lu.assertEquals(counts, { done = 4 }, "Slurm's runs: " .. (read(sw.dir .. "/slurm-" .. job .. "_1.out") or ""))
    local m = json.decode(read(sw.dir .. "/manifest.json"))
    lu.assertEquals(m.runner, "slurm")
    lu.assertEquals(m.slurm_job, job)
    lu.assertStrContains(read(sw.dir .. "/slurm-" .. job .. "_4.out"), "run 4/4 a-2_seed-2")
    local rows = sweep.collect(sw, { verbose = false })
    -- the same sweep here: the same metrics, to the last bit
    local here = sweep.load(file)
    here.dir = d .. "/local"
    sweep.run_local(here, { parallel = 2, verbose = false })
    local local_rows = sweep.collect(here, { verbose = false })
    for i, row in ipairs(rows) do
      lu.assertEquals(row.metrics.loss, local_rows[i].metrics.loss, row.run.id)
      lu.assertEquals(row.metrics.value, local_rows[i].metrics.value)
    end
    jobs = {}
    -- a job still in the queue (held): no second submission of the same runs, unless --force
    local held = sweep_file(d, "grid = { a = { 1 } },\n  seeds = { 1 },\n  slurm = { cpus = 1, mem = '100M', " ..
      "options = { '--hold' } },", "held")
    sok, _, _, text = spawn_wait({ "env", env, BIN, "sweep", held, "--slurm" }, d .. "/held.log")
    lu.assertTrue(sok, text)
    jobs[#jobs + 1] = text:match("submitted: job (%d+)")
    lu.assertNotNil(jobs[1], text)
    sok, _, _, text = spawn_wait({ "env", env, BIN, "sweep", held, "--slurm" }, d .. "/held.log")
    lu.assertFalse(sok, text)
    lu.assertStrContains(text, "Slurm job " .. jobs[1] .. " of this sweep is still queued or running")
    sok, _, _, text = spawn_wait({ "env", env, BIN, "sweep", held, "--slurm", "--force" }, d .. "/held.log")
    lu.assertTrue(sok, text)
    jobs[#jobs + 1] = text:match("submitted: job (%d+)")
    lu.assertNotNil(jobs[2], text)
    lu.assertTrue(spawn_wait({ "env", env, "scancel", jobs[1], jobs[2] }, d .. "/scancel.out"))
    jobs = {}
  end)
  stop_all()
  for _, p in ipairs(daemons) do lu.assertNil(p:pid(), "a daemon is still running") end
  if not ran then error(err, 0) end
  sys.remove_tree(d)
end

TestSweepExample = {}

-- The example sweep: its grid, and one of its runs as the runner starts it
-- (--quick), writing into the run's folder.
function TestSweepExample:test_denoising_sweep_and_one_run()
  if not ae.data.fashion_mnist { limit = 1, test_limit = 1 } then lu.skip("Fashion-MNIST is not installed") end
  local sw = sweep.load(HERE .. "/lessons/sweeps/denoising.lua")
  local runs = sweep.expand(sw)
  lu.assertEquals(#runs, 18)
  lu.assertEquals(runs[1].settings, { code = 8, noise = 0 })
  local d = tmpdir("example")
  local run = d .. "/code-16_noise-0.5_seed-4"
  assert(sys.mkdir(run))
  assert(sys.write_file(run .. "/settings.json", json.encode { settings = { code = 16, noise = 0.5 }, seed = 4 }))
  local ok, how, code, text = spawn_wait({ BIN, "--threads", "1", "--seed", "4", "--run", run, "--quick", "--", sw.script },
    d .. "/log.txt")
  lu.assertTrue(ok, text)
  lu.assertStrContains(text, "784-256-16-256-784")
  lu.assertStrContains(text, "Gaussian noise std 0.5")
  local m = json.decode(read(run .. "/metrics.json"))
  lu.assertEquals(m.code, 16)
  lu.assertEquals(m.noise, 0.5)
  for _, k in ipairs(sw.metrics) do lu.assertEquals(type(m[k]), "number", k) end
  lu.assertTrue(m.denoise_mse < m.noisy_input_mse, "a denoising AE removes some of the noise")
  lu.assertNotNil(read(run .. "/dae.safetensors"))
  lu.assertStrContains(read(run .. "/report.md"), "## What the numbers say")
  sys.remove_tree(d)
end
