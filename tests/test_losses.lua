-- Losses (MSE, BCE on probabilities, BCE fused with a final Sigmoid) seen
-- through a model: values against hand computations in Lua, input gradients
-- against the closed forms and against finite differences.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

H.announce_seed("test_losses")

-- The loss kernels sum in float32: relative agreement with Lua's doubles.
local LOSS_RTOL = 1e-5
local GRAD_RTOL, GRAD_ATOL = 1e-5, 1e-8

-- Rounds a Lua number to the nearest float32.
local function f32(x) return (string.unpack("<f", string.pack("<f", x))) end

-- Keras' clamp of probabilities, done in float32 as the core does it.
local P_LO = f32(1e-7)
local P_HI = f32(1 - P_LO)

local function sigmoid(z) return 1 / (1 + math.exp(-z)) end

local function flat(t) return t:reshape(t:numel()):totable() end

-- A one-layer model whose output is its input: the loss sees x itself.
local function identity_model(n, loss)
  local m = ae.Sequential { ae.Identity(); input = { n } }
  m:set_loss(loss)
  return m
end

local function hand_mse(y, t)
  local s = 0
  for i = 1, #y do s = s + (y[i] - t[i]) ^ 2 end
  local g = {}
  for i = 1, #y do g[i] = 2 * (y[i] - t[i]) / #y end
  return s / #y, g
end

local function clamp(p) return math.min(math.max(p, P_LO), P_HI) end

