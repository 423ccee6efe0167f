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
  { name = "aelab (2 threads)", cmd = string.format("%q --threads 2 %s/scripts/aelab_conv_ae.lua --json --epochs %d --limit %d",
      home .. "/aelab", home, epochs, limit) },
  { name = "PyTorch (oneDNN), 2 threads", cmd = string.format(
      "/usr/bin/python3 %s/scripts/torch_conv_ae.py --threads 2 --json --epochs %d --train-limit %d", home, epochs, limit),
    torch = true },
}

local median = ae.median

local function numbers(list)
  local out = {}
  for v in list:gmatch("[%d%.eE%+%-]+") do out[#out + 1] = tonumber(v) end
  return out
end

print(string.format("Convolutional autoencoder (Keras tutorial), Fashion-MNIST %d images, batch 256: %d rounds × %d epochs",
  limit, rounds, epochs))
for _, c in ipairs(contenders) do c.rates, c.bce = {}, nil end
for r = 1, rounds do
  for _, c in ipairs(contenders) do
    local p = io.popen(c.cmd .. " 2>&1")
    local out = p:read("a")
    local ok = p:close()
    local line = out:match("(%{[^\n]*\"median_samples_per_s\"[^\n]*%})")
    if not ok or not line then error(string.format("%s failed:\n%s\n(%s)", c.name, out, c.cmd)) end
    local rates = numbers(line:match('"samples_per_s":%s*(%b[])'))
    for _, v in ipairs(rates) do c.rates[#c.rates + 1] = v end
    c.bce = numbers(line:match('"test_bce":%s*(%b[])'))
    io.write(string.format("  round %d  %-30s median %8.0f samples/s\n", r, c.name, median(rates)))
    io.stdout:flush()
  end
end

print()
print(string.format("%-30s %14s %12s", "contender", "samples/s", "test BCE"))
for _, c in ipairs(contenders) do
  c.median = median(c.rates)
  print(string.format("%-30s %14.0f %12.4f", c.name, c.median, c.bce[#c.bce]))
end
print()
print(string.format("ratio aelab / PyTorch: %.2f×", contenders[1].median / contenders[2].median))
for _, c in ipairs(contenders) do
  local t = {}
  for i, v in ipairs(c.bce) do t[i] = string.format("%.4f", v) end
  print(string.format("test BCE by epoch  %-28s %s", c.name .. ":", table.concat(t, " ")))
end
