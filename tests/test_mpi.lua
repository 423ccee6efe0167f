-- Data-parallel fit over MPI: aelab.mpi without MPI (one process alone),
-- and with Open MPI (installed by the test with scripts/install-deps.sh;
-- skipped with a message only where it cannot be): `make aelab-mpi`, then
-- 2 ranks under mpirun give the losses of 1 process to 1e-5 over 4 epochs.
local lu = require "luaunit"
local ae = require "aelab"
local sys = require "aelab.sys"
local json = require "aelab.json"
local mpi = require "aelab.mpi"
local H = require "helpers"

local HERE = os.getenv("PWD") or "."
local BIN = os.getenv("AELAB_BIN") or "./aelab"
local TOL = 1e-5

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function run(argv, log)
  local p = assert(sys.spawn(argv, { log = log }))
  local ok, how, code = p:close()
  return ok, read(log) or "", how, code
end

TestMPIAlone = {}

-- Built without MPI (the default): the same API, as one rank of one.
function TestMPIAlone:test_one_process_alone()
  if mpi.available then lu.skip("this aelab is built with MPI") end
  lu.assertEquals({ mpi.init() }, { 0, 1 })
  lu.assertEquals(mpi.rank(), 0)
  lu.assertEquals(mpi.size(), 1)
  lu.assertEquals(mpi.sum(2.5), 2.5)
  local t = ae.tensor { 1, 2, 3 }
  mpi.allreduce(t, 0.5)
  lu.assertEquals(t:totable(), { 0.5, 1, 1.5 })
  mpi.bcast(t, 0)
  H.error_containing(lu, "root must be a rank", mpi.bcast, t, 1)
  local net = ae.Autoencoder { encoder = { ae.Dense(4, 2) }, decoder = { ae.Dense(2, 4) } }
  H.error_containing(lu, "distributed = true needs aelab built with MPI (make MPI=1", net.fit, net, ae.rand(8, 4),
    { epochs = 1, optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false, distributed = true })
  H.error_containing(lu, "fit: distributed must be true or false, got 1", net.fit, net, ae.rand(8, 4),
    { epochs = 1, optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false, distributed = 1 })
  H.error_containing(lu, "unknown option 'distribute' (did you mean 'distributed'?)", net.fit, net, ae.rand(8, 4),
    { epochs = 1, optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false, distribute = true })
  -- KL sparsity (either ρ̂ estimate) is refused: a shard's ρ̂ is not the batch's
  local sparse = ae.Autoencoder { encoder = { ae.Dense(4, 3), ae.Sigmoid() }, decoder = { ae.Dense(3, 4) } }
  H.error_containing(lu, "KL sparsity penalty is not supported under distributed training", sparse.fit, sparse, ae.rand(8, 4),
    { epochs = 1, optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false, distributed = true,
      penalty = ae.penalty.kl_sparsity { beta = 1, rho = 0.1, estimate = "dataset" } })
end

TestMPI = {}

local function losses(path)
  local t = json.decode(assert(read(path), "no " .. path))
  return t
end

-- Open MPI installed and ./aelab-mpi built (once per suite), or a skip;
-- a scratch folder and a log of this test's own.
local built
local function setup()
  local log = string.format("/tmp/aelab-test-mpi-%d.log", sys.getpid())
  if not built then
    local ok, text = run({ HERE .. "/scripts/install-deps.sh", "openmpi-bin", "libopenmpi-dev" }, log)
    if not ok or not sys.which("mpirun") or not sys.which("mpicc") then
      os.remove(log)
      lu.skip("Open MPI (openmpi-bin, libopenmpi-dev) cannot be installed here: " .. text)
    end
    ok, text = run({ "make", "--no-print-directory", "-s", "aelab-mpi" }, log)
    lu.assertTrue(ok, "make aelab-mpi failed:\n" .. text)
    built = true
  end
  local dir = string.format("/tmp/aelab-test-mpi-%d", sys.getpid())
  sys.remove_tree(dir)
  assert(sys.mkdir(dir))
  return dir, log
