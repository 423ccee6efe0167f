-- Variational autoencoders: the GaussianSample layer (gradients with ε
-- fixed by the seed, the KL closed form against Monte Carlo, ε's normality,
-- clamping on extreme inputs), the bce_sum loss, β, determinism over seeds
-- and threads, ae.VAE's methods, model files, and the history fit keeps.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

H.announce_seed("test_vae")

local STEP_SEED = 4321 -- fixes ε: a step's draws are a function of the generator's state
local DRAWS = 100000   -- ε draws for the normality test
local MC_ROWS = 100000 -- Monte-Carlo samples for the KL estimate
local CONV_EPS = 1e-2  -- finite-difference step for the convolutional VAE

-- IN-6-(L) / (L)-IN, Tanh (smooth: no kinks under finite differences), Sigmoid out.
local function small_vae(IN, L, beta)
  return ae.VAE { encoder = { ae.Dense(IN, 6), ae.Tanh() }, latent = L, decoder = { ae.Dense(L, IN), ae.Sigmoid() },
    beta = beta }
end

-- The model's training loss (reconstruction + β·KL) with ε fixed.
local function seeded_loss(m, x, t)
  ae.seed(STEP_SEED)
  return (m:gradient(x, t))
end

local function check_gradients(m, x, label, eps)
  local t = x:clone()
  local params, grads = m:parameters()
  ae.seed(STEP_SEED)
  local _, dx = m:gradient(x, t, true)
  local analytic = grads:clone()
  local function f() return seeded_loss(m, x, t) end
  local bad, at = H.worst(analytic, H.numeric_grad(f, params, eps))
  lu.assertEquals(bad, 0, string.format("%s: parameter gradient differs at %s", label, tostring(at)))
  local bad2, at2 = H.worst(dx, H.numeric_grad(f, x, eps))
  lu.assertEquals(bad2, 0, string.format("%s: input gradient differs at %s", label, tostring(at2)))
end

local function moments(t)
  local n, s1, s2, s4 = t:numel(), 0, 0, 0
  local flat = t:reshape(n)
  for i = 1, n do s1 = s1 + flat:get(i) end
  local mean = s1 / n
  for i = 1, n do
    local d = flat:get(i) - mean
    s2, s4 = s2 + d * d, s4 + d ^ 4
  end
  local var = s2 / n
  return mean, var, (s4 / n) / (var * var)
end

TestGaussianSample = {}

function TestGaussianSample:setUp() H.seed() ae.threads(1) end
function TestGaussianSample:tearDown() ae.threads(1) end

-- Central differences of the model's loss with the same step seed (the same
-- ε) against its analytic gradient: the sampling path, the KL term and β.
function TestGaussianSample:testGradientWithEpsilonFixed()
  for _, B in ipairs { 1, 4 } do
    for _, beta in ipairs { 1, 2.5 } do
      local m = small_vae(5, 3, beta)
      m:set_loss("bce_sum")
      check_gradients(m, ae.rand(B, 5), string.format("VAE batch %d, β %g", B, beta))
    end
  end
  local m = small_vae(5, 2)
  m:set_loss("mse_sum")
  check_gradients(m, ae.rand(3, 5), "VAE with mse_sum")
end

