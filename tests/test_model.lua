-- Models: whole-model gradient checks over the flat parameter arena,
-- summary, encode/decode, training steps, fit, determinism, chunked
-- evaluation, and the optimizers' update rules.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

H.announce_seed("test_model")

-- ReLU pre-activations closer to 0 than this would straddle the kink
-- during finite differences; the data is drawn again until none is.
local KINK_GAP = 0.02

-- 6-4-3-4-6 with Tanh, ReLU at the code, Sigmoid at the output: 89 parameters.
local function small_autoencoder()
  return ae.Autoencoder {
    encoder = { ae.Dense(6, 4), ae.Tanh(), ae.Dense(4, 3), ae.ReLU() },
    decoder = { ae.Dense(3, 4), ae.Tanh(), ae.Dense(4, 6), ae.Sigmoid() },
  }
end
local SMALL_PARAMS = (6 * 4 + 4) + (4 * 3 + 3) + (3 * 4 + 4) + (4 * 6 + 6)

-- Rows on a 2-D manifold in [0, 1]^6: an autoencoder with a 3-wide code can learn them.
local function manifold_data(n)
  local z = ae.randn(n, 2)
  local A = ae.randn(2, 6)
  return ae.Sigmoid():forward(z:matmul(A) * 2)
end

-- x whose ReLU pre-activations (the output of layer 3) keep clear of 0.
local function input_clear_of_kinks(m, B)
  return H.clear_of_kinks(m, function() return ae.rand(B, 6) end, 3, KINK_GAP, 50)
end

local function check_model_gradients(m, x, t, label)
  local params, grads = m:parameters()
  lu.assertEquals(params:numel(), m:param_count())
  local loss = m:gradient(x, t)
  lu.assertAlmostEquals(loss, m:loss(x, t), 1e-6 * loss)
  local analytic = grads:clone() -- loss below does not touch grads, but be safe
  local numeric = H.numeric_grad(function() return m:loss(x, t) end, params)
  local bad, at = H.worst(analytic, numeric)
  lu.assertEquals(bad, 0, string.format("%s: parameter %s: analytic %s, numeric %s", label, tostring(at),
    at and analytic:get(at), at and numeric:get(at)))
  -- and the input gradient
  local _, dx = m:gradient(x, t, true)
  local num_dx = H.numeric_grad(function() return m:loss(x, t) end, x)
  local bad2, at2 = H.worst(dx, num_dx)
  lu.assertEquals(bad2, 0, string.format("%s: input gradient differs at %s", label, tostring(at2)))
end

TestModelGradient = {}

function TestModelGradient:setUp() H.seed() end

function TestModelGradient:testAutoencoderBCE()
  local m = small_autoencoder()
  m:set_loss("bce")
  local x = input_clear_of_kinks(m, 3)
  check_model_gradients(m, x, x:clone(), "6-4-3-4-6 BCE, batch 3") -- a copy: dx holds the target fixed
end

function TestModelGradient:testAutoencoderMSE()
  local m = small_autoencoder()
  m:set_loss("mse")
  local x = input_clear_of_kinks(m, 1)
  check_model_gradients(m, x, ae.rand(1, 6), "6-4-3-4-6 MSE, batch 1")
end

function TestModelGradient:testSequentialLeakySoftmax()
  local m = ae.Sequential { ae.Dense(5, 4, { init = "he" }), ae.LeakyReLU(0.1), ae.Dense(4, 3), ae.Softmax() }
  m:set_loss("mse")
  -- inputs in [0.5, 1]: LeakyReLU kinks only matter for pre-activations near 0, checked below
  local x = H.clear_of_kinks(m, function() return ae.rand(4, 5) + 0.5 end, 1, KINK_GAP, 50)
  check_model_gradients(m, x, ae.rand(4, 3), "Dense-LeakyReLU-Dense-Softmax MSE, batch 4")
end

function TestModelGradient:testGradientZeroesFirst()
  local m = small_autoencoder()
  local x = ae.rand(2, 6)
  local _, grads = m:parameters()
  m:gradient(x, x)
  local once = grads:clone()
  m:gradient(x, x)
  lu.assertTrue(grads == once, "gradient() starts from zero each call")
  m:zeroGrad()
  lu.assertEquals(grads:min(), 0)
  lu.assertEquals(grads:max(), 0)
end

