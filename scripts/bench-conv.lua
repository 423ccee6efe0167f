-- aelab against PyTorch on lesson 08's model, the Keras tutorial's
-- convolutional autoencoder (Fashion-MNIST, batch 256, Adam, BCE), same data,
-- in one run. Rounds alternate between the contenders so drifts of this VM
-- hit both alike; each round is a fresh process training E epochs; a
-- contender's figure is the median over all its epochs. Both use 2 threads;
-- PyTorch runs its convolutions on oneDNN.
--   ./aelab scripts/bench-conv.lua [rounds=3] [epochs=2] [train images=60000]
local ae = require "aelab"
local rounds, epochs, limit = tonumber(arg[1]) or 3, tonumber(arg[2]) or 2, tonumber(arg[3]) or 60000
local home = ae.options.home
local contenders = {
  { name = "aelab (2 threads)", argv = { home .. "/aelab", "--threads", "2", home .. "/scripts/aelab_conv_ae.lua",
      "--json", "--epochs", tostring(epochs), "--limit", tostring(limit) } },
  { name = "PyTorch (oneDNN), 2 threads", argv = { "/usr/bin/python3", home .. "/scripts/torch_conv_ae.py",
      "--threads", "2", "--json", "--epochs", tostring(epochs), "--train-limit", tostring(limit) }, torch = true },
}

local race = require "scripts.race"

print(string.format("Convolutional autoencoder (Keras tutorial), Fashion-MNIST %d images, batch 256: %d rounds × %d epochs",
  limit, rounds, epochs))
race(contenders, rounds, 30)
print()
print(string.format("ratio aelab / PyTorch: %.2f×", contenders[1].median / contenders[2].median))
for _, c in ipairs(contenders) do
  local t = {}
  for i, v in ipairs(c.metric) do t[i] = string.format("%.4f", v) end
  print(string.format("test BCE by epoch  %-28s %s", c.name .. ":", table.concat(t, " ")))
end
