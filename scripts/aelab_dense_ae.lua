-- The aelab side of the dense race (scripts/bench-dense.lua runs it):
-- the lesson-01 model, same data, batch, optimizer and epochs as
-- scripts/torch_dense_ae.py. Prints one JSON line with --json.
--   ./aelab scripts/aelab_dense_ae.lua [--epochs N] [--batch B] [--json]
local ae = require "aelab"
local epochs, batch, as_json = 5, 256, false
local i = 1
while arg[i] do
  if arg[i] == "--epochs" then epochs = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--batch" then batch = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--json" then as_json = true end
  i = i + 1
end
local train, test = assert(ae.data.fashion_mnist())
local net = ae.Autoencoder {
  encoder = { ae.Dense(784, 32), ae.ReLU() },
  decoder = { ae.Dense(32, 784), ae.Sigmoid() },
}
local h = net:fit(train.x, { epochs = epochs, batch = batch, loss = "bce", validation = test.x,
  optimizer = ae.optim.Adam { lr = 1e-3, eps = 1e-7 }, verbose = not as_json })
local median = ae.median(h.samples_per_s)
if as_json then
  print(ae.json.encode { epochs = epochs, test_bce = h.val_loss, samples_per_s = h.samples_per_s,
    median_samples_per_s = median, threads = ae.threads(), blas = ae.blas().arch })
else
  print(string.format("median %.0f samples/s", median))
end
