-- Regularized autoencoders: noise (statistics, range, determinism,
-- independence from the thread split), schedules, the L1 / KL / contractive
-- penalties (finite-difference gradient checks of the whole model, values
-- against direct computations), tied weights, weight decay.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

H.announce_seed("test_regularize")

-- Pre-activations of kinked units (ReLU) nearer 0 than this straddle the
-- kink under finite differences: such draws are redrawn.
local KINK_GAP = 0.02

-- Gradient check of a model's training loss (reconstruction + penalty, as
-- gradient() reports it) for every parameter and the input.
local function check_gradients(m, x, label)
  local t = x:clone() -- the target stays fixed while x moves
  local params, grads = m:parameters()
  m:gradient(x, t)
  local analytic = grads:clone()
  local function f() return (m:gradient(x, t)) end
  local numeric = H.numeric_grad(f, params)
  local bad, at = H.worst(analytic, numeric)
  lu.assertEquals(bad, 0, string.format("%s: parameter %s: analytic %s, numeric %s", label, tostring(at),
    at and analytic:get(at), at and numeric:get(at)))
  local _, dx = m:gradient(x, t, true)
  local num_dx = H.numeric_grad(f, x)
  local bad2, at2 = H.worst(dx, num_dx)
  lu.assertEquals(bad2, 0, string.format("%s: input gradient differs at %s (analytic %s, numeric %s)", label,
    tostring(at2), at2 and dx:reshape(dx:numel()):get(at2), at2 and num_dx:reshape(num_dx:numel()):get(at2)))
end

-- IN-H-IN with activation `act` at the code, Sigmoid out.
local function one_layer(IN, Hn, act)
  return ae.Autoencoder { encoder = { ae.Dense(IN, Hn), act }, decoder = { ae.Dense(Hn, IN), ae.Sigmoid() } }
end

-- rows whose pre-activations at layer 1 keep clear of 0
local function clear_of_kinks(m, B, IN)
  return H.clear_of_kinks(m, function() return ae.rand(B, IN) end, 1, KINK_GAP, 100)
end

TestPenaltyGradients = {}

function TestPenaltyGradients:setUp() H.seed() ae.threads(1) end
function TestPenaltyGradients:tearDown() ae.threads(1) end

function TestPenaltyGradients:testL1()
  for _, B in ipairs { 1, 4 } do
    local m = one_layer(5, 4, ae.Sigmoid())
    m:set_loss("bce")
    m:set_penalty("l1", 0.3)
    check_gradients(m, ae.rand(B, 5), "L1 on a Sigmoid code, batch " .. B)
  end
  -- on a hidden Tanh layer of a deeper model: signs both ways
  local m = ae.Autoencoder { encoder = { ae.Dense(5, 6), ae.Tanh(), ae.Dense(6, 3), ae.Sigmoid() },
    decoder = { ae.Dense(3, 5), ae.Sigmoid() } }
  m:set_penalty("l1", 0.2, 2)
  local x = clear_of_kinks(m, 3, 5) -- |a| has its kink where tanh(z) = 0
  check_gradients(m, x, "L1 on a hidden Tanh layer, batch 3")
end

function TestPenaltyGradients:testKLSparsity()
  for _, case in ipairs { { 1, 0.05 }, { 5, 0.05 }, { 6, 0.2 } } do
    local B, rho = case[1], case[2]
    local m = one_layer(5, 4, ae.Sigmoid())
    m:set_loss("bce")
    m:set_penalty("kl_sparsity", 0.5, 0, rho)
    -- the numeric derivative moves one row, so ρ̂ of the whole batch moves too
    check_gradients(m, ae.rand(B, 5), string.format("KL rho=%g, batch %d", rho, B))
  end
end