TestModelStructure = {}

function TestModelStructure:setUp() H.seed() end

function TestModelStructure:testParametersAreArenaViews()
  local m = small_autoencoder()
  local params, grads = m:parameters()
  lu.assertEquals(params:size(), { SMALL_PARAMS })
  lu.assertEquals(grads:size(), { SMALL_PARAMS })
  lu.assertEquals(m:param_count(), SMALL_PARAMS)
  -- the first Dense's weight is the start of the arena
  local w1 = m:layers()[1]:parameters()[1]
  lu.assertEquals(params:get(1), w1:get(1, 1))
  lu.assertEquals(params:get(7), w1:get(2, 1))
  params:set(1, 42)
  lu.assertEquals(w1:get(1, 1), 42)
  -- and writing the arena changes what the model computes
  local x = ae.rand(2, 6)
  local before = m:reconstruct(x)
  params:fill(0)
  local after = m:reconstruct(x)
  lu.assertFalse(before == after)
  lu.assertEquals(after, ae.full(0.5, 2, 6)) -- all weights 0: σ(0) everywhere
end

-- A view taken from layer:parameters() before the layer joins a model
-- follows the weights into the model's arena, and into a second model's.
function TestModelStructure:testViewsTakenBeforePackingFollowTheArena()
  local enc = ae.Dense(6, 3)
  local w, dw = enc:parameters()
  local net = ae.Autoencoder { encoder = { enc, ae.Sigmoid() }, decoder = { ae.Dense(3, 6) } }
  local params = net:parameters()
  w[1]:set(1, 1, 7)
  lu.assertEquals(params:get(1), 7) -- the write landed in the arena
  params:set(2, -3)
  lu.assertEquals(w[1]:get(1, 2), -3) -- and the old view reads the arena
  local x = ae.rand(4, 6)
  net:gradient(x, x)
  lu.assertNotEquals(dw[1]:sum(), 0) -- the step's gradient shows through the old view
  lu.assertEquals(dw[1]:sum(), select(2, net:layers()[1]:parameters())[1]:sum())
  -- the layer moves into another model: the same view follows again
  local other = ae.Sequential { enc }
  local p2 = other:parameters()
  w[1]:set(2, 1, 11)
  lu.assertEquals(p2:get(7), 11)
end

-- A model's own views (net:parameters()) stay live when a shared layer
-- goes into another model's arena and back: the arena is made once.
function TestModelStructure:testModelViewsSurviveASharedLayer()
  local enc = ae.Dense(4, 2)
  local a = ae.Autoencoder { encoder = { enc, ae.Sigmoid() }, decoder = { ae.Dense(2, 4) } }
  local pa, ga = a:parameters()
  local b = ae.Sequential { enc, ae.Tanh() }
  local x = ae.rand(8, 4)
  b:gradient(x, ae.zeros(8, 2)) -- enc moves into b's arena
  a:gradient(x, x)                                                             -- and back into a's
  pa:set(1, 5)
  lu.assertEquals(enc:parameters()[1]:get(1, 1), 5) -- the old view writes where enc is
  lu.assertNotEquals(ga:get(1), 0)                  -- and reads the step's gradient
  lu.assertEquals(a:param_count(), pa:numel())
end

function TestModelStructure:testInputShapeMustBePositive()
  H.error_containing(lu, "input sizes must be positive integers", ae.Sequential,
    { ae.UpSampling2D(2), ae.Flatten(), input = { 1, -2, -3 } })
  H.error_containing(lu, "input shape needs 1 to 3 sizes", ae.Sequential, { ae.ReLU(), input = { 1, 2, 3, 4 } })
end

function TestModelStructure:testSetParameters()
  local d = ae.Dense(3, 2)
  local net = ae.Sequential { d }
  d:set_parameters { ae.tensor { { 1, 2, 3 }, { 4, 5, 6 } }, ae.tensor { 0.5, -0.5 } }
  lu.assertEquals(net:forward(ae.tensor { { 1, 1, 1 } }), ae.tensor { { 6.5, 14.5 } })
  d:set_parameters { bias = ae.tensor { 0, 0 } } -- by name; the weight keeps its values
  lu.assertEquals(net:forward(ae.tensor { { 1, 0, 0 } }), ae.tensor { { 1, 4 } })
  -- PyTorch's layout (out, in): the transpose is refused, and nothing changes
  H.error_containing(lu, "weight is [2×3], got [3×2]", d.set_parameters, d,
    { ae.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } }, ae.tensor { 9, 9 } })
  H.error_containing(lu, "bias must be a tensor, got string", d.set_parameters, d, { bias = "x" })
  lu.assertEquals(net:forward(ae.tensor { { 1, 0, 0 } }), ae.tensor { { 1, 4 } })
  local c = ae.Conv2D(2, 3, 3)
  H.error_containing(lu, "weight is [3×2×3×3]", c.set_parameters, c, { weight = ae.zeros(2, 3, 3, 3) })
