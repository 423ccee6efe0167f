-- For tests/test_mpi.lua: the same small autoencoder trained by plain fit
-- (`plain`) or by data-parallel fit (`dist`, under mpirun); rank 0 writes
-- the losses of every epoch as JSON to the file named by the second argument.
-- The global batch (25 of 256 rows: shards of 12 and 13, a last batch of 6)
-- and the seed are the same either way.
local ae = require "aelab"
local mpi = require "aelab.mpi"
local sys = require "aelab.sys"
local mode, out = arg[1], arg[2]
assert(mode == "plain" or mode == "dist", "usage: mpi_fit.lua plain|dist out.json")
ae.seed(7)
local x = ae.rand(256, 20)
local v = ae.rand(100, 20)
local net = ae.Autoencoder { encoder = { ae.Dense(20, 8), ae.Tanh() }, decoder = { ae.Dense(8, 20), ae.Sigmoid() } }
local h = net:fit(x, { epochs = 4, batch = 25, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-2 }, validation = v,
  verbose = false, distributed = mode == "dist" })
if mpi.rank() == 0 then
  assert(sys.write_file(out, ae.json.encode({ loss = h.loss, val_loss = h.val_loss, ranks = h.ranks or 1 }) .. "\n"))
end
