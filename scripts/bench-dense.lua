-- aelab against PyTorch on the lesson-01 model (784-32-784) and the deep
-- 784-128-64-32-64-128-784, both ReLU codes with a sigmoid output, BCE,
-- Adam, batch 256, Fashion-MNIST, same data, in one run. Rounds alternate
-- between the contenders so drifts of this VM hit both alike; each round is
-- a fresh process training E epochs; a contender's figure is the median over
-- all its epochs. PyTorch gets BLIS (Debian's libblas is BLIS here) with 2
-- threads, with zen3's kernels and (on CPUs with AVX-512) with skx's, and is
-- credited with the faster.
--
-- --busy: the same with another program keeping one core busy the whole
-- time (started and stopped here), and aelab four ways: its default, one
-- thread, and two threads that never back off, whose waits spin
-- (AELAB_POOL=fixed, OpenMP's way) or sleep (AELAB_POOL=passive). The
-- default should reach 90% of the best of the other three.
--   ./aelab scripts/bench-dense.lua [rounds=3] [epochs=5] [--busy] [--model dense|deep|both]
local ae = require "aelab"
local load = require "scripts.load"
local race = require "scripts.race"

local rounds, epochs, busy, which, limit = 3, 5, false, "both", nil
local pos = {}
local i = 1
while arg[i] do
  if arg[i] == "--busy" then busy = true
  elseif arg[i] == "--model" then which = arg[i + 1]; i = i + 1
  elseif arg[i] == "--limit" then limit = tonumber(arg[i + 1]); i = i + 1
  else pos[#pos + 1] = tonumber(arg[i]) or error("bench-dense: unknown argument '" .. arg[i] .. "'") end
  i = i + 1
end
rounds, epochs = pos[1] or rounds, pos[2] or epochs
if which ~= "dense" and which ~= "deep" and which ~= "both" then
  error("bench-dense: --model must be dense, deep or both, not '" .. tostring(which) .. "'")
end
limit = limit or 60000

local home = ae.options.home
local blis = "/usr/lib/x86_64-linux-gnu/blis-openmp"
local models = {}
if which ~= "deep" then models[#models + 1] = { name = "dense 784-32-784", widths = "32", sizes = { 784, 32, 784 } } end
if which ~= "dense" then
  models[#models + 1] = { name = "deep 784-128-64-32-64-128-784", widths = "128,64,32",
    sizes = { 784, 128, 64, 32, 64, 128, 784 } }
end

local function aelab(label, threads, env)
  local argv = { home .. "/aelab", home .. "/scripts/aelab_dense_ae.lua", "--json", "--epochs", tostring(epochs),
    "--limit", tostring(limit) }
  if threads then table.insert(argv, 2, "--threads"); table.insert(argv, 3, tostring(threads)) end
  if env then table.insert(argv, 1, "env"); table.insert(argv, 2, env) end
  return { name = label, argv = argv }
end
-- PyTorch on Debian's BLIS with one kernel set (BLIS_ARCH_TYPE: 6 zen3, 0 skx)
local function torch(arch, label)
  return { name = label, torch = true, argv = { "env", "LD_LIBRARY_PATH=" .. blis, "BLIS_ARCH_TYPE=" .. arch,
    "BLIS_NUM_THREADS=2", "/usr/bin/python3", home .. "/scripts/torch_dense_ae.py", "--threads", "2", "--json",
    "--epochs", tostring(epochs), "--train-limit", tostring(limit) } }
end

local peak, peak_line = load.peak(2)
print(peak_line)
print(string.format("CPU: %s; aelab's BLIS kernels: %s", load.cpu(), ae.blas().arch))
local loader = busy and load.start() or nil
if busy then print("another program keeps one core busy for the whole race") end

local ok, err = pcall(function()
  for _, m in ipairs(models) do
    local contenders
    if busy then
      contenders = {
        aelab("aelab (default)"),
        aelab("aelab --threads 1", 1),
        aelab("aelab --threads 2, spinning", 2, "AELAB_POOL=fixed"),
        aelab("aelab --threads 2, sleeping", 2, "AELAB_POOL=passive"),
        torch(0, "PyTorch, BLIS skx, 2 threads"),
      }
    else
      contenders = { aelab("aelab (2 threads)"), torch(6, "PyTorch, BLIS zen3, 2 threads") }
      -- the skx kernels need AVX-512 (aelab's own choice says whether the CPU has it)
      if ae.blas().arch:find("skx", 1, true) then table.insert(contenders, 2, torch(0, "PyTorch, BLIS skx, 2 threads")) end
    end
    for _, c in ipairs(contenders) do c.argv[#c.argv + 1] = "--widths"; c.argv[#c.argv + 1] = m.widths end
    print()
    print(string.format("%s autoencoder, Fashion-MNIST %d images, batch 256: %d rounds × %d epochs%s", m.name, limit,
      rounds, epochs, busy and ", one core busy" or ""))
    race(contenders, rounds, 32)
    local best_torch
    for _, c in ipairs(contenders) do
      if c.torch and (not best_torch or c.median > best_torch.median) then best_torch = c end
    end
    local flops = load.dense_flops(m.sizes)
    print()
    for _, c in ipairs(contenders) do
      print(string.format("%-32s %5.1f%% of the FP32 peak (%.2f MFLOP per sample)", c.name,
        100 * c.median * flops / (peak * 1e9), flops / 1e6))
    end
    local me = contenders[1]
    print(string.format("ratio aelab / fastest PyTorch (%s): %.2f×", best_torch.name, me.median / best_torch.median))
    if busy then
      local best = math.max(contenders[2].median, contenders[3].median, contenders[4].median)
      print(string.format("aelab's default / the best of 1 thread and 2 threads that spin or sleep: %.0f%%",
        100 * me.median / best))
    end
    local function bce(c)
      local t = {}
      for k, v in ipairs(c.metric) do t[k] = string.format("%.4f", v) end
      return table.concat(t, " ")
    end
    print(string.format("test BCE by epoch  aelab: %s", bce(me)))
    print(string.format("test BCE by epoch  torch: %s", bce(best_torch)))
  end
end)
if loader then loader.stop() end
if not ok then error(err, 0) end
