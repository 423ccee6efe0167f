-- Convolutional layers: finite-difference gradient checks, the fast kernels
-- against the direct-loop references (naive = true) on random shapes, pooling
-- and upsampling against Lua loops, Dropout's modes, error messages, and a
-- convolutional model end to end.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

H.announce_seed("test_conv")

-- fast and naive agree to float32 rounding of sums of a few hundred terms
local ORACLE_RTOL, ORACLE_ATOL = 1e-4, 1e-5

local function flat(t) return t:reshape(t:numel()) end

local function assert_close(a, b, label, rtol, atol)
  lu.assertEquals(a:numel(), b:numel(), label .. ": sizes differ")
  local bad, at = H.worst(a, b, rtol or ORACLE_RTOL, atol or ORACLE_ATOL)
  lu.assertEquals(bad, 0, string.format("%s: differs at %s (%s vs %s)", label, tostring(at),
    at and flat(a):get(at), at and flat(b):get(at)))
end

-- Copies every parameter of `from` into `to`.
local function copy_params(to, from)
  local pt, pf = to:parameters(), from:parameters()
  for i = 1, #pt do pt[i]:copy(pf[i]) end
end

-- Non-zero biases, so their place in forward is exercised.
local function random_bias(layer)
  local p = layer:parameters()
  p[2]:copy(ae.randn(p[2]:size()) * 0.5)
  return layer
end

TestConvGradients = {}
function TestConvGradients:setUp() H.seed() end

local conv_cases = {
  { 2, 3, 3, { padding = "same" }, { 1, 2, 5, 6 } },
  { 2, 3, 3, { padding = "valid" }, { 2, 2, 5, 7 } },
  { 1, 2, 3, { padding = "same", stride = 2 }, { 2, 1, 7, 6 } },
  { 3, 2, 2, { padding = "valid", stride = 2 }, { 1, 3, 7, 5 } },
  { 2, 2, 4, { padding = "same", stride = 2 }, { 2, 2, 5, 5 } },
}

function TestConvGradients:testConv2D()
  for _, c in ipairs(conv_cases) do
    local layer = random_bias(ae.Conv2D(c[1], c[2], c[3], c[4]))
    H.check_layer(lu, layer, ae.randn(table.unpack(c[5])), tostring(layer) .. " on " .. table.concat(c[5], "×"))
  end
end

-- the reference loops and the direct kernel, on their own
function TestConvGradients:testConv2DNaiveAndDirect()
  for _, kernel in ipairs { "naive", "direct" } do
    for _, pad in ipairs { "same", "valid" } do
      local layer = random_bias(ae.Conv2D(3, 2, 3, { padding = pad, kernel = kernel }))
      H.check_layer(lu, layer, ae.randn(2, 3, 5, 6), tostring(layer) .. " on 2×3×5×6")
    end
  end
end

function TestConvGradients:testConvTranspose2D()
  for _, c in ipairs(conv_cases) do
    local layer = random_bias(ae.ConvTranspose2D(c[1], c[2], c[3], c[4]))
    H.check_layer(lu, layer, ae.randn(table.unpack(c[5])), tostring(layer) .. " on " .. table.concat(c[5], "×"))
  end
end

function TestConvGradients:testMaxPool2D()
  -- distinct values (a permutation) keep every window's maximum clear of a tie
  local function distinct(...)
    local x = ae.randperm(select(1, ...) * select(2, ...) * select(3, ...) * select(4, ...)):reshape(...)
    return x * 0.1
  end
  H.check_layer(lu, ae.MaxPool2D(2), distinct(2, 2, 6, 5), "MaxPool2D(2) valid, odd width")
  H.check_layer(lu, ae.MaxPool2D(2, { padding = "same" }), distinct(1, 3, 7, 5), "MaxPool2D(2) same")
  H.check_layer(lu, ae.MaxPool2D(3, 2), distinct(2, 1, 7, 7), "MaxPool2D(3, stride 2)")
end

