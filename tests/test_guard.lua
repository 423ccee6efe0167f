-- fit when training goes wrong: data with NaN or Inf, a diverging loss
-- (finite or NaN), validation data with NaN; t:finite() underneath.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"
local guard = require "aelab.guard"

H.announce_seed("test_guard")

-- 20-8-20, sigmoid output: BCE on rand data, a few thousand parameters at most.
local function small_net()
  return ae.Autoencoder {
    encoder = { ae.Dense(20, 8), ae.ReLU() },
    decoder = { ae.Dense(8, 20), ae.Sigmoid() },
  }
end

-- Collects what fit writes (progress lines and fit's own messages).
local function sink()
  local s = { text = {} }
  function s:write(...) for _, v in ipairs { ... } do self.text[#self.text + 1] = tostring(v) end return self end
  function s:flush() return self end
  function s:all() return table.concat(self.text) end
  return s
end

local function count(text, plain)
  local n, at = 0, 1
  while true do
    local i = text:find(plain, at, true)
    if not i then return n end
    n, at = n + 1, i + 1
  end
end

local function same(a, b) return H.worst(a, b, 0, 0) == 0 end

TestFinite = {}

function TestFinite:test_all_finite()
  H.seed()
  lu.assertEquals(ae.rand(3, 5000):finite(), true)
  lu.assertEquals(ae.zeros(0):finite(), true)
end

function TestFinite:test_first_bad_value()
  local t = ae.rand(3, 5000) -- spans several 4096-value blocks
  t:set(3, 4999, 0 / 0)
  local ok, i, v = t:finite()
  lu.assertFalse(ok)
  lu.assertEquals(i, 2 * 5000 + 4999)
  lu.assertTrue(v ~= v)
  t:set(2, 1, -math.huge)
  ok, i, v = t:finite()
  lu.assertEquals({ ok, i, v }, { false, 5001, -math.huge })
  local img = ae.zeros(2, 1, 3, 3)
  img:set(2, 1, 2, 2, math.huge)
  ok, i = img:finite()
  lu.assertEquals({ ok, i }, { false, 14 })
  lu.assertEquals(guard.bad_values(img), "has +Inf at sample 2 (value 5 of 9)")
end

-- A NaN reaching the vectorized exp (a diverged model's pre-activations in
-- Sigmoid, Tanh or BCE) is NaN out, with no undefined behaviour on the way
-- (UBSan in make test-asan stopped at vmath.c's shift before).
function TestFinite:test_nan_through_vexp()
  local row = { 0 / 0, -(0 / 0), math.huge, -math.huge, 1e30, 0 }
  local s = ae.Sigmoid():forward(ae.tensor { row })
  lu.assertTrue(s:get(1, 1) ~= s:get(1, 1))
  lu.assertTrue(s:get(1, 2) ~= s:get(1, 2))
  lu.assertEquals({ s:get(1, 3), s:get(1, 6) }, { 1, 0.5 })
  lu.assertTrue(s:get(1, 4) < 1e-30) -- exp's input is clamped at 88
  local t = ae.Tanh():forward(ae.tensor { row })
  lu.assertTrue(t:get(1, 1) ~= t:get(1, 1))
  lu.assertEquals({ t:get(1, 3), t:get(1, 4) }, { 1, -1 })
end

TestDivergence = {}

-- Adam with lr = 1e6: the loss jumps to ~1e12 in the second batch and stays
-- finite; before, fit went on silently. Now it stops, says why, and puts the
-- untrained weights back.
function TestDivergence:test_finite_blow_up_stops_and_restores()
  H.seed()
  local x = ae.rand(256, 20)
  local net = small_net()
  local before = net:parameters():clone()
  local opt = ae.optim.Adam { lr = 1e6 }
  local out = sink()
  local h = net:fit(x, { epochs = 3, batch = 32, loss = "bce", optimizer = opt, out = out })
  lu.assertStrContains(h.stopped, "diverged: in epoch 1, batch 2 the loss jumped to")
  lu.assertStrContains(h.stopped, "the learning rate (1e+06) is likely too large")
  lu.assertStrContains(h.stopped, "the weights are back to those before training")
  lu.assertEquals(h.epochs, 0)
  lu.assertEquals(#h.loss, 0)
  lu.assertTrue(same(net:parameters(), before), "the weights before training are back")
  lu.assertEquals(opt:steps(), 0, "the optimizer is reset")
  lu.assertEquals(count(out:all(), "fit: training stopped. diverged"), 1, "said once")
end

-- Two good epochs, then lr = 1e6: the history keeps both, the weights are
-- those after epoch 2.
function TestDivergence:test_keeps_good_epochs()
  H.seed()
  local x = ae.rand(256, 20)
  local net = small_net()
  local opt = ae.optim.Adam { lr = 1e-2 }
  local after2
  local h = net:fit(x, { epochs = 6, batch = 32, loss = "bce", optimizer = opt, verbose = false,
    on_epoch = function(e)
      if e == 2 then
        after2 = net:parameters():clone()
        opt:set_lr(1e6)
      end
    end })
  lu.assertStrContains(h.stopped, "diverged: in epoch 3,")
  lu.assertStrContains(h.stopped, "the weights are back to those after epoch 2")
  lu.assertEquals(h.epochs, 2)
  lu.assertEquals(#h.loss, 2)
  lu.assertTrue(h.loss[2] < 1)
  lu.assertTrue(same(net:parameters(), after2))
  lu.assertTrue(h.total_seconds ~= nil)
end

-- A NaN loss used to raise, losing the history and leaving NaN weights.
function TestDivergence:test_nan_loss_returns_history()
  H.seed()
  local x = ae.rand(128, 20)
  local net = small_net()
  local good
  local ok, h = pcall(net.fit, net, x, { epochs = 5, batch = 32, loss = "mse", optimizer = ae.optim.Adam {},
    verbose = false,
    on_epoch = function(e)
      if e == 2 then
        good = net:parameters():clone()
        net:parameters():set(1, 0 / 0) -- as a blown-up step would leave it
      end
    end })
  lu.assertTrue(ok, "fit returns: " .. tostring(h))
  lu.assertStrContains(h.stopped, "diverged: in epoch 3, batch 1 the loss became NaN")
  lu.assertEquals(h.epochs, 2)
  lu.assertEquals(net:parameters():finite(), true)
  lu.assertTrue(same(net:parameters(), good))
end

-- The rule itself: a noisy batch near a tiny best is not divergence; a loss
-- back above the start and 1000× the best is; a best of 0 has no ratio.
function TestDivergence:test_rule()
  local w = guard.watch(small_net())
  lu.assertNil(w:batch(1.0, 1, 1))
  lu.assertNil(w:batch(1e-6, 1, 2))
  lu.assertNil(w:batch(1e-2, 1, 3), "10000× the best but below the start")
  lu.assertStrContains(w:batch(2.0, 1, 4), "in epoch 1, batch 4 the loss jumped to 2")
  lu.assertStrContains(w:batch(math.huge, 1, 5), "the loss became +Inf")
  local z = guard.watch(small_net())
  lu.assertNil(z:batch(0, 1, 1))
  lu.assertNil(z:batch(1e-3, 1, 2))
  lu.assertStrContains(z:batch(0 / 0, 1, 3), "NaN")
end

TestBadData = {}

-- NaN in the data: named as such before any step, not blamed on the
-- learning rate; nothing trained.
function TestBadData:test_training_data_nan()
  H.seed()
  local x = ae.rand(64, 20)
  x:set(3, 2, 0 / 0)
  local net = small_net()
  local before = net:parameters():clone()
  local opt = ae.optim.Adam {}
  local err = H.error_containing(lu, "fit: the training data has NaN at sample 3 (value 2 of 20)", net.fit, net, x,
    { epochs = 2, loss = "bce", optimizer = opt, verbose = false })
  lu.assertNil(err:find("learning rate", 1, true))
  lu.assertEquals(opt:steps(), 0)
  lu.assertTrue(same(net:parameters(), before))
end

function TestBadData:test_target_inf()
  H.seed()
  local x, t = ae.rand(64, 20), ae.rand(64, 20)
  t:set(64, 20, math.huge)
  local net = small_net()
  H.error_containing(lu, "fit: the target data has +Inf at sample 64 (value 20 of 20)", net.fit, net, x,
    { target = t, epochs = 1, loss = "mse", optimizer = ae.optim.Adam {}, verbose = false })
end

-- NaN in the validation data: said once, training goes on without it
-- (before: `val_loss nan` on every epoch's line).
function TestBadData:test_validation_nan_said_once()
  H.seed()
  local x, v = ae.rand(64, 20), ae.rand(16, 20)
  v:set(5, 1, 0 / 0)
  local net = small_net()
  local out = sink()
  local h = net:fit(x, { epochs = 3, batch = 16, loss = "bce", optimizer = ae.optim.Adam {}, validation = v,
    out = out })
  local text = out:all()
  lu.assertEquals(count(text, "the validation data has NaN at sample 5 (value 1 of 20)"), 1, text)
  lu.assertEquals(count(text, "nan"), 0, text)
  lu.assertEquals(h.epochs, 3)
  lu.assertNil(h.stopped)
  lu.assertEquals(#h.val_loss, 0)
  lu.assertStrContains(h.warning, "validation is skipped")
  -- the validation target is checked too
  local vt = ae.rand(16, 20)
  vt:set(1, 1, math.huge)
  h = net:fit(x, { epochs = 1, batch = 16, validation = { x = ae.rand(16, 20), target = vt }, verbose = false })
  lu.assertStrContains(h.warning, "the validation target has +Inf at sample 1")
end