end

function TestModelStructure:testSummary()
  local m = small_autoencoder()
  local s = tostring(m)
  lu.assertEquals(s, m:summary())
  for _, name in ipairs { "Autoencoder", "Dense(6→4)", "Tanh", "Dense(4→3)", "ReLU", "Dense(3→4)", "Dense(4→6)",
    "Sigmoid", "code (3)" } do
    lu.assertStrContains(s, name)
  end
  lu.assertStrContains(s, "total parameters: " .. SMALL_PARAMS)
  local big = ae.Sequential { ae.Dense(784, 32), ae.ReLU() }
  local bs = tostring(big)
  lu.assertStrContains(bs, "Sequential")
  lu.assertStrContains(bs, "25,120")
  lu.assertStrContains(bs, "(784)")
end

-- Issue 19: the summary names no loss before one was chosen (fit chooses
-- it), and fit without an optimizer trains with Adam and says so.
function TestModelStructure:testSummaryLossAndDefaultOptimizer()
  local m = small_autoencoder()
  lu.assertStrContains(m:summary(), "loss: set by fit")
  lu.assertNil(m:summary():find("loss mse", 1, true))
  lu.assertNil(m:summary():find("optimizer", 1, true))
  local path = os.tmpname()
  local h = m:fit(ae.rand(16, 6), { epochs = 3, batch = 4, loss = "bce", out = assert(io.open(path, "w")) })
  lu.assertStrContains(H.read(path), "fit: no optimizer given: Adam{lr = 0.001} (the default")
  os.remove(path)
  lu.assertEquals(h.optimizer, "Adam (fit's default)")
  lu.assertEquals(m:optimizer():config().kind, "Adam")
  lu.assertEquals(m:optimizer():steps(), 12)
  lu.assertTrue(h.loss[3] < h.loss[1])
  lu.assertStrContains(m:summary(), "loss bce, optimizer Adam")
  -- no loss given: fit trains the default (mse) and the summary names it then
  local m2 = small_autoencoder()
  m2:fit(ae.rand(8, 6), { epochs = 1, verbose = false })
  lu.assertStrContains(m2:summary(), "loss mse, optimizer Adam")
  -- a fit that raises leaves the model as it found it: no loss chosen
  local m3 = small_autoencoder()
  H.error_containing(lu, "epochs must be a positive integer", m3.fit, m3, ae.rand(4, 6), { epochs = 0, loss = "bce" })
  lu.assertStrContains(m3:summary(), "loss: set by fit")
  -- set_loss and compile choose it
  m3:set_loss("mse")
  lu.assertStrContains(m3:summary(), "loss mse")
end

function TestModelStructure:testShapes()
  local m = small_autoencoder()
  lu.assertEquals(m:shapes(), { { 6 }, { 4 }, { 4 }, { 3 }, { 3 }, { 4 }, { 4 }, { 6 }, { 6 } })
  local code, n = m:code_index()
  lu.assertEquals(code, 4)
  lu.assertEquals(n, 8)
  lu.assertTrue(m:is_autoencoder())
  lu.assertFalse(ae.Sequential { ae.Dense(2, 2) }:is_autoencoder())
end

