-- aelab against PyTorch on lesson 08's model, the Keras tutorial's
-- convolutional autoencoder (Fashion-MNIST, batch 256, Adam, BCE), same data,
-- in one run. Rounds alternate between the contenders so drifts of this VM
-- hit both alike; each round is a fresh process training E epochs; a
-- contender's figure is the median over all its epochs. Both use 2 threads;
-- PyTorch runs its convolutions on oneDNN.
--
-- --busy: the same with another program keeping one core busy the whole
-- time, and aelab four ways (its default, one thread, two threads whose
-- waits spin or sleep), as scripts/bench-dense.lua --busy.
--   ./aelab scripts/bench-conv.lua [rounds=3] [epochs=2] [train images=60000] [--busy]
local ae = require "aelab"
local load = require "scripts.load"
local race = require "scripts.race"

local busy, pos = false, {}
for _, a in ipairs(arg) do
  if a == "--busy" then busy = true
  else pos[#pos + 1] = tonumber(a) or error("bench-conv: unknown argument '" .. a .. "'") end
end
local rounds, epochs = pos[1] or 3, pos[2] or 2
local limit = pos[3] or (busy and 6000 or 60000)
local home = ae.options.home

local function aelab(label, threads, env)
  local argv = { home .. "/aelab", "--threads", tostring(threads or 2), home .. "/scripts/aelab_conv_ae.lua",
    "--json", "--epochs", tostring(epochs), "--limit", tostring(limit) }
  if not threads then table.remove(argv, 3); table.remove(argv, 2) end
  if env then table.insert(argv, 1, "env"); table.insert(argv, 2, env) end
  return { name = label, argv = argv }
end
local torch = { name = "PyTorch (oneDNN), 2 threads", torch = true, argv = { "/usr/bin/python3",
  home .. "/scripts/torch_conv_ae.py", "--threads", "2", "--json", "--epochs", tostring(epochs), "--train-limit",
  tostring(limit) } }
local contenders = busy and {
  aelab("aelab (default)"), aelab("aelab --threads 1", 1), aelab("aelab --threads 2, spinning", 2, "AELAB_POOL=fixed"),
  aelab("aelab --threads 2, sleeping", 2, "AELAB_POOL=passive"), torch,
} or { aelab("aelab (2 threads)", 2), torch }

local peak, peak_line = load.peak(2)
print(peak_line)
print(string.format("CPU: %s; aelab's BLIS kernels: %s", load.cpu(), ae.blas().arch))
print(string.format("Convolutional autoencoder (Keras tutorial), Fashion-MNIST %d images, batch 256: %d rounds × %d epochs%s",
  limit, rounds, epochs, busy and ", one core busy" or ""))
local loader = busy and load.start() or nil
local ok, err = pcall(race, contenders, rounds, 32)
if loader then loader.stop() end
if not ok then error(err, 0) end

-- the model's work per sample, from aelab's own count (net:profile's)
local flops = ae.json.decode(contenders[1].json).flops_per_sample
print()
if flops then
  for _, c in ipairs(contenders) do
    print(string.format("%-32s %5.1f%% of the FP32 peak (%.1f MFLOP per sample)", c.name,
      100 * c.median * flops / (peak * 1e9), flops / 1e6))
  end
end
local me, them = contenders[1], contenders[#contenders]
print(string.format("ratio aelab / PyTorch: %.2f×", me.median / them.median))
if busy then
  local best = math.max(contenders[2].median, contenders[3].median, contenders[4].median)
  print(string.format("aelab's default / the best of 1 thread and 2 threads that spin or sleep: %.0f%%",
    100 * me.median / best))
end
for _, c in ipairs { me, them } do
  local t = {}
  for i, v in ipairs(c.metric) do t[i] = string.format("%.4f", v) end
  print(string.format("test BCE by epoch  %-28s %s", c.name .. ":", table.concat(t, " ")))
end