function TestConvGradients:testUpSamplingReshapeFlatten()
  H.check_layer(lu, ae.UpSampling2D(2), ae.randn(2, 2, 3, 4), "UpSampling2D(2)")
  H.check_layer(lu, ae.UpSampling2D(3), ae.randn(1, 1, 2, 3), "UpSampling2D(3)")
  H.check_layer(lu, ae.Reshape { 2, 3, 4 }, ae.randn(2, 24), "Reshape(2×3×4)")
  H.check_layer(lu, ae.Flatten(), ae.randn(2, 2, 3, 4), "Flatten()")
end

-- Dropout in training mode: the mask depends on the seed, so every call
-- is preceded by the same ae.seed.
function TestConvGradients:testDropoutTraining()
  local d = ae.Dropout(0.3):training()
  local x, w = ae.randn(3, 10), ae.randn(3, 10)
  local function loss() ae.seed(7) return (d:forward(x) * w):sum() end
  ae.seed(7)
  local dx = d:backward(x, w)
  local bad, at = H.worst(dx, H.numeric_grad(loss, x))
  lu.assertEquals(bad, 0, "Dropout input gradient differs at " .. tostring(at))
end

TestConvOracle = {}
function TestConvOracle:setUp() H.seed() end

-- Random shapes: odd sizes, strides 1-2, both paddings, kernels 1-4.
local function random_case(rng_i)
  local k = math.random(1, 4)
  local s = math.random(1, 2)
  local pad = math.random() < 0.5 and "same" or "valid"
  local h, w = math.random(k, 11), math.random(k, 11)
  return math.random(1, 4), math.random(1, 5), k, { stride = s, padding = pad }, { math.random(1, 3), 0, h, w }
end

-- Cases as in lesson 08's model and wider, so the direct kernel's register
-- tiles (8, 4, 2 and 1 output channels; several vectors per row; leftover
-- vectors and channels) all run.
local WIDE_CASES = {
  { 1, 16, 3, { padding = "same" }, { 2, 1, 28, 28 } },
  { 16, 8, 3, { padding = "same" }, { 2, 16, 14, 14 } },
  { 8, 8, 3, { padding = "same" }, { 3, 8, 4, 4 } },
  { 8, 16, 3, {}, { 2, 8, 16, 16 } },
  { 16, 1, 3, { padding = "same" }, { 2, 16, 28, 28 } },
  { 6, 15, 5, { padding = "same" }, { 2, 6, 13, 9 } },
  { 9, 7, 2, { padding = "same" }, { 1, 9, 20, 17 } },
}

local function compare(make, kernel, cases)
  math.randomseed(H.SEED)
  for n = 1, cases and #cases or 12 do
    local cin, cout, k, o, shape
    if cases then
      cin, cout, k, o, shape = table.unpack(cases[n])
      o = { stride = o.stride, padding = o.padding }
      shape = { table.unpack(shape) }
    else
      cin, cout, k, o, shape = random_case()
    end
    shape[2] = cin
    o.kernel = kernel
    local fast = random_bias(make(cin, cout, k, o))
    o.kernel = nil
    local no = { naive = true }
    for key, v in pairs(o) do no[key] = v end
    local naive = make(cin, cout, k, no)
    copy_params(naive, fast)
    local x = ae.randn(table.unpack(shape))
    local what = string.format("%s on %s", tostring(fast), table.concat(shape, "×"))
    local y, yn = fast:forward(x), naive:forward(x)
    lu.assertEquals(y:size(), yn:size(), what .. ": output shapes")
    assert_close(y, yn, what .. " forward")
    local dy = ae.randn(y:size())
    fast:zeroGrad()
    naive:zeroGrad()
    local dx, dxn = fast:backward(x, dy), naive:backward(x, dy)
    assert_close(dx, dxn, what .. " input gradient")
    local _, g = fast:parameters()
    local _, gn = naive:parameters()
    assert_close(g[1], gn[1], what .. " weight gradient", 1e-4, 1e-4)
    assert_close(g[2], gn[2], what .. " bias gradient", 1e-4, 1e-4)
  end
end

