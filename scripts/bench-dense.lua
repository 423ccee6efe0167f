-- aelab against PyTorch on the lesson-01 model (784-32-784, BCE, Adam,
-- batch 256, Fashion-MNIST), same data, in one run. Rounds alternate
-- between the contenders so drifts of this VM hit both alike; each round
-- is a fresh process training E epochs; a contender's figure is the median
-- over all its epochs. PyTorch gets BLIS (Debian's libblas is BLIS here) with
-- 2 threads, with zen3's kernels and (on CPUs with AVX-512) with skx's, and
-- is credited with the faster.
--   ./aelab scripts/bench-dense.lua [rounds=3] [epochs=5]
local ae = require "aelab"
local rounds, epochs = tonumber(arg[1]) or 3, tonumber(arg[2]) or 5
local home = ae.options.home
local blis = "/usr/lib/x86_64-linux-gnu/blis-openmp"
-- PyTorch on Debian's BLIS with one kernel set (BLIS_ARCH_TYPE: 6 zen3, 0 skx)
local function torch(arch)
  return { "env", "LD_LIBRARY_PATH=" .. blis, "BLIS_ARCH_TYPE=" .. arch, "BLIS_NUM_THREADS=2", "/usr/bin/python3",
    home .. "/scripts/torch_dense_ae.py", "--threads", "2", "--json", "--epochs", tostring(epochs) }
end
local contenders = {
  { name = "aelab (2 threads)", argv = { home .. "/aelab", home .. "/scripts/aelab_dense_ae.lua", "--json", "--epochs",
      tostring(epochs) } },
  { name = "PyTorch, BLIS zen3, 2 threads", argv = torch(6), torch = true },
}
-- the skx kernels need AVX-512 (aelab's own choice says whether the CPU has it)
if ae.blas().arch:find("skx", 1, true) then
  table.insert(contenders, 2, { name = "PyTorch, BLIS skx, 2 threads", argv = torch(0), torch = true })
end

local race = require "scripts.race"

print(string.format("Dense 784-32-784 autoencoder, Fashion-MNIST 60,000 images, batch 256: %d rounds × %d epochs",
  rounds, epochs))
race(contenders, rounds, 32)
local best_torch
for _, c in ipairs(contenders) do
  if c.torch and (not best_torch or c.median > best_torch.median) then best_torch = c end
end
local ratio = contenders[1].median / best_torch.median
print()
print(string.format("ratio aelab / fastest PyTorch (%s): %.2f×", best_torch.name, ratio))
print(string.format("test BCE by epoch  aelab: %s", table.concat((function()
  local t = {} for i, v in ipairs(contenders[1].metric) do t[i] = string.format("%.4f", v) end return t end)(), " ")))
print(string.format("test BCE by epoch  torch: %s", table.concat((function()
  local t = {} for i, v in ipairs(best_torch.metric) do t[i] = string.format("%.4f", v) end return t end)(), " ")))