function TestPenaltyGradients:testKLValue()
  -- the penalty is β Σ_j KL(ρ ‖ ρ̂_j) with ρ̂ the batch mean of the code
  local m = one_layer(4, 3, ae.Sigmoid())
  local x = ae.rand(7, 4)
  local plain = m:gradient(x, x:clone())
  m:set_penalty("kl_sparsity", 2, 0, 0.1)
  local with = m:gradient(x, x:clone())
  local rho_hat = m:encode(x):mean(true)
  local kl = 0
  for j = 1, 3 do
    local r = rho_hat:get(1, j)
    kl = kl + 0.1 * math.log(0.1 / r) + 0.9 * math.log(0.9 / (1 - r))
  end
  lu.assertAlmostEquals(with - plain, 2 * kl, 1e-5 * math.max(1, 2 * kl))
end

-- A ρ̂ held from outside (the whole training set's): equal to the batch's, the
-- step is the batch estimate's; otherwise the penalty is β Σ KL(ρ‖ρ̂_held) and
-- the gradient that of recon + Σ_b Σ_j g_j a_bj / 1 with g from ρ̂_held (a
-- constant per unit), checked by finite differences of that function.
function TestPenaltyGradients:testKLHeldRhoHat()
  local m = one_layer(5, 4, ae.Sigmoid())
  m:set_loss("bce")
  local x = ae.rand(6, 5)
  local t = x:clone()
  m:set_penalty("kl_sparsity", 0.5, 0, 0.2)
  local batch_loss = m:gradient(x, t)
  local _, grads = m:parameters()
  local batch_grads = grads:clone()
  m:hold_rho_hat(m:encode(x):mean(true))
  lu.assertAlmostEquals(m:gradient(x, t), batch_loss, 1e-6)
  lu.assertEquals(H.worst(grads:clone(), batch_grads), 0, "held ρ̂ = the batch's: the same gradient")
  -- another ρ̂: the value is β Σ KL(ρ‖ρ̂_held) whatever the batch
  local held = ae.tensor { { 0.1, 0.3, 0.5, 0.7 } }
  m:hold_rho_hat(held)
  local plain_model_loss = (function()
    m:set_penalty("none"); local l = m:gradient(x, t); return l end)()
  m:set_penalty("kl_sparsity", 0.5, 0, 0.2)
  m:hold_rho_hat(held)
  local kl, g = 0, {}
  for j = 1, 4 do
    local r = held:get(1, j)
    kl = kl + 0.2 * math.log(0.2 / r) + 0.8 * math.log(0.8 / (1 - r))
    g[j] = 0.5 / 6 * (-0.2 / r + 0.8 / (1 - r))
  end
  lu.assertAlmostEquals(m:gradient(x, t) - plain_model_loss, 0.5 * kl, 1e-5)
  local params
  params, grads = m:parameters()
  m:gradient(x, t)
  local analytic = grads:clone()
  local function f()
    m:set_penalty("none")
    local l = m:gradient(x, t)
    local a = m:encode(x)
    for b = 1, 6 do for j = 1, 4 do l = l + g[j] * a:get(b, j) end end
    m:set_penalty("kl_sparsity", 0.5, 0, 0.2)
    m:hold_rho_hat(held)
    return l
  end
  local numeric = H.numeric_grad(f, params)
  local bad, at = H.worst(analytic, numeric)
  lu.assertEquals(bad, 0, string.format("held ρ̂: parameter %s: analytic %s, numeric %s", tostring(at),
    at and analytic:get(at), at and numeric:get(at)))
  -- nil: back to the batch's ρ̂; so does a new set_penalty
  m:hold_rho_hat(nil)
  lu.assertAlmostEquals(m:gradient(x, t), batch_loss, 1e-6)
  m:hold_rho_hat(held)
  m:set_penalty("kl_sparsity", 0.5, 0, 0.2)
  lu.assertAlmostEquals(m:gradient(x, t), batch_loss, 1e-6)
end

-- ρ̂ = offset + the batch's mean: a function of the weights again, so the
-- whole gradient checks by finite differences, and its value is β Σ KL at it.
function TestPenaltyGradients:testKLOffsetRhoHat()
  for _, B in ipairs { 1, 5 } do
    local m = one_layer(5, 4, ae.Sigmoid())
    m:set_loss("bce")
    local x = ae.rand(B, 5)
    m:set_penalty("kl_sparsity", 0.5, 0, 0.2)
    local batch_loss = m:gradient(x, x:clone())
    m:hold_rho_hat(ae.zeros(1, 4), true)
    lu.assertAlmostEquals(m:gradient(x, x:clone()), batch_loss, 1e-6)
    local offset = ae.tensor { { -0.1, 0.05, 0.2, -0.02 } }
    m:hold_rho_hat(offset, true)
    check_gradients(m, x, "KL with ρ̂ = offset + batch mean, batch " .. B)
    local r = m:encode(x):mean(true) + offset
    local kl = 0
    for j = 1, 4 do
      local q = r:get(1, j)
      kl = kl + 0.2 * math.log(0.2 / q) + 0.8 * math.log(0.8 / (1 - q))
    end
    m:hold_rho_hat(offset, true)
    local with = m:gradient(x, x:clone())
    m:set_penalty("none")
    lu.assertAlmostEquals(with - m:gradient(x, x:clone()), 0.5 * kl, 1e-5)
  end
end

function TestPenaltyGradients:testKLHeldRhoHatErrors()
  local m = one_layer(5, 4, ae.Sigmoid())
  H.error_containing(lu, "only kl_sparsity has a ρ̂", m.hold_rho_hat, m, ae.tensor { { 0.1, 0.1, 0.1, 0.1 } })
  m:set_penalty("kl_sparsity", 0.5, 0, 0.2)
  H.error_containing(lu, "ρ̂ has 3 values, layer 2 has 4 units", m.hold_rho_hat, m, ae.tensor { { 0.1, 0.1, 0.1 } })
  H.error_containing(lu, "ρ̂[2] = 1.5 is not a mean activation", m.hold_rho_hat, m, ae.tensor { { 0.1, 1.5, 0.1, 0.1 } })
  H.error_containing(lu, "offset[1] = -1.5 is not a difference", m.hold_rho_hat, m, ae.tensor { { -1.5, 0, 0, 0 } }, true)
  H.error_containing(lu, "estimate must be \"batch\"", ae.penalty.kl_sparsity, { beta = 1, rho = 0.1, estimate = "set" })
end

function TestPenaltyGradients:testContractive()
  local acts = { { "Sigmoid", ae.Sigmoid }, { "Tanh", ae.Tanh }, { "ReLU", ae.ReLU },
    { "LeakyReLU", function() return ae.LeakyReLU(0.1) end } }
  for _, a in ipairs(acts) do
    for _, B in ipairs { 1, 4 } do
      local m = one_layer(5, 4, a[2]())
      m:set_penalty("contractive", 0.7)
      check_gradients(m, clear_of_kinks(m, B, 5), string.format("contractive, %s, batch %d", a[1], B))
    end
  end
end

-- λ‖J‖²_F averaged over the batch, the Jacobian of the code taken by
-- central differences of encode().
function TestPenaltyGradients:testContractiveValue()
  for _, act in ipairs { ae.Sigmoid, ae.Tanh } do
    local m = one_layer(6, 3, act())
    local x = ae.rand(3, 6)
    local plain = m:gradient(x, x:clone())
    m:set_penalty("contractive", 0.5)
    local with = m:gradient(x, x:clone())
    local total = 0
    for b = 1, 3 do
      local row = x:narrow(1, b, 1):clone()
      for i = 1, 6 do
        local v = row:get(1, i)
        row:set(1, i, v + 1e-2)
        local hp = m:encode(row)
        row:set(1, i, v - 1e-2)
        local hm = m:encode(row)
        row:set(1, i, v)
        local d = (hp - hm) / 2e-2
        total = total + (d * d):sum()
      end
    end
    lu.assertAlmostEquals(with - plain, 0.5 * total / 3, 2e-3 * 0.5 * total / 3)
  end
end

-- The KL mean over the whole batch across a thread split: the same
-- gradients as one thread (up to summation order).
function TestPenaltyGradients:testThreadSplitMatchesOneThread()
  for _, kind in ipairs { "kl_sparsity", "contractive", "l1" } do
    H.seed()
    local m = one_layer(8, 6, ae.Sigmoid())
    m:set_penalty(kind, 0.5, 0, 0.1)
    local x = ae.rand(64, 8)
    local _, grads = m:parameters()
    ae.threads(1)
    local l1 = m:gradient(x, x)
    local g1 = grads:clone()
    ae.threads(4)
    local l4 = m:gradient(x, x)
    ae.threads(1)
    lu.assertAlmostEquals(l4, l1, 1e-5 * l1, kind)
    lu.assertEquals(H.worst(grads, g1, 1e-4, 1e-6), 0, kind .. ": gradients differ between 1 and 4 threads")
  end
end

TestPenaltyOnOvercomplete = {}

function TestPenaltyOnOvercomplete:testKLReachesRho()
  -- 20-40-20: an overcomplete code pulled to a mean activation of 0.1
  H.seed()
  local x = ae.Sigmoid():forward(ae.randn(128, 2):matmul(ae.randn(2, 20)) * 2)
  local m = one_layer(20, 40, ae.Sigmoid())
  local h = m:fit(x, { epochs = 60, batch = 32, loss = "bce", optimizer = ae.optim.Adam { lr = 0.01 },
    penalty = ae.penalty.kl_sparsity { rho = 0.1, beta = 3 }, verbose = false })
  lu.assertTrue(h.loss[60] < h.loss[1])
  local rho_hat = m:encode(x):mean(true)
  local mean = rho_hat:mean()
  lu.assertTrue(math.abs(mean - 0.1) < 0.02, "mean activation " .. mean)
  lu.assertNil(m:penalty(), "fit takes the penalty off at the end")
end

-- estimate = "dataset": with one batch per epoch the whole set's ρ̂ measured
-- at the epoch's start is the batch's, so the losses are the batch estimate's;
-- with small batches they differ, and ρ̂ over the set still reaches ρ; the
-- activations kept for the correction are dropped when fit ends.
function TestPenaltyOnOvercomplete:testDatasetEstimate()
  H.seed()
  local x = ae.Sigmoid():forward(ae.randn(64, 2):matmul(ae.randn(2, 20)) * 2)
  local function run(estimate, batch, epochs)
    ae.seed(7)
    local m = one_layer(20, 40, ae.Sigmoid())
    local pen = ae.penalty.kl_sparsity { rho = 0.1, beta = 3, estimate = estimate }
    local h = m:fit(x, { epochs = epochs, batch = batch, loss = "bce", optimizer = ae.optim.Adam { lr = 0.01 },
      penalty = pen, verbose = false })
    return h, m, pen
  end
  local hb = run("batch", 64, 5)
  local hd = run("dataset", 64, 5)
  for e = 1, 5 do lu.assertAlmostEquals(hd.loss[e], hb.loss[e], 1e-5 * hb.loss[e]) end
  local hb2 = run("batch", 8, 3)
  local hd2, m, pen = run("dataset", 8, 60)
  lu.assertNil(pen.start_codes, "fit drops the activations it kept")
  lu.assertNotAlmostEquals(hd2.loss[3], hb2.loss[3], 1e-6)
  local mean = m:encode(x):mean(true):mean()
  lu.assertTrue(math.abs(mean - 0.1) < 0.02, "mean activation over the set " .. mean)
  lu.assertNil(m:penalty(), "fit takes the penalty off at the end")
end

TestPenaltyErrors = {}

function TestPenaltyErrors:testMessages()
  local m = one_layer(4, 3, ae.ReLU())
  H.error_containing(lu, "layer 2 is ReLU; KL sparsity needs activations in (0, 1)", m.set_penalty, m, "kl_sparsity",
    3, 0, 0.05)
  H.error_containing(lu, "rho must be in (0, 1)", m.set_penalty, m, "kl_sparsity", 3, 0, 1.5)
  H.error_containing(lu, "layer 4 outside 1..3", m.set_penalty, m, "l1", 0.1, 4)
  H.error_containing(lu, "must be an element-wise activation after a Dense (got Dense(4→3) after the input)",
    m.set_penalty, m, "contractive", 0.1, 1)
  H.error_containing(lu, "unknown penalty 'l2' (the penalties are 'l1', 'kl_sparsity', 'contractive', 'none')",
    m.set_penalty, m, "l2", 0.1)
  H.error_containing(lu, "no code", ae.Sequential { ae.Dense(2, 2), ae.Tanh() }.set_penalty,
    ae.Sequential { ae.Dense(2, 2), ae.Tanh() }, "l1", 0.1)
  H.error_containing(lu, "rho must be in (0, 1)", ae.penalty.kl_sparsity, { beta = 3, rho = 0 })
  H.error_containing(lu, "lambda must be a number", ae.penalty.l1, {})
  H.error_containing(lu, "noise must be made by", m.fit, m, ae.rand(4, 4),
    { noise = 0.5, optimizer = ae.optim.Adam {}, verbose = false })
end

-- fit takes its noise and penalty off the model however it ends.
function TestPenaltyErrors:testFitDetachesOnError()
  local m = one_layer(4, 3, ae.Sigmoid())
  local x = ae.rand(8, 4)
  local ok, err = pcall(m.fit, m, x, { epochs = 3, batch = 4, optimizer = ae.optim.Adam {}, verbose = false,
    noise = ae.noise.gaussian { std = 0.1 }, penalty = ae.penalty.l1 { lambda = 0.1 },
    on_epoch = function(epoch) if epoch == 2 then error("stop here") end end })
  lu.assertFalse(ok)
  lu.assertStrContains(err, "stop here")
  lu.assertNil(m:penalty()) -- no penalty left attached
  -- and no noise: a step on x gives the same loss as a fresh gradient on x
  local l1 = m:gradient(x, x)
  lu.assertEquals(m:step(x, x, true), l1)
end

TestNoise = {}

function TestNoise:setUp() H.seed() end

function TestNoise:testGaussianStatistics()
  local x = ae.full(0.5, 200, 100)
  -- x is constant, so its own range is a point: give the range explicitly
  local y = ae.noise.gaussian { std = 0.1, clip = { 0, 1 } }:apply(x)
  local d = y - x
  lu.assertTrue(math.abs(d:mean()) < 0.002, "mean " .. d:mean())
  local std = math.sqrt((d * d):mean())
  lu.assertTrue(math.abs(std - 0.1) < 0.003, "std " .. std)
  -- large noise is clipped to the range
  local z = ae.noise.gaussian { std = 3, clip = { 0, 1 } }:apply(x)
  lu.assertTrue(z:min() >= 0 and z:max() <= 1)
  lu.assertTrue(z:min() == 0 and z:max() == 1)
end

-- The normals themselves (Box-Muller on vectorized log, sin and cos): over
-- 100,000 draws the moments and the share within one σ are the normal's.
function TestNoise:testGaussianIsNormal()
  local x = ae.full(0.5, 200, 500)
  local d = (ae.noise.gaussian { std = 0.1, clip = { -10, 10 } }:apply(x) - x) * 10
  local n = d:numel()
  lu.assertTrue(math.abs(d:mean()) < 0.01, "mean " .. d:mean())
  local d2 = d * d
  local var = d2:mean()
  lu.assertTrue(math.abs(var - 1) < 0.015, "variance " .. var)
  local kurt = (d2 * d2):mean() / (var * var)
  lu.assertTrue(math.abs(kurt - 3) < 0.08, "kurtosis " .. kurt)
  local within, pos = 0, 0
  for _, v in ipairs(d:reshape(n):totable()) do
    if math.abs(v) < 1 then within = within + 1 end
    if v > 0 then pos = pos + 1 end
  end
  lu.assertTrue(math.abs(within / n - 0.6827) < 0.006, "share within one sigma " .. within / n)
  lu.assertTrue(math.abs(pos / n - 0.5) < 0.006, "share above the mean " .. pos / n)
  lu.assertTrue(d:max() < 6 and d:min() > -6, "no value beyond 6 sigma")
end

function TestNoise:testMaskingAndSaltPepper()
  local x = ae.rand(300, 100) * 0.8 + 0.1 -- no value is 0 or 1 before the noise
  local y = ae.noise.masking { p = 0.3, clip = { 0, 1 } }:apply(x)
  local zeros = 0
  for _, v in ipairs(y:reshape(y:numel()):totable()) do if v == 0 then zeros = zeros + 1 end end
  lu.assertTrue(math.abs(zeros / y:numel() - 0.3) < 0.01, "masked fraction " .. zeros / y:numel())
  local s = ae.noise.salt_pepper { p = 0.2, clip = { 0, 1 } }:apply(x)
  local lo, hi, same = 0, 0, 0
  local xs, ss = x:reshape(x:numel()):totable(), s:reshape(s:numel()):totable()
  for i, v in ipairs(ss) do
    if v == 0 then lo = lo + 1 elseif v == 1 then hi = hi + 1 elseif v == xs[i] then same = same + 1 end
  end
  lu.assertEquals(lo + hi + same, x:numel(), "every value is kept, salt or pepper")
  lu.assertTrue(math.abs((lo + hi) / x:numel() - 0.2) < 0.01)
  lu.assertTrue(math.abs(lo - hi) / (lo + hi) < 0.06, string.format("pepper %d, salt %d", lo, hi))
  -- the data's own range by default
  local r = ae.noise.salt_pepper { p = 0.5 }:apply(x)
  lu.assertEquals(r:min(), x:min())
  lu.assertEquals(r:max(), x:max())
end

function TestNoise:testDeterministicAndPerRow()
  local x = ae.rand(10, 30)
  local n = ae.noise.gaussian { std = 0.3, clip = { 0, 1 } } -- not each slice's own range
  ae.seed(5)
  local a = n:apply(x)
  ae.seed(5)
  lu.assertTrue(n:apply(x) == a, "same seed, same noise")
  ae.seed(5)
  -- each row's noise comes from (seed, row): the first 4 rows alone get the same
  lu.assertTrue(n:apply(x:narrow(1, 1, 4)) == a:narrow(1, 1, 4))
  ae.seed(6)
  lu.assertFalse(n:apply(x) == a)
end

function TestNoise:testStepUsesNoisyInputCleanTarget()
  local x = ae.rand(32, 6)
  local m = one_layer(6, 4, ae.Sigmoid())
  m:compile { loss = "mse", optimizer = ae.optim.SGD { lr = 1e-9 } }
  local clean = m:gradient(x, x)
  m:set_noise("gaussian", 0, 0, 1) -- zero noise: the same step
  lu.assertEquals(m:gradient(x, x), clean)
  m:set_noise("masking", 0.5, 0, 1)
  local noisy = m:gradient(x, x)
  lu.assertNotEquals(noisy, clean)
  -- masking with p = 1 zeroes every input: the loss and gradients are those
  -- of a zero input against the clean target
  local _, grads = m:parameters()
  m:set_noise("masking", 1, 0, 1)
  local masked = m:gradient(x, x)
  local g_masked = grads:clone()
  m:set_noise("none")
  lu.assertEquals(m:gradient(ae.zeros(32, 6), x), masked)
  lu.assertTrue(grads == g_masked)
end

function TestNoise:testSameSeedSameThreadsSameLosses()
  local x = ae.rand(64, 10)
  local function run()
    ae.seed(11)
    local m = one_layer(10, 6, ae.Sigmoid())
    return m:fit(x, { epochs = 3, batch = 32, loss = "bce", optimizer = ae.optim.Adam { lr = 0.01 },
      noise = ae.noise.salt_pepper { p = 0.2 }, penalty = ae.penalty.kl_sparsity { rho = 0.1, beta = 1 },
      verbose = false }).loss
  end
  for _, threads in ipairs { 1, 2 } do
    ae.threads(threads)
    local a, b = run(), run()
    for e = 1, 3 do lu.assertEquals(a[e], b[e], threads .. " threads, epoch " .. e) end
  end
  ae.threads(1)
end

function TestNoise:testSchedules()
  local lin = ae.schedule.linear { from = 0.1, to = 0.5, epochs = 5 }
  lu.assertAlmostEquals(lin(1), 0.1, 1e-12)
  lu.assertAlmostEquals(lin(3), 0.3, 1e-12)
  lu.assertAlmostEquals(lin(5), 0.5, 1e-12)
  lu.assertAlmostEquals(lin(9), 0.5, 1e-12)
  local cos = ae.schedule.cosine { from = 0.5, to = 0.1, epochs = 3 }
  lu.assertAlmostEquals(cos(1), 0.5, 1e-12)
  lu.assertAlmostEquals(cos(2), 0.3, 1e-12)
  lu.assertAlmostEquals(cos(3), 0.1, 1e-12)
  local st = ae.schedule.step { levels = { 0.1, 0.2, 0.4 }, every = 2 }
  lu.assertEquals({ st(1), st(2), st(3), st(5), st(8) }, { 0.1, 0.1, 0.2, 0.4, 0.4 })
  -- fit reads the level each batch and records it per epoch
  local m = one_layer(4, 3, ae.Sigmoid())
  local h = m:fit(ae.rand(8, 4), { epochs = 3, batch = 4, optimizer = ae.optim.Adam {}, verbose = false,
    noise = ae.noise.masking { p = ae.schedule.linear { from = 0, to = 0.4, epochs = 3 } } })
  lu.assertEquals(#h.noise_level, 3)
  lu.assertAlmostEquals(h.noise_level[2], 0.2, 1e-12)
  H.error_containing(lu, "p = 1.5 is outside [0, 1]", ae.noise.masking, { p = 1.5 })
  H.error_containing(lu, "expected {from = number", ae.schedule.linear, { from = 1 })
end

TestTiedWeights = {}

function TestTiedWeights:setUp() H.seed() end

local function tied(IN, Hn)
  local enc = ae.Dense(IN, Hn)
  local m = ae.Autoencoder { encoder = { enc, ae.Sigmoid() }, decoder = { ae.DenseTied(enc), ae.Sigmoid() } }
  return m, enc
end

function TestTiedWeights:testOneMatrixInTheArena()
  local m, enc = tied(6, 3)
  lu.assertEquals(m:param_count(), 6 * 3 + 3 + 6)
  lu.assertEquals(tostring(m:layers()[3]), "DenseTied(3→6)")
  local w = enc:parameters()[1]
  local wt = m:layers()[3]:parameters()[1]
  w:set(2, 5, 0.25)
  lu.assertEquals(wt:get(2, 5), 0.25, "the decoder sees the encoder's weight")
  -- decode is x·W + b with W the encoder's (3×6) weight
  local z = ae.rand(2, 3)
  local b = m:layers()[3]:parameters()[2]
  local want = ae.Sigmoid():forward(z:matmul(w) + b)
  lu.assertEquals(H.worst(m:decode(z), want, 1e-5, 1e-6), 0)
  H.error_containing(lu, "needs a Dense layer", ae.DenseTied, ae.ReLU())
  H.error_containing(lu, "shares the weight of Dense(6→3), which is not among layers 1..0",
    ae.Sequential, { ae.DenseTied(enc), ae.Sigmoid() })
end

function TestTiedWeights:testGradientIsTheSumOfBothUses()
  local m = tied(5, 4)
  m:set_loss("bce")
  check_gradients(m, ae.rand(3, 5), "tied 5-4-5, batch 3")
  -- against an untied copy: dW = dW_encoder + dW_decoderᵀ
  local enc = m:layers()[1]
  local P = enc:parameters()
  local W, b1 = P[1], P[2]
  local b2 = m:layers()[3]:parameters()[2]
  local u = one_layer(5, 4, ae.Sigmoid())
  u:set_loss("bce")
  local L = u:layers()
  L[1]:parameters()[1]:copy(W)
  L[1]:parameters()[2]:copy(b1)
  L[3]:parameters()[1]:copy(W:t())
  L[3]:parameters()[2]:copy(b2)
  local x = ae.rand(4, 5)
  m:gradient(x, x)
  u:gradient(x, x)
  local gt = enc:parameters()
  local _, g_tied = enc:parameters()
  local _, g_enc = L[1]:parameters()
  local _, g_dec = L[3]:parameters()
  lu.assertEquals(H.worst(g_tied[1], g_enc[1] + g_dec[1]:t(), 1e-5, 1e-7), 0)
  lu.assertNotNil(gt)
end

function TestTiedWeights:testTrainsAndSplitsOverThreads()
  local x = ae.Sigmoid():forward(ae.randn(64, 2):matmul(ae.randn(2, 12)) * 2)
  local m = tied(12, 6)
  local _, grads = m:parameters()
  ae.threads(1)
  m:gradient(x, x)
  local g1 = grads:clone()
  ae.threads(2)
  m:gradient(x, x)
  ae.threads(1)
  lu.assertEquals(H.worst(grads, g1, 1e-4, 1e-6), 0, "per-thread blocks accumulate both uses")
  local h = m:fit(x, { epochs = 30, batch = 16, loss = "bce", optimizer = ae.optim.Adam { lr = 0.02 }, verbose = false })
  lu.assertTrue(h.loss[30] < h.loss[1] - 0.05, string.format("%.4f → %.4f", h.loss[1], h.loss[30]))
end

TestWeightDecay = {}

function TestWeightDecay:testAdamAndSGDAddWeightDecayTimesW()
  -- L2 weight decay: the gradient of (wd/2)‖w‖² added to the gradient
  local w, g = ae.tensor { 2, -1 }, ae.tensor { 0.5, 0.5 }
  local a = ae.tensor { 2, -1 }
  ae.optim.SGD { lr = 0.1, weight_decay = 0.2 }:update(w, g)
  ae.optim.SGD { lr = 0.1 }:update(a, g + a * 0.2)
  lu.assertEquals(H.worst(w, a, 1e-7, 0), 0)
  local w2, a2 = ae.tensor { 2, -1 }, ae.tensor { 2, -1 }
  local o1, o2 = ae.optim.Adam { lr = 0.01, weight_decay = 0.2 }, ae.optim.Adam { lr = 0.01 }
  for _ = 1, 3 do
    local g2 = ae.tensor { 0.3, -0.1 }
    o2:update(a2, g2 + a2 * 0.2)
    o1:update(w2, g2)
  end
  lu.assertEquals(H.worst(w2, a2, 1e-6, 0), 0)
end

function TestWeightDecay:testShrinksWeightsInAModel()
  H.seed()
  local x = ae.rand(32, 6)
  local function norm_after(wd)
    ae.seed(3)
    local m = one_layer(6, 4, ae.Sigmoid())
    m:fit(x, { epochs = 20, batch = 8, optimizer = ae.optim.Adam { lr = 0.01, weight_decay = wd }, verbose = false })
    local p = m:parameters()
    return math.sqrt((p * p):sum())
  end
  lu.assertTrue(norm_after(0.5) < norm_after(0))
end

-- The encoder Dense packed into another model moves its weight to that
-- model's arena; the tied model repacks and its decoder follows.
function TestTiedWeights:testFollowsTheDenseAcrossModels()
  local m, enc = tied(5, 3)
  local other = ae.Sequential { enc, ae.Sigmoid() }
  other:parameters():fill(0.1) -- writes enc's weight in the other arena
  local z = ae.rand(2, 3)
  local b = m:layers()[3]:parameters()[2]
  local want = ae.Sigmoid():forward(z:matmul(ae.full(0.1, 3, 5)) + b)
  m:gradient(ae.rand(2, 5), ae.rand(2, 5)) -- repacks m: enc moves back, the tied layer with it
  lu.assertEquals(H.worst(m:decode(z), want, 1e-5, 1e-6), 0)
  lu.assertEquals(m:param_count(), 3 * 5 + 3 + 5)
  m:parameters():fill(0.2)
  lu.assertAlmostEquals(m:layers()[3]:parameters()[1]:get(1, 1), 0.2, 1e-7)
  check_gradients(m, ae.rand(2, 5), "tied after repacking")
end