-- Conv2D has two fast kernels (im2col + GEMM, and direct for stride 1): both,
-- and whatever 'auto' picks, against the reference loops.
function TestConvOracle:testConv2DGemmMatchesNaive() compare(ae.Conv2D, "gemm") end
function TestConvOracle:testConv2DDirectMatchesNaive() compare(ae.Conv2D, "direct") end
function TestConvOracle:testConv2DAutoMatchesNaive() compare(ae.Conv2D, "auto") end
function TestConvOracle:testConv2DDirectMatchesNaiveOnWideShapes() compare(ae.Conv2D, "direct", WIDE_CASES) end
function TestConvOracle:testConv2DGemmMatchesNaiveOnWideShapes() compare(ae.Conv2D, "gemm", WIDE_CASES) end
function TestConvOracle:testConvTranspose2DFastMatchesNaive() compare(ae.ConvTranspose2D) end

-- The direct kernel is compiled per vector width (AVX-512, AVX2, SSE2) and
-- runs the widest the CPU has; the narrower ones run here in a child process
-- with AELAB_SIMD capping the level, and AVX-512's tile sizes on AVX2
-- registers (avx512-tiles) where the CPU lacks AVX-512.
function TestConvOracle:testNarrowerVectorLevelsMatchNaive()
  for _, level in ipairs { "sse2", "avx2", "avx512-tiles" } do
    local out, err, code = H.run("AELAB_SIMD=" .. level .. " " .. H.q(H.BIN) ..
      " tests/run.lua -p TestConvOracle.testConv2DDirect </dev/null")
    lu.assertEquals(code, 0, level .. ":\n" .. out .. err)
    lu.assertStrContains(out, "2 passed, 0 failed")
  end
end

function TestConvOracle:testKernelChoiceIsNamed()
  lu.assertEquals(tostring(ae.Conv2D(2, 3, 3, { kernel = "direct" })), "Conv2D(2→3, 3×3, direct)")
  lu.assertEquals(tostring(ae.Conv2D(2, 3, 3, { naive = true })), "Conv2D(2→3, 3×3, naive)")
  H.error_containing(lu, "unknown kernel 'fft'", ae.Conv2D, 1, 1, 3, { kernel = "fft" })
end

-- Output sizes follow Keras: 'same' → ceil(n/s), 'valid' → floor((n−k)/s)+1;
-- transposed: 'same' → n·s, 'valid' → n·s + max(k−s, 0).
function TestConvOracle:testOutputShapes()
  lu.assertEquals(ae.Conv2D(1, 4, 3, { padding = "same" }):output_shape { 1, 28, 28 }, { 4, 28, 28 })
  lu.assertEquals(ae.Conv2D(1, 4, 3):output_shape { 1, 16, 16 }, { 4, 14, 14 })
  lu.assertEquals(ae.Conv2D(1, 4, 3, { stride = 2, padding = "same" }):output_shape { 1, 7, 9 }, { 4, 4, 5 })
  lu.assertEquals(ae.Conv2D(1, 4, 3, { stride = 2 }):output_shape { 1, 7, 8 }, { 4, 3, 3 })
  lu.assertEquals(ae.ConvTranspose2D(4, 2, 3, { stride = 2, padding = "same" }):output_shape { 4, 7, 7 }, { 2, 14, 14 })
  lu.assertEquals(ae.ConvTranspose2D(4, 2, 3, { stride = 2 }):output_shape { 4, 7, 7 }, { 2, 15, 15 })
  lu.assertEquals(ae.MaxPool2D(2, { padding = "same" }):output_shape { 8, 7, 7 }, { 8, 4, 4 })
  lu.assertEquals(ae.MaxPool2D(2):output_shape { 8, 7, 7 }, { 8, 3, 3 })
  lu.assertEquals(ae.UpSampling2D(2):output_shape { 8, 7, 5 }, { 8, 14, 10 })
  lu.assertEquals(ae.Flatten():output_shape { 8, 4, 4 }, { 128 })
  lu.assertEquals(ae.Reshape { 8, -1, 4 }:output_shape { 128 }, { 8, 4, 4 })
end

