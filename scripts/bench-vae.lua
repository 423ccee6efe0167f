-- aelab against PyTorch on the course's VAE (784-256-(2) / (2)-256-784,
-- BCE summed over pixels + KL, Adam, batch 256, Fashion-MNIST), same data,
-- in one run: rounds alternate between the contenders (scripts/race.lua),
-- each a fresh process; a contender's figure is the median over its epochs.
-- Both use 2 threads.
--   ./aelab scripts/bench-vae.lua [rounds=3] [epochs=2] [train images=60000]
local ae = require "aelab"
local rounds, epochs, limit = tonumber(arg[1]) or 3, tonumber(arg[2]) or 2, tonumber(arg[3]) or 60000
local home = ae.options.home
local contenders = {
  { name = "aelab (2 threads)", argv = { home .. "/aelab", "--threads", "2", home .. "/scripts/aelab_vae.lua",
      "--json", "--epochs", tostring(epochs), "--limit", tostring(limit) } },
  { name = "PyTorch, 2 threads", argv = { "/usr/bin/python3", home .. "/scripts/torch_vae.py",
      "--threads", "2", "--json", "--epochs", tostring(epochs), "--train-limit", tostring(limit) }, torch = true },
}

local race = require "scripts.race"

print(string.format("The course's VAE (784-256-2), Fashion-MNIST %d images, batch 256: %d rounds × %d epochs",
  limit, rounds, epochs))
race(contenders, rounds, 22, "test loss (nats)")
print()
print(string.format("ratio aelab / PyTorch: %.2f×", contenders[1].median / contenders[2].median))
for _, c in ipairs(contenders) do
  local t = {}
  for i, v in ipairs(c.metric) do t[i] = string.format("%.2f", v) end
  print(string.format("test loss by epoch (nats/image)  %-20s %s", c.name .. ":", table.concat(t, " ")))
end
