-- For tests/test_mpi.lua: the same small autoencoder trained by plain fit
-- (`plain`) or by data-parallel fit (`dist`, under mpirun); rank 0 writes
-- the losses of every epoch as JSON to the file named by the second argument.
-- The global batch (25 of 256 rows: shards of 12 and 13, a last batch of 6)
-- and the seed are the same either way. A third argument: `frozen` (layer 1
-- frozen, SGD with weight decay; the JSON gets the sum of its weights before
-- and after), `noise` (Gaussian input noise and dropout: each rank's rows
-- draw what one process would), `fail` (rank 1 raises in on_epoch), or a
-- number of rows instead of 256 (251: a last batch of 1, fewer rows than ranks;
-- also as a fourth argument after a variant).
local ae = require "aelab"
local mpi = require "aelab.mpi"
local sys = require "aelab.sys"
local mode, out, variant = arg[1], arg[2], arg[3]
assert(mode == "plain" or mode == "dist", "usage: mpi_fit.lua plain|dist out.json [frozen|noise|fail|N] [N]")
local rank = mode == "dist" and select(2, mpi.launched()) or 0
-- every rank draws its own weights: rank 0's reach the others by broadcast
ae.seed(100 + rank)
local N = tonumber(arg[4] or variant) or 256
local x = ae.rand(N, 20)
local v = ae.rand(100, 20)
mpi.bcast(x, 0)
mpi.bcast(v, 0)
local enc = { ae.Dense(20, 8), ae.Tanh() }
if variant == "noise" then enc = { ae.Dense(20, 8), ae.Tanh(), ae.Dropout(0.3) } end
local net = ae.Autoencoder { encoder = enc, decoder = { ae.Dense(8, 20), ae.Sigmoid() } }
ae.seed(7) -- the same stream on every rank from here (noise, dropout, shuffling)
local opt = ae.optim.Adam { lr = 1e-2 }
local frozen_before
local function sum_of(t)
  local s = 0
  for _, r in ipairs(t:totable()) do
    if type(r) == "table" then for _, y in ipairs(r) do s = s + y end else s = s + r end
  end
  return s
end
if variant == "frozen" then
  opt = ae.optim.SGD { lr = 0.1, momentum = 0.9, weight_decay = 0.1 }
  net:freeze(1)
  frozen_before = sum_of(net:layers()[1]:parameters()[1])
end
local on_epoch
if variant == "fail" then
  on_epoch = function(e) if mpi.rank() == 1 and e == 2 then error("rank 1 fails on purpose") end end
end
local h = net:fit(x, { epochs = 4, batch = 25, loss = "bce", optimizer = opt, validation = v,
  verbose = false, distributed = mode == "dist", on_epoch = on_epoch,
  noise = variant == "noise" and ae.noise.gaussian { std = 0.2 } or nil })
if mpi.rank() == 0 then
  assert(sys.write_file(out, ae.json.encode({ loss = h.loss, val_loss = h.val_loss, ranks = h.ranks or 1,
    frozen_before = frozen_before, frozen_after = frozen_before and sum_of(net:layers()[1]:parameters()[1]) }) .. "\n"))
end
