-- Classifiers (issue 12): softmax cross-entropy from logits against 0-based
-- labels, predict, accuracy and the confusion matrix, the label checks,
-- frozen layers, reusing an encoder, greedy layer-wise pretraining.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

H.announce_seed("test_classify")

local LOSS_RTOL = 1e-5
local GRAD_ATOL = 1e-7

local function flat(t) return t:reshape(t:numel()):totable() end

-- log Σ exp(z) − z_label per row, and (softmax − one-hot) / B, in doubles.
local function hand_ce(z, labels)
  local s, g = 0, {}
  for r, row in ipairs(z) do
    local mx = math.max(table.unpack(row))
    local sum = 0
    for _, v in ipairs(row) do sum = sum + math.exp(v - mx) end
    s = s + math.log(sum) + mx - row[labels[r] + 1]
    for j, v in ipairs(row) do
      g[#g + 1] = (math.exp(v - mx) / sum - (j == labels[r] + 1 and 1 or 0)) / #z
    end
  end
  return s / #z, g
end

local function identity_classifier(C, softmax)
  local m = ae.Sequential { softmax and ae.Softmax() or ae.Identity(); input = { C } }
  m:set_loss("cross_entropy")
  return m
end

TestCrossEntropy = {}

function TestCrossEntropy:setUp() H.seed() end

function TestCrossEntropy:testHandComputed()
  local m = identity_classifier(3)
  lu.assertEquals(m:classes(), 3)
  -- row 1: logits (0, 0, 0), label 2: log 3; row 2: (ln 1, ln 3, 0)→ p = (1/5, 3/5, 1/5), label 1: −ln 3/5
  local z = ae.tensor { { 0, 0, 0 }, { 0, math.log(3), 0 } }
  local y = ae.tensor { 2, 1 }
  local want = (math.log(3) - math.log(3 / 5)) / 2
  lu.assertAlmostEquals(m:loss(z, y), want, 1e-6)
  lu.assertAlmostEquals(ae.cross_entropy(z, y), want, 1e-6)
  local loss, dz = m:gradient(z, y, true)
  lu.assertAlmostEquals(loss, want, 1e-6)
  -- (softmax − one-hot) / 2 by hand
  local third, fifth = 1 / 3, 1 / 5
  local g = { third / 2, third / 2, (third - 1) / 2, fifth / 2, (3 * fifth - 1) / 2, fifth / 2 }
  for i, v in ipairs(flat(dz)) do lu.assertAlmostEquals(v, g[i], 1e-6) end
end

function TestCrossEntropy:testStableForHugeLogits()
  local m = identity_classifier(2)
  -- a naive softmax overflows exp(1000); the fused form gives 0 and 1000
  local z = ae.tensor { { 1000, 0 }, { 0, 1000 } }
  lu.assertAlmostEquals(m:loss(z, ae.tensor { 0, 0 }), 500, 1e-3)
  local _, dz = m:gradient(z, ae.tensor { 0, 1 }, true)
  for _, v in ipairs(flat(dz)) do lu.assertTrue(v == v and math.abs(v) < 1e-6) end
end

function TestCrossEntropy:testRandomAgainstLuaAndFused()
  local z = ae.randn(5, 4) * 3
  local y = ae.tensor { 0, 3, 1, 1, 2 }
  local want, g = hand_ce(z:totable(), flat(y))
  for _, softmax in ipairs { false, true } do
    -- a final Softmax is taken over: the loss gets its input, the logits
    local m = identity_classifier(4, softmax)
    local loss, dz = m:gradient(z, y, true)
    lu.assertTrue(math.abs(loss - want) <= LOSS_RTOL * want, string.format("CE %.9g, expected %.9g", loss, want))
    for i, v in ipairs(flat(dz)) do
      lu.assertTrue(math.abs(v - g[i]) <= GRAD_ATOL + 1e-5 * math.abs(g[i]),
        string.format("dz[%d] %.9g, expected %.9g (softmax %s)", i, v, g[i], tostring(softmax)))
    end
  end
end

function TestCrossEntropy:testFiniteDifferences()
  for _, B in ipairs { 1, 4 } do
    local m = identity_classifier(5)
    local z, labels = ae.randn(B, 5), {}
    for i = 1, B do labels[i] = (i * 3) % 5 end
    local y = ae.tensor(labels)
    local _, dz = m:gradient(z, y, true)
    local num = H.numeric_grad(function() return m:loss(z, y) end, z)
    local bad, at = H.worst(dz, num)
    lu.assertEquals(bad, 0, string.format("batch %d: dz differs at %s", B, tostring(at)))
  end
end

function TestCrossEntropy:testThroughDenseAllParameters()
  -- a classifier's every parameter against central differences of its loss
  local m = ae.Sequential { ae.Dense(6, 5), ae.Tanh(), ae.Dense(5, 3) }
  m:set_loss("cross_entropy")
  local x, y = ae.randn(7, 6), ae.tensor { 0, 1, 2, 2, 1, 0, 1 }
  local P, G = m:parameters()
  m:gradient(x, y)
  local g = G:clone()
  local num = H.numeric_grad(function() return m:loss(x, y) end, P)
  local bad, at = H.worst(g, num)
  lu.assertEquals(bad, 0, "parameter gradient differs at " .. tostring(at))
end

TestLabels = {}

function TestLabels:setUp() H.seed() end

local function small_classifier()
  local m = ae.Sequential { ae.Dense(4, 8), ae.ReLU(), ae.Dense(8, 3) }
  m:compile { loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 1e-2 } }
  return m