-- Pooling and upsampling against plain Lua loops.
function TestConvOracle:testMaxPoolAndUpsampleMatchLuaLoops()
  local N, C, Hh, W = 2, 3, 7, 6
  local x = ae.randn(N, C, Hh, W)
  local xf = flat(x)
  local function at(n, c, y, xx) return xf:get(((n * C + c) * Hh + y) * W + xx + 1) end
  -- MaxPool2D(3, stride 2, same): HO = 4, WO = 3, padding before = 1 (rows: total 2), 0 (cols: total 1)
  local y = flat(ae.MaxPool2D(3, 2, { padding = "same" }):forward(x))
  local HO, WO, PT, PL = 4, 3, 1, 0
  local i = 0
  for n = 0, N - 1 do for c = 0, C - 1 do for oy = 0, HO - 1 do for ox = 0, WO - 1 do
    local m = -math.huge
    for yy = oy * 2 - PT, oy * 2 - PT + 2 do for xx = ox * 2 - PL, ox * 2 - PL + 2 do
      if yy >= 0 and yy < Hh and xx >= 0 and xx < W then m = math.max(m, at(n, c, yy, xx)) end
    end end
    i = i + 1
    lu.assertEquals(y:get(i), m, "MaxPool2D value " .. i)
  end end end end
  local u = flat(ae.UpSampling2D(2):forward(x))
  i = 0
  for n = 0, N - 1 do for c = 0, C - 1 do for yy = 0, 2 * Hh - 1 do for xx = 0, 2 * W - 1 do
    i = i + 1
    lu.assertEquals(u:get(i), at(n, c, yy // 2, xx // 2), "UpSampling2D value " .. i)
  end end end end
end

-- MaxPool2D(2): its own loops, against Lua, on even and odd sizes, both
-- paddings, and values with many ties (the gradient goes to the first
-- maximum of each window in row order).
function TestConvOracle:testMaxPool2x2MatchesLuaWithTies()
  for _, case in ipairs { { 6, 8, "valid" }, { 7, 5, "valid" }, { 7, 5, "same" }, { 1, 3, "same" }, { 28, 28, "same" } } do
    local Hh, W, pad = table.unpack(case)
    local N, C = 2, 3
    local vals = {}
    for k = 1, N * C * Hh * W do vals[k] = math.random(-2, 2) end
    local x = ae.tensor(vals):reshape(N, C, Hh, W)
    local xf = flat(x)
    local function at(n, c, yy, xx) return ((n * C + c) * Hh + yy) * W + xx + 1 end
    local layer = ae.MaxPool2D(2, { padding = pad })
    local y = flat(layer:forward(x))
    local HO, WO = pad == "same" and (Hh + 1) // 2 or Hh // 2, pad == "same" and (W + 1) // 2 or W // 2
    lu.assertEquals(y:numel(), N * C * HO * WO)
    local dy = ae.randn(N, C, HO, WO)
    local dyf = flat(dy)
    local want = {}
    for k = 1, x:numel() do want[k] = 0 end
    local i = 0
    for n = 0, N - 1 do for c = 0, C - 1 do for oy = 0, HO - 1 do for ox = 0, WO - 1 do
      local best
      for yy = 2 * oy, math.min(2 * oy + 1, Hh - 1) do for xx = 2 * ox, math.min(2 * ox + 1, W - 1) do
        local k = at(n, c, yy, xx)
        if not best or xf:get(k) > xf:get(best) then best = k end
      end end
      i = i + 1
      local what = string.format("%d×%d %s, window %d", Hh, W, pad, i)
      lu.assertEquals(y:get(i), xf:get(best), what .. ": value")
      want[best] = want[best] + dyf:get(i)
    end end end end
    local dx = flat(layer:backward(x, dy))
    for k = 1, x:numel() do
      lu.assertAlmostEquals(dx:get(k), want[k], 1e-6, string.format("%d×%d %s: input gradient %d", Hh, W, pad, k))
    end
  end
end

TestDropout = {}
function TestDropout:setUp() H.seed() end

function TestDropout:testIdentityOutsideTraining()
  local x = ae.randn(4, 50)
  assert_close(ae.Dropout(0.5):forward(x), x, "Dropout in evaluation")
end

function TestDropout:testRateAndScale()
  local x = ae.zeros(20, 500) + 1
  local y = ae.Dropout(0.25):training():forward(x)
  local f = flat(y)
  local zeros, others = 0, 0
  for i = 1, f:numel() do
    local v = f:get(i)
    if v == 0 then zeros = zeros + 1 else others = others + 1; lu.assertAlmostEquals(v, 1 / 0.75, 1e-6) end
  end
  lu.assertTrue(math.abs(zeros / f:numel() - 0.25) < 0.02, "drop rate " .. zeros / f:numel())
end

function TestDropout:testBadRate()
  H.error_containing(lu, "Dropout(1): the rate must be in [0, 1)", ae.Dropout, 1)
end

TestConvErrors = {}

function TestConvErrors:testChannelMismatchNamesShapes()
  H.error_containing(lu, "Conv2D(16→8, 3×3, same): input (1×28×28) has C = 1, expected C = 16", function()
    return ae.Autoencoder { encoder = { ae.Conv2D(16, 8, 3, { padding = "same" }) },
      decoder = { ae.Conv2D(8, 1, 3, { padding = "same" }) }, input = { 1, 28, 28 } }
  end)
end

function TestConvErrors:testFlatInputToConv()
  H.error_containing(lu, "Conv2D(1→4, 3×3): input (784) is not C×H×W", function()
    return ae.Conv2D(1, 4, 3):forward(ae.randn(2, 784))
  end)
end

function TestConvErrors:testWindowTooLarge()
  H.error_containing(lu, "smaller than the 5×5 window", function() return ae.Conv2D(1, 1, 5):output_shape { 1, 4, 9 } end)
end

function TestConvErrors:testBadPadding()
  H.error_containing(lu, "unknown padding 'full'", ae.Conv2D, 1, 1, 3, { padding = "full" })
end

function TestConvErrors:testReshapeCount()
  H.error_containing(lu, "Reshape(3×3): input (8) has 8 values per sample", function()
    return ae.Reshape { 3, 3 }:output_shape { 8 }
  end)
end

TestConvModel = {}

local function small_cae()
  return ae.Autoencoder {
    encoder = { ae.Conv2D(1, 4, 3, { padding = "same" }), ae.ReLU(), ae.MaxPool2D(2, { padding = "same" }),
      ae.Conv2D(4, 4, 3, { padding = "same", stride = 2 }), ae.ReLU(), ae.Dropout(0.1) },
    decoder = { ae.ConvTranspose2D(4, 4, 3, { stride = 2, padding = "same" }), ae.ReLU(), ae.UpSampling2D(2),
      ae.Conv2D(4, 1, 3, { padding = "same" }), ae.Sigmoid() },
    input = { 1, 12, 12 },
  }
end

-- Rows of [N×144] feed a (1×12×12) input; same seed and threads → same
-- losses; 1 and 2 threads agree to rounding.
function TestConvModel:testTrainsDeterministically()
  local function run(threads)
    local old = ae.threads()
    ae.threads(threads)
    ae.seed(5)
    local x = ae.rand(96, 144)
    local net = small_cae()
    local h = net:fit(x, { epochs = 3, batch = 48, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-2 },
      verbose = false, validation = x })
    ae.threads(old)
    return h
  end
  local a, b, c = run(2), run(2), run(1)
  for e = 1, 3 do
    lu.assertEquals(a.loss[e], b.loss[e], "same seed and threads, epoch " .. e)
    lu.assertAlmostEquals(a.loss[e], c.loss[e], 1e-4, "1 against 2 threads, epoch " .. e)
  end
  lu.assertTrue(a.loss[3] < a.loss[1], "loss did not drop")
  lu.assertEquals(type(a.val_loss[3]), "number")
  -- evaluation is deterministic: Dropout is off outside the step
  local net = small_cae()
  local x = ae.rand(3, 144)
  assert_close(net:forward(x), net:forward(x), "forward twice", 0, 0)
end

-- profile(): the training steps' time per layer; reset starts over.
function TestConvModel:testProfileCountsLayerTimes()
  H.seed()
  local net = small_cae()
  net:fit(ae.rand(64, 144), { epochs = 1, batch = 32, loss = "bce", optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false })
  local secs = net:layer_seconds(true)
  lu.assertEquals(#secs, #net:layers())
  local total = 0
  for i, s in ipairs(secs) do
    lu.assertTrue(s.forward >= 0 and s.backward >= 0, "layer " .. i)
    total = total + s.forward + s.backward
  end
  lu.assertTrue(total > 0, "no time was counted")
  -- the work per row, a multiply-add counting 2: the first layer computes no
  -- input gradient, the others the weights' and the input's
  lu.assertEquals(secs[1].forward_flops, 2 * 1 * 4 * 9 * 12 * 12)
  lu.assertEquals(secs[1].backward_flops, secs[1].forward_flops)
  lu.assertEquals(secs[4].forward_flops, 2 * 4 * 4 * 9 * 3 * 3) -- stride 2: a 3×3 output
  lu.assertEquals(secs[4].backward_flops, 2 * secs[4].forward_flops)
  lu.assertEquals(secs[7].forward_flops, 2 * 4 * 4 * 9 * 3 * 3) -- transposed: per input position
  lu.assertEquals(secs[2].forward_flops + secs[2].backward_flops, 0, "ReLU multiplies no weights")
  lu.assertTrue(secs[1].rows > 0 and secs[1].rows <= 64, "rows thread 0 ran: " .. secs[1].rows)
  for _, s in ipairs(net:layer_seconds()) do lu.assertEquals(s.forward + s.backward + s.rows, 0, "reset") end
  net:fit(ae.rand(64, 144), { epochs = 1, batch = 32, loss = "bce", optimizer = ae.optim.SGD { lr = 0.1 }, verbose = false })
  local text = net:profile()
  lu.assertStrContains(text, "Conv2D(1→4, 3×3, same)")
  lu.assertStrContains(text, "GF/s")
  lu.assertStrContains(text, "total")
end

-- Models: forward evaluates (Dropout off) unless training() was called.
function TestDropout:testModelModes()
  H.seed()
  local net = ae.Sequential { ae.Dense(20, 30), ae.Dropout(0.5), input = { 20 } }
  local x = ae.randn(4, 20)
  local a, b = net:forward(x), net:forward(x)
  assert_close(a, b, "evaluation is deterministic", 0, 0)
  local t = net:training():forward(x)
  local zeros = 0
  for i = 1, t:numel() do if flat(t):get(i) == 0 then zeros = zeros + 1 end end
  lu.assertTrue(zeros > 20 and zeros < 100, "training() forward drops about half: " .. zeros .. " of 120")
  assert_close(net:evaluate():forward(x), a, "evaluate() again", 0, 0)
  -- the number is loss(x [, target]); evaluate() only sets the mode
  lu.assertEquals(type(net:loss(x, net:forward(x))), "number")
  lu.assertTrue(rawequal(net:evaluate(), net), "evaluate() returns the model")
  lu.assertTrue(rawequal(net:training(), net), "training() returns the model")
end

-- The old evaluate(x) for a loss raises, naming loss(x), and leaves the mode alone.
function TestDropout:testEvaluateWithDataRaises()
  H.seed()
  local net = ae.Sequential { ae.Dense(20, 30), ae.Dropout(0.5), input = { 20 } }
  local x = ae.randn(4, 20)
  net:training()
  H.error_containing(lu, "net:loss(x", net.evaluate, net, x)
  local t = net:forward(x)
  local zeros = 0
  for i = 1, t:numel() do if flat(t):get(i) == 0 then zeros = zeros + 1 end end
  lu.assertTrue(zeros > 20, "still in training mode after the failed call: " .. zeros .. " zeros of 120")
end

-- Two Dropout layers see the same step seed: their masks still differ.
function TestDropout:testTwoLayersDropDifferently()
  H.seed()
  local net = ae.Sequential { ae.Dropout(0.5), ae.Dropout(0.5), input = { 400 } }
  local y = flat(net:training():forward(ae.zeros(1, 400) + 1))
  local zeros = 0
  for i = 1, y:numel() do if y:get(i) == 0 then zeros = zeros + 1 end end
  -- the same mask twice would keep half (200 zeros); two independent ones keep a quarter
  lu.assertTrue(zeros > 260, "zeros after two Dropout(0.5): " .. zeros .. " of 400")
end
