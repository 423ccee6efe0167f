-- Layers: finite-difference gradient checks (input and every parameter),
-- Dense against a naive Lua computation, the accumulate/zeroGrad contract,
-- names and shapes.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

-- Inputs of kinked activations stay this far from 0, where the numeric
-- derivative straddles the kink (eps is H.EPS = 1e-3).
local KINK_GAP = 0.05

H.announce_seed("test_layers")

-- x with every |x| < KINK_GAP moved out to ±KINK_GAP (keeping its sign).
local function away_from_zero(x)
  local flat = x:reshape(x:numel())
  for i = 1, flat:numel() do
    local v = flat:get(i)
    if math.abs(v) < KINK_GAP then flat:set(i, v < 0 and v - KINK_GAP or v + KINK_GAP) end
  end
  return x
end

TestLayerGradients = {}

function TestLayerGradients:setUp() H.seed() end

function TestLayerGradients:testDenseBatch1Glorot()
  H.check_layer(lu, ae.Dense(4, 3), ae.randn(1, 4), "Dense(4→3) glorot, batch 1")
end

function TestLayerGradients:testDenseBatch5Glorot()
  H.check_layer(lu, ae.Dense(6, 4, { init = "glorot" }), ae.randn(5, 6), "Dense(6→4) glorot, batch 5")
end

function TestLayerGradients:testDenseBatch1He()
  H.check_layer(lu, ae.Dense(5, 2, { init = "he" }), ae.randn(1, 5), "Dense(5→2) he, batch 1")
end

function TestLayerGradients:testDenseBatch5He()
  local d = ae.Dense(3, 7, { init = "he" })
  -- non-zero biases so their role in forward is exercised too
  local p = d:parameters()
  p[2]:copy(ae.randn(7))
  H.check_layer(lu, d, ae.randn(5, 3), "Dense(3→7) he, batch 5")
end

function TestLayerGradients:testReLU()
  H.check_layer(lu, ae.ReLU(), away_from_zero(ae.randn(1, 8)), "ReLU, batch 1")
  H.check_layer(lu, ae.ReLU(), away_from_zero(ae.randn(5, 6)), "ReLU, batch 5")
end

function TestLayerGradients:testLeakyReLU()
  H.check_layer(lu, ae.LeakyReLU(0.1), away_from_zero(ae.randn(1, 8)), "LeakyReLU(0.1), batch 1")
  H.check_layer(lu, ae.LeakyReLU(0.1), away_from_zero(ae.randn(5, 6)), "LeakyReLU(0.1), batch 5")
end

function TestLayerGradients:testSigmoid()
  H.check_layer(lu, ae.Sigmoid(), ae.randn(1, 8) * 2, "Sigmoid, batch 1")
  H.check_layer(lu, ae.Sigmoid(), ae.randn(5, 6) * 2, "Sigmoid, batch 5")
end

function TestLayerGradients:testTanh()
  H.check_layer(lu, ae.Tanh(), ae.randn(1, 8), "Tanh, batch 1")
  H.check_layer(lu, ae.Tanh(), ae.randn(5, 6), "Tanh, batch 5")
end

function TestLayerGradients:testIdentity()
  H.check_layer(lu, ae.Identity(), ae.randn(1, 8), "Identity, batch 1")
  H.check_layer(lu, ae.Identity(), ae.randn(5, 6), "Identity, batch 5")
end

function TestLayerGradients:testSoftmax()
  H.check_layer(lu, ae.Softmax(), ae.randn(1, 8), "Softmax, batch 1")
  H.check_layer(lu, ae.Softmax(), ae.randn(5, 6), "Softmax, batch 5")
end

-- The check itself must be able to fail: a wrong gradient is caught.
function TestLayerGradients:testCheckerCatchesAWrongGradient()
  local fake = {
    forward = function(_, x) return x * 2 end,
    backward = function(_, _, dout) return dout * 3 end, -- should be 2
    zeroGrad = function() end,
    parameters = function() return {}, {} end,
  }
  local ok = pcall(H.check_layer, lu, fake, ae.randn(2, 3), "deliberately wrong")
  lu.assertFalse(ok)
