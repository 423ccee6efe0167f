-- The aelab side of the image race (scripts/bench-images.lua runs it): lesson
-- 13's convolutional model (3×3 'same' convolutions 3→16→16→16→3, ReLU,
-- sigmoid out, MSE) on 3-channel 64×64 crops, watermarked in, clean out,
-- from the .npy files bench-images.lua wrote; same data, batch, optimizer
-- and epochs as scripts/torch_image_ae.py. Prints one JSON line with --json.
--   ./aelab scripts/aelab_image_ae.lua --data PREFIX [--epochs N] [--batch B] [--json]
local ae = require "aelab"
local epochs, batch, prefix, as_json = 2, 32, nil, false
local i = 1
while arg[i] do
  if arg[i] == "--epochs" then epochs = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--batch" then batch = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--data" then prefix = arg[i + 1]; i = i + 1
  elseif arg[i] == "--json" then as_json = true end
  i = i + 1
end
assert(prefix, "--data PREFIX: the .npy files bench-images.lua wrote")
local function load(name) return assert(ae.load_npy(prefix .. "-" .. name .. ".npy")) end
local xtr, ytr, xte, yte = load("train-x"), load("train-y"), load("test-x"), load("test-y")
local function same(a, b) return ae.Conv2D(a, b, 3, { padding = "same" }) end
local net = ae.Autoencoder {
  encoder = { same(3, 16), ae.ReLU(), same(16, 16), ae.ReLU() },
  decoder = { same(16, 16), ae.ReLU(), same(16, 3), ae.Sigmoid() },
  input = { 3, 64, 64 },
}
local h = net:fit(xtr, { target = ytr, validation = { x = xte, target = yte }, epochs = epochs, batch = batch,
  loss = "mse", optimizer = ae.optim.Adam { lr = 2e-3, eps = 1e-7 }, verbose = not as_json })
local median = ae.median(h.samples_per_s)
if as_json then
  print(ae.json.encode { epochs = epochs, test_bce = h.val_loss, samples_per_s = h.samples_per_s,
    median_samples_per_s = median, threads = ae.threads(), blas = ae.blas().arch })
else
  print(string.format("median %.0f samples/s", median))
end
