-- The aelab side of the VAE race (scripts/bench-vae.lua runs it): the
-- course's VAE (784-256-(2) / (2)-256-784, ReLU, Sigmoid, BCE summed over
-- pixels + KL) on Fashion-MNIST, with the data, batch, optimizer and epochs
-- of scripts/torch_vae.py. Prints one JSON line with --json.
--   ./aelab scripts/aelab_vae.lua [--epochs N] [--batch B] [--limit N] [--json]
local ae = require "aelab"
local USAGE = "usage: ./aelab scripts/aelab_vae.lua [--epochs N] [--batch B] [--limit N] [--json]"
local epochs, batch, limit, as_json = 5, 256, nil, false
-- the value after a flag: a positive integer, or a message saying what to give
local function count(flag, v)
  local n = math.tointeger(tonumber(v))
  if not n or n < 1 then error(string.format("%s needs a positive integer, got %s\n%s", flag, tostring(v), USAGE), 0) end
  return n
end
local i = 1
while arg[i] do
  local a = arg[i]
  if a == "--epochs" then epochs = count(a, arg[i + 1]); i = i + 1
  elseif a == "--batch" then batch = count(a, arg[i + 1]); i = i + 1
  elseif a == "--limit" then limit = count(a, arg[i + 1]); i = i + 1
  elseif a == "--json" then as_json = true
  else error(string.format("unknown argument %q\n%s", a, USAGE), 0) end
  i = i + 1
end
local train, test = assert(ae.data.fashion_mnist(limit and { limit = limit, test_limit = 10000 } or nil))
local net = ae.VAE { encoder = { ae.Dense(784, 256), ae.ReLU() }, latent = 2,
  decoder = { ae.Dense(2, 256), ae.ReLU(), ae.Dense(256, 784), ae.Sigmoid() } }
local h = net:fit(train.x, { epochs = epochs, batch = batch, loss = "bce_sum", validation = test.x,
  optimizer = ae.optim.Adam { lr = 1e-3, eps = 1e-7 }, verbose = not as_json })
local median = ae.median(h.samples_per_s)
if as_json then
  print(ae.json.encode { epochs = epochs, test_bce = h.val_loss, test_reconstruction = h.val_reconstruction,
    test_kl = h.val_kl, samples_per_s = h.samples_per_s, median_samples_per_s = median, threads = ae.threads(),
    blas = ae.blas().arch })
else
  for e = 1, h.epochs do
    print(string.format("epoch %d  test loss %.3f = reconstruction %.3f + KL %.3f nats/image", e, h.val_loss[e],
      h.val_reconstruction[e], h.val_kl[e]))
  end
  print(string.format("median %.0f samples/s", median))
end