function TestModelStructure:testEncodeDecodeReconstruct()
  local m = small_autoencoder()
  local x = ae.rand(5, 6)
  local z = m:encode(x)
  lu.assertEquals(z:size(), { 5, 3 })
  lu.assertTrue(z:min() >= 0, "the code comes out of a ReLU")
  local r = m:decode(z)
  lu.assertEquals(r:size(), { 5, 6 })
  lu.assertTrue(r == m:reconstruct(x), "decode(encode(x)) == reconstruct(x)")
  lu.assertTrue(r:min() > 0 and r:max() < 1)
  -- a single sample as a 1-D tensor
  lu.assertEquals(m:encode(ae.rand(6)):size(), { 1, 3 })
  -- forward through slices: layers 1..1 then 2..3 give the same as 1..3
  local h1 = m:forward(x, 1, 1)
  lu.assertEquals(h1:size(), { 5, 4 })
  lu.assertTrue(m:forward(h1, 2, 3) == m:forward(x, 1, 3))
  H.error_containing(lu, "input rows are (6), expected (4)", m.forward, m, x, 2, 3)
end

function TestModelStructure:testSequentialHasNoEncode()
  local m = ae.Sequential { ae.Dense(3, 2) }
  H.error_containing(lu, "no decoder", m.encode, m, ae.zeros(1, 3))
end

