-- The aelab side of the dense race (scripts/bench-dense.lua runs it):
-- the lesson-01 model, same data, batch, optimizer and epochs as
-- scripts/torch_dense_ae.py. Prints one JSON line with --json.
--   ./aelab scripts/aelab_dense_ae.lua [--epochs N] [--batch B] [--json] [--widths 128,64,32] [--limit N]
-- (--widths: the encoder's widths; 128,64,32 is the deep 784-128-64-32-64-128-784)
local ae = require "aelab"
local epochs, batch, as_json, widths, limit = 5, 256, false, { 32 }, nil
local i = 1
while arg[i] do
  if arg[i] == "--epochs" then epochs = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--batch" then batch = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--json" then as_json = true
  elseif arg[i] == "--limit" then limit = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--widths" then
    widths = {}
    for w in arg[i + 1]:gmatch("%d+") do widths[#widths + 1] = tonumber(w) end
    i = i + 1
  end
  i = i + 1
end
local train, test = assert(ae.data.fashion_mnist(limit and { limit = limit } or nil))
local sizes = { 784 }
for _, w in ipairs(widths) do sizes[#sizes + 1] = w end
local encoder, decoder = {}, {}
for k = 1, #sizes - 1 do
  encoder[#encoder + 1] = ae.Dense(sizes[k], sizes[k + 1])
  encoder[#encoder + 1] = ae.ReLU()
end
for k = #sizes, 2, -1 do
  decoder[#decoder + 1] = ae.Dense(sizes[k], sizes[k - 1])
  decoder[#decoder + 1] = k == 2 and ae.Sigmoid() or ae.ReLU()
end
local net = ae.Autoencoder { encoder = encoder, decoder = decoder }
local h = net:fit(train.x, { epochs = epochs, batch = batch, loss = "bce", validation = test.x,
  optimizer = ae.optim.Adam { lr = 1e-3, eps = 1e-7 }, verbose = not as_json })
local median = ae.median(h.samples_per_s)
if as_json then
  print(ae.json.encode { epochs = epochs, test_bce = h.val_loss, samples_per_s = h.samples_per_s,
    median_samples_per_s = median, threads = ae.threads(), blas = ae.blas().arch,
    backoffs = require("aelab.sys").pool().backoffs })
else
  print(string.format("median %.0f samples/s", median))
end