end

TestLayerForward = {}

function TestLayerForward:setUp() H.seed() end

function TestLayerForward:testDenseAgainstNaive()
  local d = ae.Dense(5, 3)
  local p = d:parameters()
  local W, b = p[1], p[2]
  lu.assertEquals(W:size(), { 3, 5 }) -- (OUT, IN), PyTorch's layout
  lu.assertEquals(b:size(), { 3 })
  b:copy(ae.randn(3))
  local x = ae.randn(4, 5)
  local y = d:forward(x)
  lu.assertEquals(y:size(), { 4, 3 })
  local X, Wt, bt = x:totable(), W:totable(), b:totable()
  for i = 1, 4 do
    for o = 1, 3 do
      local s = bt[o]
      for k = 1, 5 do s = s + X[i][k] * Wt[o][k] end
      lu.assertAlmostEquals(y:get(i, o), s, 1e-5 * math.max(1, math.abs(s)))
    end
  end
end

function TestLayerForward:testDenseInitScales()
  local IN, OUT = 200, 100
  local g = ae.Dense(IN, OUT):parameters()
  local limit = math.sqrt(6 / (IN + OUT))
  lu.assertTrue(g[1]:max() <= limit and g[1]:min() >= -limit, "glorot-uniform stays inside ±√(6/(IN+OUT))")
  lu.assertTrue(g[1]:max() > 0.9 * limit)
  lu.assertEquals(g[2]:sum(), 0) -- biases start at zero
  local h = ae.Dense(IN, OUT, { init = "he" }):parameters()
  local w = h[1]
  local std = math.sqrt((w * w):mean())
  lu.assertAlmostEquals(std, math.sqrt(2 / IN), 0.05 * math.sqrt(2 / IN))
  H.error_containing(lu, "unknown init", ae.Dense, 2, 2, { init = "lecun" })
end

function TestLayerForward:testActivationValues()
  local x = ae.tensor { { -2, -0.5, 0, 0.5, 2 } }
  lu.assertEquals(ae.ReLU():forward(x):totable(), { { 0, 0, 0, 0.5, 2 } })
  local lr = ae.LeakyReLU(0.1):forward(x):totable()[1]
  lu.assertAlmostEquals(lr[1], -0.2, 1e-7)
  lu.assertAlmostEquals(lr[5], 2, 1e-7)
  local s = ae.Sigmoid():forward(x):totable()[1]
  local t = ae.Tanh():forward(x):totable()[1]
  local xs = x:totable()[1]
  for i = 1, 5 do
    lu.assertAlmostEquals(s[i], 1 / (1 + math.exp(-xs[i])), 1e-6)
    local th = (math.exp(2 * xs[i]) - 1) / (math.exp(2 * xs[i]) + 1)
    lu.assertAlmostEquals(t[i], th, 1e-6)
  end
  lu.assertEquals(ae.Identity():forward(x), x)
  local sm = ae.Softmax():forward(ae.tensor { { 1, 2, 3 }, { 1000, 1000, 1000 } }):totable()
  local z = math.exp(1) + math.exp(2) + math.exp(3)
  lu.assertAlmostEquals(sm[1][3], math.exp(3) / z, 1e-6)
  for j = 1, 3 do lu.assertAlmostEquals(sm[2][j], 1 / 3, 1e-6) end -- no overflow
end

function TestLayerForward:testSoftmaxOfEmptyRows()
  -- rows of width 0 once divided by zero (SIGFPE)
  local s = ae.Softmax()
  lu.assertEquals(s:forward(ae.zeros(2, 0)):size(), { 2, 0 })
  lu.assertEquals(s:backward(ae.zeros(2, 0), ae.zeros(2, 0)):size(), { 2, 0 })
end