function TestModelStructure:testLayersKeptAlive()
  local m = ae.Sequential { ae.Dense(3, 2), ae.Tanh() }
  collectgarbage()
  collectgarbage()
  lu.assertEquals(#m:layers(), 2)
  lu.assertEquals(tostring(m:layers()[1]), "Dense(3→2)")
  lu.assertEquals(m:forward(ae.zeros(2, 3)):size(), { 2, 2 })
end

function TestModelStructure:testAutoencoderFromSequentials()
  local enc = ae.Sequential { ae.Dense(6, 3), ae.ReLU() }
  local dec = ae.Sequential { ae.Dense(3, 6), ae.Sigmoid() }
  local m = ae.Autoencoder { encoder = enc, decoder = dec }
  local code, n = m:code_index()
  lu.assertEquals(code, 2)
  lu.assertEquals(n, 4)
  lu.assertEquals(m:encode(ae.rand(2, 6)):size(), { 2, 3 })
end

TestModelTraining = {}

function TestModelTraining:setUp() H.seed() end

local function steps_reduce_loss(optimizer, loss, label)
  local x = manifold_data(16)
  local m = small_autoencoder()
  m:compile { loss = loss, optimizer = optimizer }
  local before = m:loss(x)
  local last
  for _ = 1, 60 do last = m:step(x, x) end
  local after = m:loss(x)
  lu.assertTrue(after < before, string.format("%s: loss %.4f → %.4f", label, before, after))
  return before, after, last
end

function TestModelTraining:testAdamMSE()
  local before, after = steps_reduce_loss(ae.optim.Adam { lr = 0.02 }, "mse", "Adam MSE")
  lu.assertTrue(after < 0.5 * before, string.format("Adam MSE: %.4f → %.4f", before, after))
end

function TestModelTraining:testAdamBCE()
  local before, after = steps_reduce_loss(ae.optim.Adam { lr = 0.02 }, "bce", "Adam BCE")
  lu.assertTrue(after < before - 0.1, string.format("Adam BCE: %.4f → %.4f", before, after))
end

function TestModelTraining:testSGDMomentum()
  local before, after = steps_reduce_loss(ae.optim.SGD { lr = 0.5, momentum = 0.9 }, "mse", "SGD momentum")
  lu.assertTrue(after < 0.5 * before, string.format("SGD momentum: %.4f → %.4f", before, after))
end

function TestModelTraining:testSGDNesterov()
  local before, after = steps_reduce_loss(ae.optim.SGD { lr = 0.5, momentum = 0.9, nesterov = true }, "mse",
    "SGD Nesterov")
  lu.assertTrue(after < 0.5 * before, string.format("SGD Nesterov: %.4f → %.4f", before, after))
end

function TestModelTraining:testStepReturnsBatchLoss()
  local x = ae.rand(4, 6)
  local m = small_autoencoder()
  m:compile { loss = "mse", optimizer = ae.optim.SGD { lr = 1e-9 } }
  local expected = m:loss(x)
  local loss = m:step(x, x)
  lu.assertAlmostEquals(loss, expected, 1e-6 * expected)
  lu.assertNil(m:step(x, x, false))
  lu.assertEquals(m:optimizer():steps(), 2)
end

function TestModelTraining:testFitHistory()
  local x, v = manifold_data(40), manifold_data(10)
  local m = small_autoencoder()
  local h = m:fit(x, { epochs = 6, batch = 8, loss = "mse", optimizer = ae.optim.Adam { lr = 0.02 },
    validation = v, verbose = false })
  lu.assertEquals(h.epochs, 6)
  lu.assertEquals(#h.loss, 6)
  lu.assertEquals(#h.val_loss, 6)
  lu.assertEquals(#h.seconds, 6)
  lu.assertEquals(h.batch, 8)
  lu.assertEquals(h.samples, 40)
  for e = 1, 6 do
    lu.assertTrue(h.loss[e] > 0 and h.loss[e] < 1)
    lu.assertTrue(h.val_loss[e] > 0 and h.val_loss[e] < 1)
  end
  lu.assertTrue(h.loss[6] < h.loss[1], string.format("loss %.4f → %.4f", h.loss[1], h.loss[6]))
  lu.assertTrue(h.val_loss[6] < h.val_loss[1])
  -- the last entry is the model as it now stands
  lu.assertAlmostEquals(m:loss(v), h.val_loss[6], 1e-12)
end

function TestModelTraining:testFitUnevenBatchesAndTargets()
  -- 10 samples in batches of 4: the last batch has 2 rows; separate targets
  local x = manifold_data(10)
  local m = ae.Sequential { ae.Dense(6, 6), ae.Sigmoid() }
  local h = m:fit(x, { epochs = 3, batch = 4, loss = "bce", target = x:clone(), optimizer = ae.optim.Adam { lr = 0.05 },
    verbose = false })
  lu.assertEquals(#h.loss, 3)
  lu.assertTrue(h.loss[3] < h.loss[1])
  lu.assertEquals(m:optimizer():steps(), 9)
end

function TestModelTraining:testFitArgumentErrors()
  local m = small_autoencoder()
  H.error_containing(lu, "must be a tensor", m.fit, m, {}, {})
  H.error_containing(lu, "epochs must be a positive integer", m.fit, m, ae.rand(4, 6),
    { epochs = 0, optimizer = ae.optim.Adam {} })
  H.error_containing(lu, "4 samples but 3 targets", m.fit, m, ae.rand(4, 6),
    { target = ae.rand(3, 6), optimizer = ae.optim.Adam {} })
end

TestModelDeterminism = {}

local function run_with_seed(seed, x)
  ae.seed(seed)
  local m = small_autoencoder()
  local h = m:fit(x, { epochs = 4, batch = 6, loss = "bce", optimizer = ae.optim.Adam { lr = 0.01 }, verbose = false })
  return h.loss, m:parameters():clone()
end

function TestModelDeterminism:testSameSeedSameLosses()
  H.seed()
  local x = manifold_data(20)
  local l1, p1 = run_with_seed(7, x)
  local l2, p2 = run_with_seed(7, x)
  lu.assertEquals(#l1, 4)
  for e = 1, 4 do lu.assertEquals(l1[e], l2[e], "epoch " .. e .. " differs between identical runs") end
  lu.assertTrue(p1 == p2, "identical runs end with identical weights")
  local l3 = run_with_seed(8, x)
  local differs = false
  for e = 1, 4 do if l3[e] ~= l1[e] then differs = true end end
  lu.assertTrue(differs, "another seed gives other losses")
end

function TestModelDeterminism:testSeedRepeatsRandom()
  ae.seed(99)
  local a, b = ae.randn(5), ae.rand(5)
  ae.seed(99)
  lu.assertTrue(a == ae.randn(5))
  lu.assertTrue(b == ae.rand(5))
  ae.seed(100)
  lu.assertFalse(a == ae.randn(5))
end

TestModelEvaluate = {}

function TestModelEvaluate:setUp() H.seed() end

-- mean over chunks of rows, each weighted by its rows
local function chunked_by_hand(m, x, chunk)
  local N, sum = x:size(1), 0
  for start = 1, N, chunk do
    local n = math.min(chunk, N - start + 1)
    local part = x:narrow(1, start, n)
    sum = sum + m:loss(part, part) * n
  end
  return sum / N
end

function TestModelEvaluate:testChunksThatDoNotDivideN()
  local x = ae.rand(10, 6)
  for _, loss in ipairs { "mse", "bce" } do
    for _, chunk in ipairs { 3, 4, 7 } do
      local m = small_autoencoder() -- fresh: workspaces sized by this chunk
      m:set_loss(loss)
      local whole = m:loss(x, x, 10)
      local chunked = m:loss(x, x, chunk)
      local by_hand = chunked_by_hand(m, x, chunk)
      lu.assertAlmostEquals(chunked, whole, 1e-6 * whole, loss .. " chunk " .. chunk)
      lu.assertAlmostEquals(chunked, by_hand, 1e-6 * whole, loss .. " chunk " .. chunk .. " by hand")
    end
  end
end

function TestModelEvaluate:testForwardInChunks()
  local x = ae.rand(11, 6)
  local m = small_autoencoder()
  local whole = m:forward(x, 1, 8, 11)
  local m2 = small_autoencoder()
  m2:parameters():copy(m:parameters())
  local chunked = m2:forward(x, 1, 8, 4)
  lu.assertEquals(H.worst(whole, chunked, 1e-6, 1e-7), 0)
end

TestOptimizer = {}

function TestOptimizer:testSGDPlain()
  local o = ae.optim.SGD { lr = 0.1 }
  local w, g = ae.tensor { 1, 2, 3 }, ae.tensor { 1, -2, 0.5 }
  o:update(w, g)
  lu.assertEquals(H.worst(w, ae.tensor { 0.9, 2.2, 2.95 }, 1e-6, 0), 0)
  lu.assertEquals(o:steps(), 1)
  lu.assertAlmostEquals(o:lr(), 0.1, 1e-7)
end

function TestOptimizer:testSGDMomentumAndNesterov()
  -- PyTorch's form: v = μv + g; step = v (or g + μv with Nesterov)
  local mom = ae.optim.SGD { lr = 0.1, momentum = 0.5 }
  local nest = ae.optim.SGD { lr = 0.1, momentum = 0.5, nesterov = true }
  local w1, w2, g = ae.tensor { 0 }, ae.tensor { 0 }, ae.tensor { 1 }
  mom:update(w1, g) -- v = 1, w = -0.1
  mom:update(w1, g) -- v = 1.5, w = -0.25
  nest:update(w2, g) -- v = 1, step 1.5, w = -0.15
  nest:update(w2, g) -- v = 1.5, step 1.75, w = -0.325
  lu.assertAlmostEquals(w1:get(1), -0.25, 1e-6)
  lu.assertAlmostEquals(w2:get(1), -0.325, 1e-6)
end

function TestOptimizer:testAdamFirstSteps()
  -- with bias correction the first step is lr·g/(|g| + ε): lr in the sign of g
  local o = ae.optim.Adam { lr = 0.01 }
  local w, g = ae.tensor { 1, 1, 1 }, ae.tensor { 3, -0.5, 0 }
  o:update(w, g)
  lu.assertEquals(H.worst(w, ae.tensor { 0.99, 1.01, 1 }, 1e-5, 1e-7), 0)
  -- second step by hand
  local b1, b2, eps = 0.9, 0.999, 1e-7
  local m = (1 - b1) * 3
  local v = (1 - b2) * 9
  m = b1 * m + (1 - b1) * 3
  v = b2 * v + (1 - b2) * 9
  local step = 0.01 * (m / (1 - b1 ^ 2)) / (math.sqrt(v / (1 - b2 ^ 2)) + eps)
  o:update(w, g)
  lu.assertAlmostEquals(w:get(1), 0.99 - step, 1e-6)
end

function TestOptimizer:testWeightDecay()
  local o = ae.optim.SGD { lr = 0.1, weight_decay = 0.5 }
  local w = ae.tensor { 2 }
  o:update(w, ae.tensor { 0 })
  lu.assertAlmostEquals(w:get(1), 2 - 0.1 * 0.5 * 2, 1e-6)
end

function TestOptimizer:testSetLrAndToString()
  local o = ae.optim.Adam { lr = 0.001 }
  o:set_lr(0.5)
  lu.assertAlmostEquals(o:lr(), 0.5, 1e-7)
  lu.assertStrContains(tostring(o), "Adam{lr=0.5")
  lu.assertStrContains(tostring(ae.optim.SGD { lr = 0.1, momentum = 0.9, nesterov = true }), "nesterov=true")
  H.error_containing(lu, "learning rate must be positive", o.set_lr, o, 0)
end

function TestOptimizer:testUpdateSizeMismatch()
  local o = ae.optim.SGD {}
  H.error_containing(lu, "3 parameters but 2 gradients", o.update, o, ae.zeros(3), ae.zeros(2))
end