-- The closed form against E_q[log q(z) − log p(z)] over draws z ~ q.
function TestGaussianSample:testKLClosedFormAgainstMonteCarlo()
  local mu, logvar = { 0.7, -1.2, 0.1 }, { -0.5, 0.8, -2.0 }
  local L = #mu
  local g = ae.GaussianSample(L)
  local row = {}
  for j = 1, L do row[j], row[L + j] = mu[j], logvar[j] end
  local closed = g:kl(ae.tensor { row })
  local expect = 0
  for j = 1, L do expect = expect - 0.5 * (1 + logvar[j] - mu[j] ^ 2 - math.exp(logvar[j])) end
  lu.assertAlmostEquals(closed, expect, 1e-6)
  local h = ae.zeros(MC_ROWS, 2 * L)
  for r = 1, MC_ROWS do for j = 1, 2 * L do h:set(r, j, row[j]) end end
  g:training()
  local z = g:forward(h)
  local s1, s2 = 0, 0
  for r = 1, MC_ROWS do
    local d = 0
    for j = 1, L do
      local zj = z:get(r, j)
      -- log q − log p; the 2π terms cancel
      d = d + (-0.5 * logvar[j] - 0.5 * (zj - mu[j]) ^ 2 / math.exp(logvar[j])) + 0.5 * zj * zj
    end
    s1, s2 = s1 + d, s2 + d * d
  end
  local mc = s1 / MC_ROWS
  local se = math.sqrt((s2 / MC_ROWS - mc * mc) / MC_ROWS)
  lu.assertTrue(math.abs(mc - closed) < 5 * se, string.format("closed form %.5f, Monte Carlo %.5f ± %.5f", closed, mc, se))
end