end

-- mpirun -np K (TMPDIR in dir/tmp, so that the ranks' scratch folders can
-- be looked for) of ./aelab-mpi with args, under a deadline
local function mpirun(dir, K, args, deadline)
  sys.mkdir(dir .. "/tmp")
  local argv = { "timeout", "-s", "KILL", tostring(deadline or 300), "env", "TMPDIR=" .. dir .. "/tmp",
    "mpirun", "--oversubscribe", "-np", tostring(K) }
  if (read("/proc/self/status") or ""):match("\nUid:%s+0%s") then
    argv[#argv + 1] = "--allow-run-as-root" -- Open MPI refuses root without it
  end
  argv[#argv + 1] = HERE .. "/aelab-mpi"
  argv[#argv + 1] = "--threads"
  argv[#argv + 1] = "1"
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return argv
end

local function compare(one, two, tol)
  local lines = {}
  for e = 1, 4 do
    for _, k in ipairs { "loss", "val_loss" } do
      local a, b = one[k][e], two[k][e]
      lines[#lines + 1] = string.format("epoch %d %s: 1 process %.9f, 2 ranks %.9f", e, k, a, b)
      lu.assertTrue(math.abs(a - b) <= tol * math.abs(a), lines[#lines])
    end
  end
  return lines
end

local function leftovers(dir)
  local names = {}
  for _, e in ipairs(sys.listdir(dir) or {}) do names[#names + 1] = e.name end
  return names
end

function TestMPI:test_two_ranks_give_the_losses_of_one_process()
  local dir, log = setup()
  local script = HERE .. "/tests/data/mpi_fit.lua"
  -- one process, plain fit (model:step); one thread, as each rank has
  local ok, text = run({ BIN, "--threads", "1", script, "plain", dir .. "/one.json" }, log)
  lu.assertTrue(ok, text)
  -- each rank seeds its own weights (100 + rank): rank 0's must reach rank 1
  ok, text = run(mpirun(dir, 2, { script, "dist", dir .. "/two.json" }), log)
  lu.assertTrue(ok, "mpirun failed:\n" .. text)
  local one, two = losses(dir .. "/one.json"), losses(dir .. "/two.json")
  lu.assertEquals(one.ranks, 1)
  lu.assertEquals(two.ranks, 2)
  lu.assertEquals(#two.loss, 4)
  local lines = compare(one, two, TOL)
  -- the weights moved: the losses are of training, not of a model left as it was
  lu.assertTrue(two.loss[4] < two.loss[1] - 0.01, table.concat(lines, "\n"))
  -- only rank 0 wrote: the file is one JSON object
  lu.assertEquals(select(2, read(dir .. "/two.json"):gsub("\n", "")), 1)
  print("\n  " .. table.concat(lines, "\n  "))
  -- a lesson under mpirun: distributed by itself, one narration, files from rank 0 only
  ok, text = run(mpirun(dir, 2, { "--out", dir, HERE .. "/tests/data/mpi_lesson.lua" }), log)
  lu.assertTrue(ok, "mpirun of a lesson failed:\n" .. text)
  lu.assertEquals(select(2, text:gsub("hello from the lesson", "")), 1, text)
  lu.assertEquals(select(2, text:gsub("Done in", "")), 1, text)
  local m = json.decode(read(dir .. "/mpi_lesson/metrics.json"))
  lu.assertEquals(m.ranks, 2)
  lu.assertNotNil(read(dir .. "/mpi_lesson/m.safetensors"))
  -- rank 1's scratch folder is gone, and no run in progress is left behind
  lu.assertEquals(leftovers(dir .. "/tmp"), {})
  for _, n in ipairs(leftovers(dir)) do lu.assertNil(n:find(".partial-", 1, true), n) end
  sys.remove_tree(dir)
  os.remove(log)
end

-- 251 rows in batches of 25: the last batch has 1 row, fewer than the
-- ranks (rank 1's shard is empty and it still takes the same step).
function TestMPI:test_a_batch_smaller_than_the_ranks()
  local dir, log = setup()
  local script = HERE .. "/tests/data/mpi_fit.lua"
  local ok, text = run({ BIN, "--threads", "1", script, "plain", dir .. "/one.json", "251" }, log)
  lu.assertTrue(ok, text)
  ok, text = run(mpirun(dir, 2, { script, "dist", dir .. "/two.json", "251" }), log)
  lu.assertTrue(ok, "mpirun failed:\n" .. text)
  compare(losses(dir .. "/one.json"), losses(dir .. "/two.json"), TOL)
  sys.remove_tree(dir)
  os.remove(log)
end

-- Gaussian input noise and Dropout: each rank draws, for its rows of the
-- global batch, what one process draws for them; a rank with no rows in the
-- last batch (251 rows) still keeps its random stream with the others.
function TestMPI:test_noise_and_dropout_draw_what_one_process_draws()
  local dir, log = setup()
  local script = HERE .. "/tests/data/mpi_fit.lua"
  local ok, text = run({ BIN, "--threads", "1", script, "plain", dir .. "/one.json", "noise", "251" }, log)
  lu.assertTrue(ok, text)
  ok, text = run(mpirun(dir, 2, { script, "dist", dir .. "/two.json", "noise", "251" }), log)
  lu.assertTrue(ok, "mpirun failed:\n" .. text)
  compare(losses(dir .. "/one.json"), losses(dir .. "/two.json"), TOL)
  -- ρ̂ of KL sparsity would be each shard's own: refused, with the way out
  local net = ae.Autoencoder { encoder = { ae.Dense(4, 2), ae.Sigmoid() }, decoder = { ae.Dense(2, 4) } }
  if mpi.available then
    H.error_containing(lu, "KL sparsity penalty is not supported under distributed training", net.fit, net,
      ae.rand(8, 4), { epochs = 1, optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false, distributed = true,
        penalty = ae.penalty.kl_sparsity { rho = 0.05, beta = 1, layer = 2 } })
  end
  sys.remove_tree(dir)
  os.remove(log)
end

-- Frozen layers stay frozen under distributed fit, weight decay and
-- momentum too (one rank: the update is model:step's).
function TestMPI:test_frozen_layers_under_distributed_fit()
  local dir, log = setup()
  local script = HERE .. "/tests/data/mpi_fit.lua"
  local ok, text = run({ BIN, "--threads", "1", script, "plain", dir .. "/one.json", "frozen" }, log)
  lu.assertTrue(ok, text)
  ok, text = run(mpirun(dir, 1, { script, "dist", dir .. "/two.json", "frozen" }), log)
  lu.assertTrue(ok, "mpirun failed:\n" .. text)
  local one, two = losses(dir .. "/one.json"), losses(dir .. "/two.json")
  lu.assertEquals(one.frozen_after, one.frozen_before)
  lu.assertEquals(two.frozen_after, two.frozen_before)
  compare(one, two, TOL)
  sys.remove_tree(dir)
  os.remove(log)
end

-- One rank's error stops the job: MPI_Abort, not rank 0 waiting for ever
-- in MPI_Allreduce while rank 1 waits in MPI_Finalize.
function TestMPI:test_an_error_on_one_rank_stops_the_job()
  local dir, log = setup()
  local t0 = sys.clock()
  local ok, text, how, code = run(mpirun(dir, 2, { HERE .. "/tests/data/mpi_fit.lua", "dist", dir .. "/x.json", "fail" }, 60), log)
  lu.assertFalse(ok, text)
  lu.assertStrContains(text, "rank 1 fails on purpose")
  -- timeout kills with SIGKILL (code 137 or signal) when the job hung
  lu.assertFalse(how == "signal" or code == 137 or code == 124, "the job hung until timeout:\n" .. text)
  lu.assertTrue(sys.clock() - t0 < 50, text)
  sys.remove_tree(dir)
  os.remove(log)
end
