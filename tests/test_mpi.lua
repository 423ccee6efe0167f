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
  H.error_containing(lu, "unknown option 'distribute' (did you mean 'distributed'?)", net.fit, net, ae.rand(8, 4),
    { epochs = 1, optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false, distribute = true })
  -- the set's ρ̂ is measured in fit's own loop, which a distributed step does not run
  local sparse = ae.Autoencoder { encoder = { ae.Dense(4, 3), ae.Sigmoid() }, decoder = { ae.Dense(3, 4) } }
  H.error_containing(lu, "estimate = \"dataset\" is not supported yet", sparse.fit, sparse, ae.rand(8, 4),
    { epochs = 1, optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false, distributed = true,
      penalty = ae.penalty.kl_sparsity { beta = 1, rho = 0.1, estimate = "dataset" } })
end

TestMPI = {}

local function losses(path)
  local t = json.decode(assert(read(path), "no " .. path))
  return t
end

function TestMPI:test_two_ranks_give_the_losses_of_one_process()
  local log = string.format("/tmp/aelab-test-mpi-%d.log", sys.getpid())
  local ok, text = run({ HERE .. "/scripts/install-deps.sh", "openmpi-bin", "libopenmpi-dev" }, log)
  if not ok or not sys.which("mpirun") or not sys.which("mpicc") then
    lu.skip("Open MPI (openmpi-bin, libopenmpi-dev) cannot be installed here: " .. text)
  end
  ok, text = run({ "make", "--no-print-directory", "-s", "aelab-mpi" }, log)
  lu.assertTrue(ok, "make aelab-mpi failed:\n" .. text)
  local dir = string.format("/tmp/aelab-test-mpi-%d", sys.getpid())
  sys.remove_tree(dir)
  assert(sys.mkdir(dir))
  local script = HERE .. "/tests/data/mpi_fit.lua"
  -- one process, plain fit (model:step); one thread, as each rank has
  ok, text = run({ BIN, "--threads", "1", script, "plain", dir .. "/one.json" }, log)
  lu.assertTrue(ok, text)
  local mpirun = { "mpirun", "--oversubscribe", "-np", "2" }
  if io.open("/proc/self/status") and (read("/proc/self/status") or ""):match("\nUid:%s+0%s") then
    table.insert(mpirun, 2, "--allow-run-as-root") -- Open MPI refuses root without it
  end
  for _, a in ipairs { HERE .. "/aelab-mpi", "--threads", "1", script, "dist", dir .. "/two.json" } do mpirun[#mpirun + 1] = a end
  ok, text = run(mpirun, log)
  lu.assertTrue(ok, "mpirun failed:\n" .. text)
  local one, two = losses(dir .. "/one.json"), losses(dir .. "/two.json")
  lu.assertEquals(one.ranks, 1)
  lu.assertEquals(two.ranks, 2)
  lu.assertEquals(#two.loss, 4)
  local lines = {}
  for e = 1, 4 do
    for _, k in ipairs { "loss", "val_loss" } do
      local a, b = one[k][e], two[k][e]
      lines[#lines + 1] = string.format("epoch %d %s: 1 process %.9f, 2 ranks %.9f", e, k, a, b)
      lu.assertTrue(math.abs(a - b) <= TOL * math.abs(a), lines[#lines])
    end
  end
  -- the weights moved: the losses are of training, not of a model left as it was
  lu.assertTrue(two.loss[4] < two.loss[1] - 0.01, table.concat(lines, "\n"))
  -- only rank 0 wrote: the file is one JSON object
  lu.assertEquals(select(2, read(dir .. "/two.json"):gsub("\n", "")), 1)
  print("\n  " .. table.concat(lines, "\n  "))
  -- a lesson under mpirun: distributed by itself, one narration, files from rank 0 only
  mpirun[#mpirun - 4], mpirun[#mpirun - 3], mpirun[#mpirun - 2], mpirun[#mpirun - 1], mpirun[#mpirun] =
    "--threads", "1", "--out", dir, HERE .. "/tests/data/mpi_lesson.lua"
  ok, text = run(mpirun, log)
  lu.assertTrue(ok, "mpirun of a lesson failed:\n" .. text)
  lu.assertEquals(select(2, text:gsub("hello from the lesson", "")), 1, text)
  lu.assertEquals(select(2, text:gsub("Done in", "")), 1, text)
  local m = json.decode(read(dir .. "/mpi_lesson/metrics.json"))
  lu.assertEquals(m.ranks, 2)
  lu.assertNotNil(read(dir .. "/mpi_lesson/m.safetensors"))
  sys.remove_tree(dir)
  os.remove(log)
end