-- ε (z with μ = 0, log σ² = 0): mean 0, variance 1, kurtosis 3, and no
-- correlation between neighbouring units; also past one block of draws.
function TestGaussianSample:testEpsilonIsStandardNormal()
  for _, L in ipairs { 4, 300 } do
    local g = ae.GaussianSample(L):training()
    local z = g:forward(ae.zeros(DRAWS // L, 2 * L))
    local mean, var, kurt = moments(z)
    local n = z:numel()
    lu.assertTrue(math.abs(mean) < 5 / math.sqrt(n), "mean " .. mean)
    lu.assertTrue(math.abs(var - 1) < 5 * math.sqrt(2 / n), "variance " .. var)
    lu.assertTrue(math.abs(kurt - 3) < 5 * math.sqrt(24 / n), "kurtosis " .. kurt)
    local c = 0
    for r = 1, z:size(1) do c = c + z:get(r, 1) * z:get(r, 2) end
    lu.assertTrue(math.abs(c / z:size(1)) < 5 / math.sqrt(z:size(1)), "units 1 and 2 correlate: " .. c / z:size(1))
  end
end

-- Outside training the layer outputs μ.
function TestGaussianSample:testEvaluationOutputsMu()
  local h = ae.tensor { { 0.3, -0.4, 1.0, 2.0 } }
  local z = ae.GaussianSample(2):forward(h)
  lu.assertAlmostEquals(z:get(1, 1), 0.3, 1e-7)
  lu.assertAlmostEquals(z:get(1, 2), -0.4, 1e-7)
end

-- log σ² clamped: ±1e30 in μ and log σ² give finite z, KL and gradients.
function TestGaussianSample:testExtremeInputsGiveNoNaN()
  local h = ae.tensor { { 1e30, -1e30, 1e30, -1e30 }, { -1e30, 1e30, -1e30, 1e30 }, { 0, 0, 1e30, 1e30 } }
  local g = ae.GaussianSample(2):training()
  local function finite(t)
    local f = t:reshape(t:numel())
    for i = 1, f:numel() do
      local v = f:get(i)
      if v ~= v or math.abs(v) == math.huge then return false end
    end
    return true
  end
  lu.assertTrue(finite(g:forward(h)), "z")
  local kl, units = g:kl(h)
  lu.assertTrue(kl == kl and math.abs(kl) < math.huge, "KL " .. tostring(kl))
  for _, u in ipairs(units) do lu.assertTrue(u == u and u < math.huge) end
  local din = g:backward(h, ae.full(1, 3, 2))
  lu.assertTrue(finite(din), "gradient")
  -- where clamped the gradient through log σ² is zero
  lu.assertEquals(din:get(3, 3), 0)
  lu.assertEquals(din:get(1, 4), 0)
end

function TestGaussianSample:testBadArguments()
  lu.assertErrorMsgContains("latent", ae.GaussianSample, 0)
  lu.assertErrorMsgContains("β", ae.GaussianSample, 2, { beta = -1 })
  lu.assertErrorMsgContains("expected (4)", function()
    ae.Sequential { ae.Dense(3, 5), ae.GaussianSample(2) }
  end)
  lu.assertErrorMsgContains("not a GaussianSample", function() ae.ReLU():kl(ae.zeros(1, 4)) end)
end

TestVAE = {}

function TestVAE:setUp() H.seed() ae.threads(1) end
function TestVAE:tearDown() ae.threads(1) end

-- The course's model in a few lines: 784-256-(2) / (2)-256-784.
function TestVAE:testCourseModelShape()
  local net = ae.VAE { encoder = { ae.Dense(784, 256), ae.ReLU() }, latent = 2,
    decoder = { ae.Dense(2, 256), ae.ReLU(), ae.Dense(256, 784), ae.Sigmoid() } }
  local names = {}
  for i, l in ipairs(net:layers()) do names[i] = tostring(l) end
  lu.assertEquals(names, { "Dense(784→256)", "ReLU", "Dense(256→4)", "GaussianSample(2)", "Dense(2→256)", "ReLU",
    "Dense(256→784)", "Sigmoid" })
  local code = net:code_index()
  lu.assertEquals(code, 4)
  lu.assertEquals(net:sample(5):size(), { 5, 784 })
  -- a convolutional encoder gets a Flatten before the Dense
  local conv = ae.VAE { encoder = { ae.Conv2D(1, 2, 3, { stride = 2, padding = "same" }), ae.ReLU() }, latent = 2,
    decoder = { ae.Dense(2, 16), ae.Sigmoid() }, input = { 1, 4, 4 } }
  lu.assertEquals(tostring(conv:layers()[3]), "Flatten()")
  lu.assertEquals(conv:encode(ae.rand(3, 1, 4, 4)):size(), { 3, 2 })
end

-- β = 0 with σ → 0 (log σ² at the clamp's floor): the step's loss is the
-- plain reconstruction loss of μ, with no loss term.
function TestVAE:testBetaZeroIsPlainReconstruction()
  local net = small_vae(5, 2, 0)
  net:compile { loss = "bce_sum", optimizer = ae.optim.SGD { lr = 1e-12 } }
  local dense = net:layers()[3]
  local w, b = dense:parameters()
  local W, Bv = w[1]:clone(), w[2]:clone()
  for j = 1, 6 do W:set(3, j, 0) W:set(4, j, 0) end
  Bv:set(3, -40) Bv:set(4, -40)
  dense:set_parameters { W, Bv }
  local x = ae.rand(8, 5)
  local loss, terms = net:step(x, x)
  lu.assertEquals(terms, 0)
  lu.assertAlmostEquals(loss, net:loss(x), 1e-4 * math.abs(loss))
  -- and the per-pixel sum is 5 times the per-pixel mean
  local plain = net:loss(x)
  net:set_loss("bce")
  lu.assertAlmostEquals(net:loss(x) * 5, plain, 1e-5 * plain)
end

-- The step's second result is β·KL, the loss is reconstruction + β·KL.
function TestVAE:testStepReportsItsLossTerm()
  local net = small_vae(5, 3, 2)
  net:compile { loss = "bce_sum", optimizer = ae.optim.SGD { lr = 1e-12 } }
  local x = ae.rand(8, 5)
  local _, terms = net:step(x, x)
  local kl = net:loss_terms(x).kl
  lu.assertAlmostEquals(terms, 2 * kl, 1e-5 * kl)
end

local function losses(threads, seed)
  ae.threads(threads)
  ae.seed(seed)
  local net = small_vae(8, 2)
  local x = ae.rand(96, 8)
  local h = net:fit(x, { epochs = 2, batch = 64, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
    verbose = false, shuffle = false })
  ae.threads(1)
  return h, net, x
end

function TestVAE:testDeterministicOverSeedsAndThreads()
  local a, b = losses(1, 11), losses(1, 11)
  lu.assertEquals(a.loss, b.loss)
  lu.assertEquals(a.kl, b.kl)
  local c = losses(2, 11)
  -- on 2 threads too, the same seed gives the same run, to the bit
  local c2, cnet = losses(2, 11)
  local _, anet = losses(2, 11)
  lu.assertEquals(c2.loss, c.loss)
  lu.assertEquals(c2.kl, c.kl)
  lu.assertEquals(c2.val_loss, c.val_loss)
  lu.assertEquals(cnet:parameters(), anet:parameters())
  -- the first epoch's first step is the same sum; later the summed
  -- gradient blocks may round differently
  for e = 1, 2 do
    lu.assertAlmostEquals(c.loss[e], a.loss[e], 1e-4 * a.loss[e])
    lu.assertAlmostEquals(c.kl[e], a.kl[e], 1e-3 * math.max(a.kl[e], 1e-3))
  end
  local d = losses(1, 12)
  lu.assertNotEquals(d.loss[1], a.loss[1])
end

-- One step's loss on 1 and 2 threads: ε per batch row, not per thread.
function TestVAE:testOneAndTwoThreadsGiveTheSameStep()
  local net = small_vae(8, 3)
  net:set_loss("bce_sum")
  local x = ae.rand(64, 8)
  local l1 = seeded_loss(net, x, x)
  local _, g1 = net:parameters()
  g1 = g1:clone()
  ae.threads(2)
  local l2 = seeded_loss(net, x, x)
  local _, g2 = net:parameters()
  ae.threads(1)
  lu.assertAlmostEquals(l2, l1, 1e-6 * l1)
  lu.assertEquals(H.worst(g2, g1, 1e-4, 1e-6), 0)
end

function TestVAE:testEncodeSampleAndDecode()
  local net = small_vae(5, 2)
  local x = ae.rand(4, 5)
  local mu = net:encode(x)
  local h = net:forward(x, 1, 3)
  for r = 1, 4 do for j = 1, 2 do lu.assertAlmostEquals(mu:get(r, j), h:get(r, j), 1e-7) end end
  ae.seed(5)
  local z1 = net:encode(x, { sample = true })
  ae.seed(5)
  local z2 = net:encode(x, { sample = true })
  lu.assertEquals(z1:totable(), z2:totable())
  lu.assertNotEquals(z1:get(1, 1), mu:get(1, 1))
  ae.seed(6)
  local s1 = net:sample(3)
  ae.seed(6)
  lu.assertEquals(net:sample(3):totable(), s1:totable())
  lu.assertErrorMsgContains("GaussianSample", function()
    ae.Autoencoder { encoder = { ae.Dense(5, 2) }, decoder = { ae.Dense(2, 5) } }:sample(2)
  end)
end

function TestVAE:testSavedAndLoadedGivesTheSameMu()
  local net = small_vae(5, 2, 0.5)
  net:compile { loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 } }
  local x = ae.rand(16, 5)
  net:fit(x, { epochs = 2, batch = 8, verbose = false })
  local path = os.tmpname()
  assert(net:save(path))
  local back = assert(ae.load(path))
  os.remove(path)
  lu.assertEquals(back:encode(x):totable(), net:encode(x):totable())
  lu.assertEquals(back:loss_name(), "bce_sum")
  lu.assertEquals(back:layers()[4]:beta(), 0.5)
  lu.assertAlmostEquals(back:loss(x), net:loss(x), 1e-6)
end

function TestVAE:testFitHistoryKeepsTheParts()
  local net = small_vae(6, 2)
  local x, v = ae.rand(64, 6), ae.rand(32, 6)
  local h = net:fit(x, { epochs = 3, batch = 16, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
    validation = v, verbose = false, beta = ae.schedule.linear { from = 0, to = 1, epochs = 3 } })
  lu.assertEquals(h.beta, { 0, 0.5, 1 })
  for e = 1, 3 do
    lu.assertAlmostEquals(h.reconstruction[e] + h.beta[e] * h.kl[e], h.loss[e], 1e-6 * h.loss[e])
    lu.assertAlmostEquals(h.val_reconstruction[e] + h.beta[e] * h.val_kl[e], h.val_loss[e], 1e-6 * h.val_loss[e])
    lu.assertTrue(h.kl[e] > 0)
    lu.assertEquals(#h.kl_units[e], 2)
    lu.assertTrue(h.active_units[e] >= 0 and h.active_units[e] <= 2)
  end
  local sum = 0
  for _, u in ipairs(h.kl_units[3]) do sum = sum + u end
  lu.assertAlmostEquals(sum, h.val_kl[3], 1e-9 + 1e-6 * sum)
  lu.assertErrorMsgContains("GaussianSample", function()
    ae.Autoencoder { encoder = { ae.Dense(6, 2) }, decoder = { ae.Dense(2, 6) } }:fit(x, { epochs = 1, beta = 1,
      optimizer = ae.optim.Adam {}, verbose = false })
  end)
end

-- A posterior that is the prior on every unit is said, not passed silently.
function TestVAE:testPosteriorCollapseIsReported()
  local net = small_vae(5, 2)
  local dense = net:layers()[3]
  local w = dense:parameters()
  dense:set_parameters { ae.zeros(w[1]:size()), ae.zeros(w[2]:size()) } -- μ = 0, log σ² = 0: KL = 0
  local x = ae.rand(32, 5)
  local h = net:fit(x, { epochs = 2, batch = 16, loss = "bce_sum", optimizer = ae.optim.SGD { lr = 1e-12 },
    verbose = false })
  lu.assertEquals(h.active_units[2], 0)
  lu.assertStrContains(h.warning or "", "posterior collapse: 0 of 2 units active")
  -- a trained one has active units and no warning
  local net2 = small_vae(5, 2)
  local h2 = net2:fit(x, { epochs = 20, batch = 8, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
    verbose = false })
  lu.assertTrue(h2.active_units[20] >= 1, "active units " .. h2.active_units[20])
  lu.assertNil(h2.warning)
end

-- Review findings, each a regression test.
TestVAEReview = {}

function TestVAEReview:setUp()
  H.seed()
  ae.threads(1)
  self.dir = H.tmpdir()
end
function TestVAEReview:tearDown() H.rmdir(self.dir) end

-- encode gives μ whatever the mode: Dropout in the encoder stays off, and
-- the layer's own mode is put back after sample = true.
function TestVAEReview:testEncodeIsMuInTrainingMode()
  local net = ae.VAE { encoder = { ae.Dense(6, 8), ae.ReLU(), ae.Dropout(0.5) }, latent = 2,
    decoder = { ae.Dense(2, 6), ae.Sigmoid() } }
  local x = ae.rand(4, 6)
  local mu = net:encode(x)
  net:training()
  lu.assertEquals(net:encode(x), mu)
  lu.assertEquals(net:encode(x), mu)
  local g = net:layers()[5]
  g:training()
  net:encode(x, { sample = true })
  lu.assertTrue(g:is_training(), "the layer's own mode is put back")
  net:evaluate()
end

-- sample(n) decodes through the layers between the GaussianSample and the code.
function TestVAEReview:testSampleGoesThroughLayersAfterTheSampler()
  local net = ae.Autoencoder { encoder = { ae.Dense(6, 4), ae.GaussianSample(2), ae.Tanh() },
    decoder = { ae.Dense(2, 6), ae.Sigmoid() } }
  ae.seed(5)
  local s = net:sample(3)
  ae.seed(5)
  local z = ae.randn(3, 2)
  lu.assertEquals(s, net:forward(z, 3, 5)) -- Tanh, then the decoder
  lu.assertNotEquals(s, net:decode(z))
end

-- With a β schedule "best" is judged on reconstruction + KL, and a resumed
-- finished run with its per-unit KL history does not crash.
function TestVAEReview:testCheckpointsOfAVAE()
  local net = small_vae(6, 2)
  local x = ae.rand(64, 6)
  local ck = self.dir .. "/ck"
  local h = net:fit(x, { epochs = 3, batch = 16, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
    verbose = false, checkpoint = ck, beta = ae.schedule.linear { from = 0, to = 1, epochs = 3 } })
  local both, want = {}, 1
  for e = 1, 3 do
    both[e] = h.reconstruction[e] + h.kl[e]
    if both[e] < both[want] then want = e end
  end
  local f = require("aelab.modelfiles").read(ck .. "/best.safetensors", "test")
  local epoch = tonumber(f.meta.checkpoint:match('"epoch":(%d+)'))
  lu.assertEquals(epoch, want, "best by reconstruction + KL: " .. table.concat(both, ", "))
  local again = small_vae(6, 2)
  local h2 = again:fit(x, { epochs = 3, batch = 16, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
    verbose = false, resume = ck, beta = ae.schedule.linear { from = 0, to = 1, epochs = 3 } })
  lu.assertEquals(h2.epochs, 3)
  lu.assertEquals(#h2.kl_units[3], 2, "the per-unit KL came back with the checkpoint")
end

-- A convolutional VAE (Keras' example in small: strided Conv2D, Flatten,
-- Dense; decoder Dense, Reshape, strided ConvTranspose2D): shapes, and the
-- gradient through the sampling layer into the convolutions with ε fixed.
-- Tanh instead of ReLU: no kinks under finite differences.
function TestVAEReview:testConvolutionalVAE()
  local function conv_vae()
    return ae.VAE { input = { 1, 6, 6 },
      encoder = { ae.Conv2D(1, 2, 3, { stride = 2, padding = "same" }), ae.Tanh(), ae.Flatten(), ae.Dense(18, 4),
        ae.Tanh() }, latent = 2,
      decoder = { ae.Dense(2, 2 * 3 * 3), ae.Tanh(), ae.Reshape { 2, 3, 3 },
        ae.ConvTranspose2D(2, 1, 3, { stride = 2, padding = "same" }), ae.Sigmoid() } }
  end
  local net = conv_vae()
  local kinds = {}
  for i, l in ipairs(net:layers()) do kinds[i] = l:config().kind end
  lu.assertEquals(kinds[6], "Dense")
  lu.assertEquals(kinds[7], "GaussianSample")
  lu.assertEquals(net:code_index(), 7)
  lu.assertEquals(net:sample(3):size(), { 3, 1, 6, 6 })
  local x = ae.rand(3, 1, 6, 6)
  lu.assertEquals(net:encode(x):size(), { 3, 2 })
  lu.assertEquals(net:encode(ae.rand(3, 36)):size(), { 3, 2 }, "rows of pixels are accepted")
  -- the deeper chain sums more float32 round-off into the loss: a larger
  -- step (1e-2) keeps the differences' error below the tolerance (at 1e-3
  -- it is 4e-4, falling as the step grows: round-off, not a wrong gradient)
  net:set_loss("mse_sum")
  check_gradients(net, x, "convolutional VAE", CONV_EPS)
  -- and it trains: the test loss (reconstruction + KL) falls
  local data = ae.rand(64, 1, 6, 6)
  net:set_loss("bce_sum")
  local before = net:loss_terms(data)
  net:fit(data, { epochs = 15, batch = 16, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
    verbose = false })
  local after = net:loss_terms(data)
  lu.assertTrue(after.reconstruction + after.kl < before.reconstruction + before.kl,
    string.format("loss %.3f → %.3f", before.reconstruction + before.kl, after.reconstruction + after.kl))
end

-- β = 0: the steps carry no KL, so the history's KL is measured on the
-- training data after each epoch, one way whether or not there is a
-- validation set.
function TestVAEReview:testKLAtBetaZeroIsMeasuredOnTheData()
  for _, with_val in ipairs { false, true } do
    local net = small_vae(6, 2)
    local x, v = ae.rand(48, 6), ae.rand(16, 6)
    local measured = {}
    local h = net:fit(x, { epochs = 2, batch = 16, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
      verbose = false, beta = 0, validation = with_val and v or nil,
      on_epoch = function(e) measured[e] = net:loss_terms(x).kl end })
    for e = 1, 2 do
      lu.assertTrue(h.kl[e] > 0)
      lu.assertAlmostEquals(h.kl[e], measured[e], 1e-9 * measured[e])
    end
  end
end

-- An epoch that diverges leaves no validation parts behind (the history's
-- arrays stay one entry per finished epoch), and β goes back to the last
-- good epoch's with its weights.
function TestVAEReview:testDivergedEpochLeavesNoPartsAndPutsBetaBack()
  local net = small_vae(6, 2)
  local x, v = ae.rand(48, 6), ae.rand(16, 6)
  local h = net:fit(x, { epochs = 4, batch = 16, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
    verbose = false, validation = v, beta = ae.schedule.linear { from = 0.25, to = 1, epochs = 4 },
    on_epoch = function(e) if e == 2 then v:set(1, 1, 0 / 0) end end }) -- the next validation is NaN
  lu.assertStrContains(h.stopped, "diverged: in epoch 3 the validation loss became NaN")
  lu.assertEquals(h.epochs, 2)
  for _, k in ipairs { "loss", "val_loss", "reconstruction", "kl", "val_reconstruction", "val_kl", "beta",
    "kl_units", "active_units" } do
    lu.assertEquals(#h[k], 2, k)
    lu.assertNil(h[k][3], k)
  end
  lu.assertAlmostEquals(h.beta[2], 0.5, 1e-12)
  lu.assertAlmostEquals(net:layers()[4]:beta(), h.beta[2], 1e-7)
  -- stopped in its first epoch: β is the one the model had before fit (the
  -- schedule, read after fit checked the data, spoils the validation set)
  local net2 = small_vae(6, 2, 0.75)
  local w = ae.rand(16, 6)
  local h2 = net2:fit(x, { epochs = 3, batch = 16, loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-2 },
    verbose = false, validation = w, beta = function() w:set(1, 1, 0 / 0) return 3 end })
  lu.assertStrContains(h2.stopped, "diverged: in epoch 1 the validation loss became NaN")
  lu.assertEquals(h2.epochs, 0)
  lu.assertEquals(#h2.val_kl, 0)
  lu.assertEquals(net2:layers()[4]:beta(), 0.75)
end

-- Two GaussianSamples see the same step seed; each has a salt of its own
-- (as Dropout), so they draw different ε. The salt is in config(), set_salt
-- puts it back, and a model file keeps it.
function TestVAEReview:testTwoSamplersDrawTheirOwnEpsilon()
  local a, b = ae.GaussianSample(3), ae.GaussianSample(3)
  a:training(); b:training()
  local h = ae.zeros(2, 6) -- μ = 0, log σ² = 0: z = ε
  ae.seed(5)
  local za = a:forward(h)
  ae.seed(5)
  local zb = b:forward(h)
  lu.assertNotEquals(za, zb)
  lu.assertNotEquals(a:config().salt, b:config().salt)
  b:set_salt(a:config().salt)
  ae.seed(5)
  lu.assertEquals(b:forward(h), za)
  lu.assertEquals(ae.GaussianSample(3, { salt = a:config().salt }):config().salt, a:config().salt)
  -- in one model: both layers in training, the same step
  local net = ae.Sequential { ae.GaussianSample(3), ae.Dense(3, 6), ae.GaussianSample(3) }
  local l = net:layers()
  l[2]:set_parameters { ae.zeros(6, 3), ae.zeros(6) } -- the second sampler's input is 0 too
  net:training()
  ae.seed(7)
  local first = net:forward(h, 1, 1)
  ae.seed(7)
  local second = net:forward(h, 3, 3) -- the same pass seed drawn, through the second layer alone
  lu.assertNotEquals(first, second)
  -- a model file keeps the salt: a loaded VAE draws what the saved one did
  local vae = small_vae(5, 2)
  local path = os.tmpname()
  assert(vae:save(path))
  local back = assert(ae.load(path))
  os.remove(path)
  lu.assertEquals(back:layers()[4]:config().salt, vae:layers()[4]:config().salt)
  local x = ae.rand(4, 5)
  ae.seed(9)
  local z1 = vae:encode(x, { sample = true })
  ae.seed(9)
  lu.assertEquals(back:encode(x, { sample = true }), z1)
end