end

function TestLabels:testWrongLength()
  local m = small_classifier()
  H.error_containing(lu, "10 samples but 9 labels", m.fit, m, ae.randn(10, 4), { target = ae.zeros(9), epochs = 1,
    verbose = false })
end

function TestLabels:testOutOfRange()
  local m = small_classifier()
  -- fit's message is the model's (one check)
  local err = H.error_containing(lu, "fit: the labels: label 3 in row 3 is not a class 0..2", m.fit, m,
    ae.randn(4, 4), { target = ae.tensor { 1, 2, 3, 1 }, epochs = 1, verbose = false })
  lu.assertStrContains(err, "0-based")
  H.error_containing(lu, "label -1 in row 1 is not a class", m.fit, m, ae.randn(3, 4),
    { target = ae.tensor { -1, 0, 1 }, epochs = 1, verbose = false })
  H.error_containing(lu, "label 1.5 in row 2 is not a class", m.fit, m, ae.randn(2, 4),
    { target = ae.tensor { 0, 1.5 }, epochs = 1, verbose = false })
  -- the step itself checks too (a loop of one's own)
  H.error_containing(lu, "label 7 in row 2 is not a class 0..2", m.step, m, ae.randn(2, 4), ae.tensor { 0, 7 })
  H.error_containing(lu, "label 7 in row 2 is not a class 0..2", m.loss, m, ae.randn(2, 4), ae.tensor { 0, 7 })
end

function TestLabels:testCrossEntropyFunctionChecks()
  -- the label check of ae.cross_entropy formats its number (it once raised "invalid option '%g'")
  H.error_containing(lu, "cross_entropy: label 3 in row 2 is not a class 0..2", ae.cross_entropy, ae.randn(2, 3),
    ae.tensor { 0, 3 })
  H.error_containing(lu, "cross_entropy: label 0.5 in row 1", ae.cross_entropy, ae.randn(1, 3), ae.tensor { 0.5 })
  -- no rows is an error, not NaN
  H.error_containing(lu, "no labels (0 rows)", ae.cross_entropy, ae.zeros(0, 3), ae.zeros(0))
  H.error_containing(lu, "2 or more classes", ae.cross_entropy, ae.randn(2, 1), ae.tensor { 0, 0 })
end

function TestLabels:testPredictNeedsAClassifier()
  local m = ae.Sequential { ae.Dense(4, 3) }
  local err = H.error_containing(lu, "predict: the model's loss is 'mse'", m.predict, m, ae.randn(2, 4))
  lu.assertStrContains(err, "set_loss('cross_entropy')")
  m:set_loss("cross_entropy")
  lu.assertEquals(m:predict(ae.randn(2, 4)):size(), { 2 })
end

function TestLabels:testFailedFitLeavesModelAsItWas()
  -- fit sets the loss and optimizer it is given only once its checks pass
  local m = ae.Sequential { ae.Dense(4, 3) }
  H.error_containing(lu, "label 5 in row 2", m.fit, m, ae.randn(2, 4),
    { target = ae.tensor { 0, 5 }, loss = "cross_entropy", optimizer = ae.optim.Adam {}, verbose = false })
  lu.assertEquals(m:loss_name(), "mse")
  lu.assertNil(m:optimizer())
  H.error_containing(lu, "3 samples but 2 labels", m.fit, m, ae.randn(3, 4),
    { target = ae.tensor { 0, 1 }, loss = "cross_entropy", optimizer = ae.optim.Adam {}, verbose = false })
  lu.assertEquals(m:loss_name(), "mse")
end

function TestLabels:testLossNeedsClassScores()
  -- one output is no classifier; a Sigmoid's probabilities are no logits
  local one = ae.Sequential { ae.Dense(4, 1) }
  H.error_containing(lu, "2 or more classes", one.set_loss, one, "cross_entropy")
  local sig = ae.Sequential { ae.Dense(4, 3), ae.Sigmoid() }
  local err = H.error_containing(lu, "ends in Sigmoid", sig.compile, sig, { loss = "cross_entropy" })
  lu.assertStrContains(err, "end with Dense(..., 3) or Softmax")
  lu.assertEquals(sig:loss_name() ~= "cross_entropy", true)
  -- Softmax at the end is fine
  local sm = ae.Sequential { ae.Dense(4, 3), ae.Softmax() }
  sm:set_loss("cross_entropy")
  lu.assertEquals(sm:classes(), 3)
end

function TestLabels:testOneHotAndMissingTargetRefused()
  local m = small_classifier()
  H.error_containing(lu, "one class label per sample", m.fit, m, ae.randn(4, 4),
    { target = ae.zeros(4, 3), epochs = 1, verbose = false })
  H.error_containing(lu, "pass the labels as target = y", m.fit, m, ae.randn(4, 4), { epochs = 1, verbose = false })
  H.error_containing(lu, "validation is {x = tensor, target = labels}", m.fit, m, ae.randn(4, 4),
    { target = ae.zeros(4), validation = ae.randn(2, 4), epochs = 1, verbose = false })
end

function TestLabels:testFitLearnsAndReportsAccuracy()
  -- three well separated clusters: accuracy climbs to 1
  local N = 96
  local x, labels = ae.randn(N, 4) * 0.3, {}
  for i = 1, N do
    local c = i % 3
    labels[i] = c
    x:set(i, c + 1, x:get(i, c + 1) + 3)
  end
  local y = ae.tensor(labels)
  local m = small_classifier()
  local h = m:fit(x, { target = y, epochs = 15, batch = 16, verbose = false, validation = { x = x, target = y } })
  lu.assertEquals(#h.accuracy, 15)
  lu.assertEquals(#h.val_accuracy, 15)
  lu.assertTrue(h.accuracy[15] > h.accuracy[1] or h.accuracy[1] == 1)
  lu.assertEquals(h.val_accuracy[15], 1)
  lu.assertEquals(ae.metrics.accuracy(m:predict(x), y), 1)
  local p = m:predict(x)
  lu.assertEquals(p:size(), { N })
  lu.assertEquals(p:min(), 0)
  lu.assertEquals(p:max(), 2)
end

function TestLabels:testProgressLineShowsAccuracy()
  local Progress = require "aelab.progress"
  local buf = {}
  local out = { write = function(_, ...) for _, s in ipairs { ... } do buf[#buf + 1] = s end end, flush = function() end }
  local p = Progress.new { epochs = 2, samples = 10, out = out, tty = false }
  p:epoch_start(1)
  p:epoch_end(0.5, 0.6, 1.0, 0.875, 0.8)
  local line = table.concat(buf)
  lu.assertStrContains(line, "acc 87.5%")
  lu.assertStrContains(line, "val_acc 80.0%")
end

TestMetrics = {}

function TestMetrics:testAccuracyByHand()
  lu.assertEquals(ae.metrics.accuracy(ae.tensor { 0, 1, 2, 2 }, ae.tensor { 0, 1, 1, 2 }), 0.75)
  lu.assertEquals(ae.metrics.accuracy({ 3, 3 }, { 1, 2 }), 0)
  lu.assertEquals(ae.metrics.accuracy(ae.tensor { { 1 }, { 0 } }, { 1, 0 }), 1)
  H.error_containing(lu, "3 predictions but 2 labels", ae.metrics.accuracy, { 1, 2, 3 }, { 1, 2 })
end

function TestMetrics:testConfusionByHand()
  -- true 0 0 1 1 2, predicted 0 1 1 1 0
  local cm = ae.metrics.confusion(ae.tensor { 0, 1, 1, 1, 0 }, ae.tensor { 0, 0, 1, 1, 2 })
  lu.assertEquals(cm:totable(), { { 1, 1, 0 }, { 0, 2, 0 }, { 1, 0, 0 } })
  lu.assertEquals(ae.metrics.confusion({ 0 }, { 0 }, 3):size(), { 3, 3 })
  local recall = ae.metrics.per_class(cm)
  lu.assertEquals(recall[1], 0.5)
  lu.assertEquals(recall[2], 1)
  lu.assertEquals(recall[3], 0)
  H.error_containing(lu, "class 2 seen but classes = 2", ae.metrics.confusion, { 2 }, { 0 }, 2)
end

function TestMetrics:testErrorsPointAtTheCaller()
  -- a bad argument is the caller's line, not one in metrics.lua
  local err = H.error_containing(lu, "predictions must hold one class per sample",
    function() local a = ae.metrics.accuracy(ae.zeros(2, 3), { 0, 1 }) return a end) -- not a tail call
  lu.assertStrContains(err, "test_classify.lua:")
  err = H.error_containing(lu, "labels must be a tensor or a list",
    function() local c = ae.metrics.confusion({ 0 }, "0") return c end)
  lu.assertStrContains(err, "test_classify.lua:")
end

function TestMetrics:testConfusionChecksValuesBeforeSizing()
  -- a bad value is named, not a C×C table built from it first
  H.error_containing(lu, "sample 2 has label 1 and prediction -3", ae.metrics.confusion, { 0, -3 }, { 0, 1 })
  H.error_containing(lu, "sample 1 has label 0.5", ae.metrics.confusion, { 0 }, { 0.5 })
  -- scores or pixel values passed as classes: refused, not a 1e6×1e6 matrix
  H.error_containing(lu, "class 999999 seen", ae.metrics.confusion, { 999999 }, { 0 })
  H.error_containing(lu, "classes must be an integer in 1..4096", ae.metrics.confusion, { 0 }, { 0 }, 100000)
  lu.assertEquals(ae.metrics.confusion({ 1500 }, { 0 }, 1501):size(), { 1501, 1501 })
end

TestFreeze = {}

function TestFreeze:setUp() H.seed() end

local function bytes(t) return t:clone():tobytes() end

function TestFreeze:testFrozenLayerBitIdenticalAfterFit()
  for _, frozen in ipairs { 1, 3 } do -- the bottom layer (backward stops above it), then a middle one
    local m = ae.Sequential { ae.Dense(6, 8), ae.ReLU(), ae.Dense(8, 8), ae.ReLU(), ae.Dense(8, 3) }
    local layers = m:layers()
    m:freeze(frozen)
    lu.assertTrue(layers[frozen]:is_frozen())
    local before = {}
    for i, l in ipairs(layers) do
      local p = l:parameters()
      before[i] = p[1] and bytes(p[1]) .. bytes(p[2]) or ""
    end
    local x, y = ae.randn(64, 6), ae.tensor((function() local t = {} for i = 1, 64 do t[i] = i % 3 end return t end)())
    m:fit(x, { target = y, loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 1e-2, weight_decay = 1e-3 },
      epochs = 3, batch = 32, verbose = false })
    for i, l in ipairs(layers) do
      local p = l:parameters()
      if p[1] then
        local now = bytes(p[1]) .. bytes(p[2])
        if i == frozen then
          lu.assertEquals(now == before[i], true, "frozen layer " .. i .. " changed")
        else
          lu.assertEquals(now == before[i], false, "layer " .. i .. " did not train")
        end
      end
    end
    -- no gradient either
    m:gradient(x, ae.tensor((function() local t = {} for i = 1, 64 do t[i] = 0 end return t end)()):reshape(64, 1))
    local _, grads = layers[frozen]:parameters()
    lu.assertEquals(grads[1]:abs():max(), 0)
    lu.assertEquals(grads[2]:abs():max(), 0)
    -- unfrozen, it trains again
    m:unfreeze()
    lu.assertFalse(layers[frozen]:is_frozen())
    m:fit(x, { target = y, epochs = 1, batch = 16, verbose = false })
    local p = layers[frozen]:parameters()
    lu.assertFalse(bytes(p[1]) .. bytes(p[2]) == before[frozen])
  end
end

function TestFreeze:testAllFrozenWarns()
  local m = ae.Sequential { ae.Dense(4, 3), ae.ReLU(), ae.Dense(3, 2) }
  m:freeze()
  local h = m:fit(ae.randn(8, 4), { target = ae.zeros(8), loss = "cross_entropy", optimizer = ae.optim.Adam {},
    epochs = 1, verbose = false })
  lu.assertStrContains(h.warning, "every layer with weights is frozen")
  m:unfreeze(3)
  h = m:fit(ae.randn(8, 4), { target = ae.zeros(8), epochs = 1, verbose = false })
  lu.assertNil(h.warning)
end

function TestFreeze:testUpdateCountsSavedWithTheState()
  -- a checkpoint's optimizer state keeps each segment's own count: put back
  -- into a copy, its next steps are the original's, bit for bit
  local m = ae.Sequential { ae.Dense(6, 8), ae.Tanh(), ae.Dense(8, 3) }
  m:compile { loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 1e-2 } }
  local x, y = ae.randn(24, 6), ae.tensor((function() local t = {} for i = 1, 24 do t[i] = i % 3 end return t end)())
  m:freeze(1)
  for _ = 1, 20 do m:step(x, y) end
  m:unfreeze(1)
  local st = m:optimizer_state()
  lu.assertEquals(st.t, 20)
  lu.assertEquals(st.counts, { { 0, 0 }, { 6 * 8 + 8, 20 } }) -- layer 1's 56 values never updated
  local function continued(state)
    local c = m:copy()
    c:compile { loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 1e-2 } }
    c:set_optimizer_state(state)
    for _ = 1, 3 do c:step(x, y) end
    return bytes((c:parameters()))
  end
  local with = continued(st)
  local without = continued { t = st.t, m = st.m, v = st.v }
  for _ = 1, 3 do m:step(x, y) end
  local want = bytes((m:parameters()))
  lu.assertEquals(with == want, true, "the counts did not come back")
  lu.assertEquals(without == want, false, "the counts made no difference")
  -- a malformed list is refused before anything changes
  local c = m:copy()
  c:compile { loss = "cross_entropy", optimizer = ae.optim.Adam {} }
  H.error_containing(lu, "counts[2] must be {from, updates}", c.set_optimizer_state, c,
    { t = 5, m = st.m, v = st.v, counts = { { 0, 1 }, { 9999, 2 } } })
  lu.assertEquals(c:optimizer_state().t, 0)
end

function TestFreeze:testFrozenFlagsSurviveSaveAndLoad()
  local m = ae.Sequential { ae.Dense(4, 3), ae.ReLU(), ae.Dense(3, 2) }
  m:freeze(1)
  local dir = H.tmpdir()
  local path = dir .. "/frozen.safetensors"
  lu.assertEquals(m:save(path), path)
  local back = ae.load(path)
  H.rmdir(dir)
  lu.assertTrue(back:layers()[1]:is_frozen())
  lu.assertFalse(back:layers()[3]:is_frozen())
  local copy = m:copy()
  lu.assertTrue(copy:layers()[1]:is_frozen())
  lu.assertFalse(copy:layers()[3]:is_frozen())
end

function TestFreeze:testSummaryAndRanges()
  local m = ae.Sequential { ae.Dense(4, 3), ae.ReLU(), ae.Dense(3, 2) }
  m:freeze(1, 2)
  local s = m:summary()
  lu.assertStrContains(s, "frozen")
  lu.assertStrContains(s, "(15 frozen, 8 trainable)")
  H.error_containing(lu, "layer 4 is not one of 1..3", m.freeze, m, 4)
  H.error_containing(lu, "from is after to", m.unfreeze, m, 3, 1)
  m:unfreeze()
  lu.assertFalse(m:summary():find("frozen", 1, true) ~= nil)
end

function TestFreeze:testNothingFrozenUnchangedSteps()
  -- with nothing frozen, fit's steps are the plain loop's: gradient, then the
  -- optimizer over the whole arena, batch by batch, bit for bit
  local function model()
    ae.seed(5)
    return ae.Sequential { ae.Dense(5, 4), ae.Tanh(), ae.Dense(4, 5) }, ae.randn(32, 5)
  end
  local m, x = model()
  m:fit(x, { epochs = 2, batch = 8, shuffle = false, optimizer = ae.optim.Adam { lr = 1e-2 }, verbose = false })
  local by_fit = bytes((m:parameters()))
  local h, hx = model()
  h:set_loss("mse")
  local opt = ae.optim.Adam { lr = 1e-2 }
  local P, G = h:parameters()
  for _ = 1, 2 do
    for b = 0, 3 do
      local xb = hx:narrow(1, b * 8 + 1, 8)
      h:gradient(xb, xb)
      opt:update(P, G)
    end
  end
  lu.assertEquals(bytes(P) == by_fit, true, "fit's steps differ from gradient + update")
  lu.assertEquals(opt:steps(), 8)
end

function TestFreeze:testFrozenAfterTrainingStaysPut()
  -- moments are non-zero once the layer has trained; frozen then, with no
  -- weight decay, Adam's momentum must not carry it on
  local m = ae.Sequential { ae.Dense(6, 5), ae.ReLU(), ae.Dense(5, 3) }
  local x, y = ae.randn(32, 6), ae.tensor((function() local t = {} for i = 1, 32 do t[i] = i % 3 end return t end)())
  local o = { target = y, loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 1e-2, weight_decay = 0 },
    epochs = 2, batch = 8, verbose = false }
  m:fit(x, o)
  local first = m:layers()[1]
  local w = first:parameters()
  local before = bytes(w[1]) .. bytes(w[2])
  m:freeze(1)
  o.optimizer = nil -- the same optimizer, its moments kept
  m:fit(x, o)
  w = first:parameters()
  lu.assertEquals(bytes(w[1]) .. bytes(w[2]) == before, true, "a frozen layer moved on its old momentum")
end

function TestFreeze:testTiedDecoderOfFrozenEncoder()
  -- DenseTied's weight is its Dense's: frozen there, the decoder keeps it
  -- too (its own bias trains)
  local enc = ae.Dense(6, 3)
  local dec = ae.DenseTied(enc)
  local m = ae.Sequential { enc, ae.Sigmoid(), dec, ae.Sigmoid() }
  enc:freeze()
  local W = bytes(enc:parameters()[1])
  local db = bytes(dec:parameters()[2])
  m:fit(ae.rand(32, 6), { loss = "bce", optimizer = ae.optim.Adam { lr = 1e-2 }, epochs = 2, batch = 8,
    verbose = false })
  lu.assertEquals(bytes(enc:parameters()[1]) == W, true, "the tied weight moved")
  lu.assertEquals(bytes(dec:parameters()[2]) == db, false, "the decoder's own bias did not train")
end

function TestFreeze:testUnfrozenLayerStartsAtLearningRate()
  -- Adam's bias correction counts a layer's own updates (as PyTorch's
  -- per-parameter step): frozen for 200 steps, then unfrozen, its first
  -- updates are about lr, not 1.5-3 lr from the global step count
  local lr = 1e-3
  local m = ae.Sequential { ae.Dense(6, 8), ae.Tanh(), ae.Dense(8, 3) }
  m:compile { loss = "cross_entropy", optimizer = ae.optim.Adam { lr = lr } }
  local x, y = ae.randn(24, 6), ae.tensor((function() local t = {} for i = 1, 24 do t[i] = i % 3 end return t end)())
  m:freeze(1)
  for _ = 1, 200 do m:step(x, y) end
  m:unfreeze(1)
  local W = m:layers()[1]:parameters()[1]
  local worst = 0
  for _ = 1, 12 do
    local before = W:clone()
    m:step(x, y)
    worst = math.max(worst, (W - before):abs():max() / lr)
  end
  lu.assertTrue(worst <= 1.05, string.format("an unfrozen layer's update reached %.2f lr", worst))
  lu.assertTrue(worst > 0.5, string.format("an unfrozen layer's update was only %.2f lr", worst))
end

TestEncoderReuse = {}

function TestEncoderReuse:setUp() H.seed() end

local function tiny_autoencoder()
  return ae.Autoencoder { encoder = { ae.Dense(6, 3), ae.Sigmoid() }, decoder = { ae.Dense(3, 6), ae.Sigmoid() } }
end

function TestEncoderReuse:testSharedEncoder()
  local net = tiny_autoencoder()
  local enc = net:encoder()
  lu.assertEquals(#enc:layers(), 2)
  lu.assertTrue(rawequal(enc:layers()[1], net:layers()[1]))
  local clf = ae.Sequential { enc, ae.Dense(3, 2) }
  lu.assertEquals(#clf:layers(), 3)
  local x = ae.rand(16, 6)
  local before = net:encode(x)
  clf:fit(x, { target = ae.zeros(16), loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 0.05 },
    epochs = 2, batch = 8, verbose = false })
  -- shared: the autoencoder's code moved with the classifier's training
  lu.assertTrue((net:encode(x) - before):abs():max() > 0)
end

function TestEncoderReuse:testCopiedEncoderStaysApart()
  local net = tiny_autoencoder()
  local enc = net:encoder { copy = true }
  lu.assertFalse(rawequal(enc:layers()[1], net:layers()[1]))
  local x = ae.rand(16, 6)
  local before = net:encode(x)
  lu.assertEquals((enc:forward(x) - before):abs():max(), 0) -- the same weights
  local clf = ae.Sequential { enc, ae.Dense(3, 2) }
  clf:fit(x, { target = ae.zeros(16), loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 0.05 },
    epochs = 2, batch = 8, verbose = false })
  lu.assertEquals((net:encode(x) - before):abs():max(), 0) -- untouched
  lu.assertTrue((enc:forward(x) - before):abs():max() > 0)
  H.error_containing(lu, "has no decoder", enc.encoder, enc)
  H.error_containing(lu, "copy", net.encoder, net, { cpy = true })
end

TestPretrain = {}

function TestPretrain:setUp() H.seed() end

function TestPretrain:testEachLevelLossFalls()
  -- data on a low-dimensional structure, in [0, 1]
  local z = ae.rand(256, 3)
  local x = ((z - 0.5):matmul(ae.randn(3, 12)) * 4):sigmoid()
  local encoders, info = ae.pretrain.stack(x, { sizes = { 12, 8, 4 }, epochs = 15, batch = 32, lr = 1e-2,
    noise = { ae.noise.masking { p = 0.2 }, false }, penalty = { false, ae.penalty.l1 { lambda = 1e-4 } },
    verbose = false })
  lu.assertEquals(#encoders, 2)
  lu.assertEquals(encoders[1]:shapes()[3], { 8 })
  lu.assertEquals(encoders[2]:shapes()[3], { 4 })
  for k, h in ipairs(info.histories) do
    lu.assertTrue(h.loss[#h.loss] < 0.9 * h.loss[1],
      string.format("level %d: loss %.4f → %.4f did not fall", k, h.loss[1], h.loss[#h.loss]))
  end
  lu.assertEquals(info.codes:size(), { 256, 4 })
  -- the encoders chain into a classifier
  local clf = ae.Sequential { encoders[1], encoders[2], ae.Dense(4, 2) }
  lu.assertEquals(#clf:layers(), 5)
  lu.assertEquals(clf:forward(x):size(), { 256, 2 })
end

function TestPretrain:testBadOptions()
  local x = ae.rand(8, 5)
  H.error_containing(lu, "sizes[1] = 4 but x has 5 columns", ae.pretrain.stack, x, { sizes = { 4, 2 } })
  H.error_containing(lu, "epochs lists 1 values, one per level is 2", ae.pretrain.stack, x,
    { sizes = { 5, 3, 2 }, epochs = { 1 }, verbose = false })
  H.error_containing(lu, "sizes", ae.pretrain.stack, x, { size = { 5, 2 } })
end

function TestPretrain:testEveryLevelCheckedBeforeTraining()
  local x = ae.rand(8, 5)
  local function refused(plain, o)
    o.sizes, o.verbose = o.sizes or { 5, 3, 2 }, false
    local trained = false
    o.epochs = o.epochs or 1
    -- the caller's line, not pretrain.lua's (a non-tail call)
    local err = H.error_containing(lu, plain, function()
      local e = ae.pretrain.stack(x, o)
      trained = e ~= nil
      return e
    end)
    lu.assertStrContains(err, "test_classify.lua:")
    lu.assertStrContains(err, "ae.pretrain.stack: ")
    lu.assertFalse(trained)
    return err
  end
  refused("level 2's epochs is 0", { epochs = { 1, 0 } })
  refused("level 1's batch is 2.5", { batch = 2.5 })
  refused("level 2's lr is -1", { lr = { 1e-3, -1 } })
  local err = refused("level 2's loss is 'cross_entropy'", { loss = { "bce", "cross_entropy" } })
  lu.assertStrContains(err, "'bce', 'mse'")
  refused("level 1's loss is 'msq'", { loss = "msq" })
  refused("level 2's loss is 'bce'", { loss = "bce", activation = "relu" })
  x = x * 3
  refused("level 1's loss is 'bce'", { loss = "bce" })
  refused("level 2's noise is", { noise = { false, 0.3 } })
  refused("level 1's penalty is", { penalty = "l1" })
end

TestClassifierRace = {}

function TestClassifierRace:testAccuracyUnderItsOwnName()
  -- the classifier race reads test_accuracy (it once stored accuracy as test_bce)
  local race = require "scripts.race"
  local line = '{"epochs":2,"test_accuracy":[81.5,90.25],"samples_per_s":[100,300],"median_samples_per_s":200}'
  local c = { { name = "fake", argv = { "printf", "%s\\n", line } } }
  local ok, err = pcall(race, c, 1, 10, "test accuracy (%)", "test_accuracy") -- prints its round and table
  lu.assertTrue(ok, tostring(err))
  lu.assertEquals(c[1].metric, { 81.5, 90.25 })
  -- a line without the field is an error naming it, not an empty figure
  c = { { name = "old", argv = { "printf", "%s\\n", (line:gsub("test_accuracy", "test_bce")) } } }
  ok, err = pcall(race, c, 1, 10, "test accuracy (%)", "test_accuracy")
  lu.assertFalse(ok)
  lu.assertStrContains(tostring(err), "old printed no test_accuracy")
  -- both scripts of the race print that field
  for _, f in ipairs { "scripts/aelab_classifier.lua", "scripts/torch_classifier.py" } do
    local src = H.read(ae.options.home .. "/" .. f)
    lu.assertStrContains(src, "test_accuracy")
    lu.assertFalse(src:find("test_bce", 1, true) ~= nil, f .. " still writes test_bce")
  end
end
