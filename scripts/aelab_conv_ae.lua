-- The aelab side of the convolutional race (scripts/bench-conv.lua runs it):
-- the Keras tutorial's convolutional autoencoder (lesson 08's model), same
-- data, batch, optimizer and epochs as scripts/torch_conv_ae.py. Prints one
-- JSON line with --json.
--   ./aelab scripts/aelab_conv_ae.lua [--epochs N] [--batch B] [--limit N] [--json] [--profile]
-- --profile prints the time each layer took.
local ae = require "aelab"
local epochs, batch, limit, as_json, profile = 5, 256, nil, false, false
local i = 1
while arg[i] do
  if arg[i] == "--epochs" then epochs = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--batch" then batch = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--limit" then limit = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--json" then as_json = true
  elseif arg[i] == "--profile" then profile = true end
  i = i + 1
end
local train, test = assert(ae.data.fashion_mnist(limit and { limit = limit, test_limit = 10000 } or nil))
local function same(cin, cout) return ae.Conv2D(cin, cout, 3, { padding = "same" }) end
local function pool() return ae.MaxPool2D(2, { padding = "same" }) end
local net = ae.Autoencoder {
  encoder = { same(1, 16), ae.ReLU(), pool(), same(16, 8), ae.ReLU(), pool(), same(8, 8), ae.ReLU(), pool() },
  decoder = { same(8, 8), ae.ReLU(), ae.UpSampling2D(2), same(8, 8), ae.ReLU(), ae.UpSampling2D(2),
    ae.Conv2D(8, 16, 3), ae.ReLU(), ae.UpSampling2D(2), same(16, 1), ae.Sigmoid() },
  input = { 1, 28, 28 },
}
local h = net:fit(train.x, { epochs = epochs, batch = batch, loss = "bce", validation = test.x,
  optimizer = ae.optim.Adam { lr = 1e-3, eps = 1e-7 }, verbose = not as_json })
if profile then print(net:profile()) end
local median = ae.median(h.samples_per_s)
-- a training sample's floating-point work, as net:profile() counts it
local flops = 0
for _, s in ipairs(net:layer_seconds()) do flops = flops + s.forward_flops + s.backward_flops end
if as_json then
  print(ae.json.encode { epochs = epochs, test_bce = h.val_loss, samples_per_s = h.samples_per_s,
    median_samples_per_s = median, threads = ae.threads(), blas = ae.blas().arch, flops_per_sample = flops })
else
  print(string.format("median %.0f samples/s", median))
end