function TestLayerForward:testSigmoidSaturates()
  local y = ae.Sigmoid():forward(ae.tensor { -200, 200 })
  lu.assertEquals(y:get(1, 1) >= 0 and y:get(1, 1) < 1e-30, true)
  lu.assertEquals(y:get(1, 2), 1)
end

TestLayerContract = {}

function TestLayerContract:setUp() H.seed() end

function TestLayerContract:testBackwardAccumulates()
  local d = ae.Dense(4, 3)
  local x, dout = ae.randn(2, 4), ae.randn(2, 3)
  local _, grads = d:parameters()
  d:zeroGrad()
  d:backward(x, dout)
  local g1w, g1b = grads[1]:clone(), grads[2]:clone()
  lu.assertTrue(g1w:max() ~= 0 or g1w:min() ~= 0)
  d:backward(x, dout)
  lu.assertEquals(H.worst(grads[1], g1w * 2, 1e-6, 1e-7), 0)
  lu.assertEquals(H.worst(grads[2], g1b * 2, 1e-6, 1e-7), 0)
  d:zeroGrad()
  lu.assertEquals(grads[1]:min(), 0)
  lu.assertEquals(grads[1]:max(), 0)
  lu.assertEquals(grads[2]:min(), 0)
  lu.assertEquals(grads[2]:max(), 0)
end

function TestLayerContract:testParametersAreViews()
  local d = ae.Dense(2, 2)
  local p = d:parameters()
  p[1]:fill(1)
  p[2]:fill(0.5)
  lu.assertEquals(d:forward(ae.tensor { { 1, 2 } }):totable(), { { 3.5, 3.5 } })
end

function TestLayerContract:testBackwardChecksGradientShape()
  local d = ae.Dense(4, 3)
  H.error_containing(lu, "gradient has 4 values", d.backward, d, ae.zeros(2, 4), ae.zeros(2, 2))
end

function TestLayerContract:testForwardChecksInput()
  local d = ae.Dense(4, 3)
  H.error_containing(lu, "Dense(4→3): input has 5 columns, expected 4", d.forward, d, ae.zeros(2, 5))
end

function TestLayerContract:testNames()
  lu.assertEquals(tostring(ae.Dense(784, 32)), "Dense(784→32)")
  lu.assertEquals(tostring(ae.ReLU()), "ReLU")
  lu.assertEquals(tostring(ae.LeakyReLU(0.1)), "LeakyReLU(0.1)")
  lu.assertEquals(tostring(ae.Sigmoid()), "Sigmoid")
  lu.assertEquals(tostring(ae.Tanh()), "Tanh")
  lu.assertEquals(tostring(ae.Identity()), "Identity")
  lu.assertEquals(tostring(ae.Softmax()), "Softmax")
  lu.assertEquals(ae.Dense(3, 2):kind(), "Dense")
  lu.assertEquals(ae.LeakyReLU():kind(), "LeakyReLU")
end

function TestLayerContract:testParameterNamesAndCounts()
  local d = ae.Dense(784, 32)
  lu.assertEquals(d:parameter_names(), { "weight", "bias" })
  lu.assertEquals(d:param_count(), 784 * 32 + 32)
  lu.assertEquals(ae.ReLU():parameter_names(), {})
  lu.assertEquals(ae.ReLU():param_count(), 0)
  local p, g = ae.Tanh():parameters()
  lu.assertEquals(#p, 0)
  lu.assertEquals(#g, 0)
end

function TestLayerContract:testOutputShape()
  lu.assertEquals(ae.Dense(784, 32):output_shape { 784 }, { 32 })
  lu.assertEquals(ae.ReLU():output_shape { 5, 7 }, { 5, 7 })
  H.error_containing(lu, "expected 784", ae.Dense(784, 32).output_shape, ae.Dense(784, 32), { 700 })
end

function TestLayerContract:testResetDrawsNewWeights()
  local d = ae.Dense(5, 5)
  local before = d:parameters()[1]:clone()
  d:reset()
  lu.assertFalse(d:parameters()[1] == before)
end
