-- The cost of each regularization option in training throughput, against
-- the plain model, on a 784-H-784 autoencoder (Sigmoid code, Sigmoid out,
-- BCE, Adam, batch 256) over random data in [0, 1].
--
--   ./aelab scripts/bench-regularize.lua [hidden=256] [repeats=7] [steps=40]
--
-- Each configuration runs `steps` steps `repeats` times, interleaved with
-- the others (so a busy neighbour slows them all alike); the table gives the
-- median samples per second and its ratio to the plain model's median.
local ae = require "aelab"

local Hn = tonumber(arg[1]) or 256
local repeats = tonumber(arg[2]) or 7
local steps = tonumber(arg[3]) or 40
local B = 256
ae.seed(1)
local x = ae.rand(B * 8, 784)

local configs = {
  { "plain" },
  { "gaussian noise (std 0.5)", noise = { "gaussian", 0.5 } },
  { "masking noise (p 0.3)", noise = { "masking", 0.3 } },
  { "salt-and-pepper (p 0.1)", noise = { "salt_pepper", 0.1 } },
  { "L1 on the code", penalty = { "l1", 1e-4 } },
  { "KL sparsity on the code", penalty = { "kl_sparsity", 3, 0, 0.05 } },
  { "contractive", penalty = { "contractive", 0.1 } },
  { "tied weights", tied = true },
}

local function build(c)
  local enc = ae.Dense(784, Hn)
  local dec = c.tied and ae.DenseTied(enc) or ae.Dense(Hn, 784)
  local m = ae.Autoencoder { encoder = { enc, ae.Sigmoid() }, decoder = { dec, ae.Sigmoid() } }
  m:compile { loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 } }
  if c.noise then m:set_noise(c.noise[1], c.noise[2], 0, 1) end
  if c.penalty then m:set_penalty(table.unpack(c.penalty)) end
  return m
end

local models, rates = {}, {}
for i, c in ipairs(configs) do
  models[i] = build(c)
  rates[i] = {}
  for s = 1, 3 do models[i]:step(x:narrow(1, 1, B), x:narrow(1, 1, B)) end -- warm-up
end
for r = 1, repeats do
  for i, m in ipairs(models) do
    local t0 = ae.clock()
    for s = 1, steps do
      local xb = x:narrow(1, ((s - 1) % 8) * B + 1, B)
      m:step(xb, xb, false)
    end
    rates[i][r] = steps * B / (ae.clock() - t0)
  end
end
local median = ae.median
print(string.format("784-%d-784, batch %d, %d threads, BLIS %s; median of %d runs of %d steps", Hn, B, ae.threads(),
  ae.blas().arch, repeats, steps))
print("| option | samples/s (median) | min–max | time per step vs plain |")
print("|---|---:|---:|---:|")
local base = median(rates[1])
for i, c in ipairs(configs) do
  local lo, hi = math.huge, 0
  for _, v in ipairs(rates[i]) do lo, hi = math.min(lo, v), math.max(hi, v) end
  print(string.format("| %s | %s | %s–%s | %.2f× |", c[1], ae.commas(math.floor(median(rates[i]))),
    ae.commas(math.floor(lo)), ae.commas(math.floor(hi)), base / median(rates[i])))
end