local function hand_bce(p, t)
  local s, g = 0, {}
  for i = 1, #p do
    local q = clamp(p[i])
    s = s - (t[i] * math.log(q) + (1 - t[i]) * math.log(f32(1 - q)))
    -- where the clamp is active the loss is flat in p: gradient 0 (Keras' clip, PyTorch at p = t)
    g[i] = q ~= p[i] and 0 or (q - t[i]) / (q * (1 - q)) / #p
  end
  return s / #p, g
end

-- BCE of σ(z) written the stable way: max(z,0) − z·t + log(1 + e^−|z|).
local function hand_bce_logits(z, t)
  local s, g = 0, {}
  for i = 1, #z do
    s = s + math.max(z[i], 0) - z[i] * t[i] + math.log(1 + math.exp(-math.abs(z[i])))
    g[i] = (sigmoid(z[i]) - t[i]) / #z
  end
  return s / #z, g
end

local function assert_close_list(got, want, rtol, atol, what)
  lu.assertEquals(#got, #want, what .. ": length")
  for i = 1, #want do
    local tol = atol + rtol * math.max(math.abs(got[i]), math.abs(want[i]))
    lu.assertTrue(math.abs(got[i] - want[i]) <= tol,
      string.format("%s[%d]: got %.9g, expected %.9g", what, i, got[i], want[i]))
  end
end

-- dx from model:gradient against central differences of model:loss.
local function check_input_gradient(m, x, t, label)
  local _, dx = m:gradient(x, t, true)
  local num = H.numeric_grad(function() return m:loss(x, t) end, x)
  local bad, at = H.worst(dx, num)
  lu.assertEquals(bad, 0, string.format("%s: input gradient differs at %s (analytic %s, numeric %s)", label,
    tostring(at), at and flat(dx)[at], at and flat(num)[at]))
end

TestLossMSE = {}

function TestLossMSE:setUp() H.seed() end

function TestLossMSE:testHandComputed()
  local m = identity_model(3, "mse")
  lu.assertEquals(m:loss_name(), "mse")
  local y = ae.tensor { { 1, 2, 3 }, { 0, -1, 0.5 } }
  local t = ae.tensor { { 0, 2, 5 }, { 1, 1, 0.5 } }
  -- (1 + 0 + 4 + 1 + 4 + 0) / 6
  lu.assertAlmostEquals(m:loss(y, t), 10 / 6, 1e-6)
  local loss, dx = m:gradient(y, t, true)
  lu.assertAlmostEquals(loss, 10 / 6, 1e-6)
  local _, g = hand_mse(flat(y), flat(t))
  assert_close_list(flat(dx), g, GRAD_RTOL, GRAD_ATOL, "MSE dx")
  lu.assertEquals(dx:size(), { 2, 3 })
end

function TestLossMSE:testRandomAgainstLua()
  local m = identity_model(7, "mse")
  local y, t = ae.randn(5, 7), ae.randn(5, 7)
  local want, g = hand_mse(flat(y), flat(t))
  local loss, dx = m:gradient(y, t, true)
  lu.assertTrue(math.abs(loss - want) <= LOSS_RTOL * want)
  lu.assertTrue(math.abs(m:loss(y, t) - want) <= LOSS_RTOL * want)
  assert_close_list(flat(dx), g, GRAD_RTOL, GRAD_ATOL, "MSE dx")
end

function TestLossMSE:testZeroWhenEqual()
  local m = identity_model(4, "mse")
  local y = ae.randn(3, 4)
  lu.assertEquals(m:loss(y, y:clone()), 0)
  lu.assertEquals(m:loss(y), 0) -- the target defaults to the input
end

function TestLossMSE:testFiniteDifferences()
  check_input_gradient(identity_model(4, "mse"), ae.randn(1, 4), ae.randn(1, 4), "MSE, batch 1")
  check_input_gradient(identity_model(4, "mse"), ae.randn(3, 4), ae.randn(3, 4), "MSE, batch 3")
end

TestLossBCE = {}

function TestLossBCE:setUp() H.seed() end

function TestLossBCE:testHandComputed()
  local m = identity_model(2, "bce")
  lu.assertEquals(m:loss_name(), "bce")
  local p = ae.tensor { { 0.9, 0.2 }, { 0.5, 0.7 } }
  local t = ae.tensor { { 1, 0 }, { 1, 0.3 } }
  local want = -(math.log(0.9) + math.log(0.8) + math.log(0.5) + 0.3 * math.log(0.7) + 0.7 * math.log(0.3)) / 4
  local got = m:loss(p, t)
  lu.assertTrue(math.abs(got - want) <= LOSS_RTOL * want, string.format("BCE %.9g, expected %.9g", got, want))
end

function TestLossBCE:testRandomAgainstLua()
  local m = identity_model(6, "bce")
  local p = ae.rand(4, 6) * 0.98 + 0.01
  local t = ae.rand(4, 6)
  local want, g = hand_bce(flat(p), flat(t))
  local loss, dx = m:gradient(p, t, true)
  lu.assertTrue(math.abs(loss - want) <= LOSS_RTOL * want)
  assert_close_list(flat(dx), g, 1e-4, GRAD_ATOL, "BCE dx")
end

function TestLossBCE:testClampsLikeKeras()
  local m = identity_model(4, "bce")
  local p = ae.tensor { { 0, 1, 0, 1 } }
  local t = ae.tensor { { 1, 0, 0, 1 } }
  local loss, dx = m:gradient(p, t, true)
  local want, g = hand_bce(flat(p), flat(t))
  lu.assertTrue(loss == loss and loss < math.huge, "finite")
  -- two terms at −log(1e-7) ≈ 16.1, two at ≈ 0
  lu.assertTrue(math.abs(loss - want) <= 1e-4 * want, string.format("clamped BCE %.9g, expected %.9g", loss, want))
  lu.assertTrue(loss > 7.5 and loss < 8.5)
  for _, v in ipairs(flat(dx)) do lu.assertTrue(v == v and math.abs(v) < math.huge) end
  -- p = 1, t = 1 was still pushed (−2.5e6 here); every p here is clamped
  assert_close_list(flat(dx), g, 1e-3, 1e-3, "clamped BCE dx")
  lu.assertEquals(flat(dx), { 0, 0, 0, 0 })
end

function TestLossBCE:testFiniteDifferences()
  local m = identity_model(5, "bce")
  check_input_gradient(m, ae.rand(1, 5) * 0.8 + 0.1, ae.rand(1, 5), "BCE, batch 1")
  check_input_gradient(m, ae.rand(3, 5) * 0.8 + 0.1, ae.rand(3, 5), "BCE, batch 3")
end

TestLossBCELogits = {}

function TestLossBCELogits:setUp() H.seed() end

-- A model that ends in Sigmoid trains BCE on the logits.
local function sigmoid_model(n, with_identity)
  local layers = with_identity and { ae.Identity(), ae.Sigmoid() } or { ae.Sigmoid() }
  layers.input = { n }
  local m = ae.Sequential(layers)
  m:set_loss("bce")
  return m
end

function TestLossBCELogits:testSameAsSigmoidThenBCE()
  for _, with_identity in ipairs { false, true } do
    local label = with_identity and "Identity+Sigmoid" or "Sigmoid"
    local m = sigmoid_model(6, with_identity)
    local z = ae.randn(4, 6) * 2
    local t = ae.rand(4, 6)
    local p = {}
    for i, v in ipairs(flat(z)) do p[i] = sigmoid(v) end
    local want = hand_bce(p, flat(t))
    local want_logits, g = hand_bce_logits(flat(z), flat(t))
    lu.assertAlmostEquals(want_logits, want, 1e-6 * want) -- the two hand forms agree
    local loss, dx = m:gradient(z, t, true)
    lu.assertTrue(math.abs(loss - want) <= LOSS_RTOL * want, label .. string.format(": %.9g vs %.9g", loss, want))
    lu.assertTrue(math.abs(m:loss(z, t) - want) <= LOSS_RTOL * want, label .. ": loss")
    assert_close_list(flat(dx), g, 1e-5, 1e-7, label .. " fused dx")
  end
end

function TestLossBCELogits:testAgreesWithUnfusedModel()
  -- the same numbers through a plain BCE-on-probabilities model
  local z = ae.randn(3, 5)
  local t = ae.rand(3, 5)
  local fused = sigmoid_model(5, true)
  local p = ae.Sigmoid():forward(z)
  local plain = identity_model(5, "bce")
  local lf, dz = fused:gradient(z, t, true)
  local lp, dp = plain:gradient(p, t, true)
  lu.assertTrue(math.abs(lf - lp) <= 1e-5 * lp)
  -- chain rule: dz = dp · p(1 − p)
  local chained = dp * p * (1 - p)
  lu.assertEquals(H.worst(dz, chained, 1e-4, 1e-7), 0)
end

function TestLossBCELogits:testFiniteDifferences()
  check_input_gradient(sigmoid_model(4), ae.randn(1, 4), ae.rand(1, 4), "BCE logits (Sigmoid), batch 1")
  check_input_gradient(sigmoid_model(4, true), ae.randn(3, 4), ae.rand(3, 4), "BCE logits (Identity+Sigmoid), batch 3")
end

function TestLossBCELogits:testLargeLogitsStayFinite()
  for _, with_identity in ipairs { false, true } do
    local m = sigmoid_model(4, with_identity)
    local z = ae.tensor { { 100, -100, 100, -100 } }
    local t = ae.tensor { { 0, 1, 1, 0 } }
    local loss, dx = m:gradient(z, t, true)
    -- two terms of exactly 100 (max(z,0) − z·t), two of log(1 + e^−100) ≈ 0
    lu.assertAlmostEquals(loss, 50, 1e-5)
    lu.assertAlmostEquals(m:loss(z, t), 50, 1e-5)
    assert_close_list(flat(dx), { 0.25, -0.25, 0, 0 }, 1e-6, 1e-7, "dz at ±100")
  end
end

function TestLossBCELogits:testOnlyWhenBCE()
  -- with MSE the Sigmoid runs normally: the loss is on σ(z)
  local m = ae.Sequential { ae.Sigmoid(); input = { 2 } }
  m:set_loss("mse")
  local z, t = ae.tensor { { 0, 2 } }, ae.tensor { { 0, 1 } }
  local want = ((0.5 - 0) ^ 2 + (sigmoid(2) - 1) ^ 2) / 2
  lu.assertAlmostEquals(m:loss(z, t), want, 1e-6)
end

function TestLossBCELogits:testUnknownLossName()
  local m = identity_model(2, "mse")
  H.error_containing(lu, "unknown loss 'hinge' (the losses are 'mse', 'bce', 'mse_sum', 'bce_sum', 'cross_entropy')", m.set_loss, m, "hinge")
end

-- ae.mse and ae.bce on tensors agree with a model's own loss.
TestTensorLosses = {}
function TestTensorLosses:testMatchModelLosses()
  H.seed()
  local net = ae.Sequential { ae.Dense(6, 5), ae.Sigmoid() }
  local x, t = ae.randn(4, 6), ae.rand(4, 5)
  local p = net:forward(x)
  net:compile { loss = "bce", optimizer = ae.optim.SGD {} }
  lu.assertAlmostEquals(ae.bce(p, t), net:loss(x, t), 1e-5)
  net:compile { loss = "mse", optimizer = ae.optim.SGD {} }
  lu.assertAlmostEquals(ae.mse(p, t), net:loss(x, t), 1e-6)
  lu.assertEquals(ae.mse(t, t), 0)
end
