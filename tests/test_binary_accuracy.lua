-- ae.metrics.binary_accuracy: Keras' `accuracy` of an autoencoder (values
-- rounded at 0.5 compared with the target), both with the target rounded
-- and as Keras compares it (the target as it is).
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

TestBinaryAccuracy = {}

function TestBinaryAccuracy:testCounts()
  local o = ae.tensor { { 0.2, 0.7, 0.5, 0.9 }, { 0.6, 0.1, 0.4, 0.51 } }
  local t = ae.tensor { { 0, 1, 1, 0.6 }, { 0.3, 0, 0.5, 1 } }
  -- 0.5 is not above the threshold: it rounds to 0, as Keras' y_pred > 0.5
  lu.assertEquals(ae.metrics.binary_accuracy(o, t), 6 / 8)
  -- a grey target (0.6, 0.3, 0.5) is never equal to a rounded output
  lu.assertEquals(ae.metrics.binary_accuracy(o, t, { round_target = false }), 4 / 8)
  lu.assertEquals(ae.metrics.binary_accuracy(o, t, { threshold = 0.55 }), 5 / 8)
  lu.assertEquals(ae.metrics.binary_accuracy(t, t), 1)
end

function TestBinaryAccuracy:testManyRows()
  -- more rows than one chunk, and images as N×1×H×W
  H.seed()
  local x = ae.rand(1300, 1, 4, 5)
  local y = x:clone()
  lu.assertEquals(ae.metrics.binary_accuracy(x, y), 1)
  lu.assertEquals(ae.metrics.binary_accuracy(x, y * -1 + 1), 0)
  local want, n = 0, 0
  local z = ae.rand(1300, 1, 4, 5)
  local zt, xt = z:reshape(1300 * 20):totable(), x:reshape(1300 * 20):totable()
  for i = 1, #zt do n = n + 1; if (zt[i] > 0.5) == (xt[i] > 0.5) then want = want + 1 end end
  lu.assertAlmostEquals(ae.metrics.binary_accuracy(z, x), want / n, 1e-12)
end

function TestBinaryAccuracy:testErrors()
  H.error_containing(lu, "give them the same shape", ae.metrics.binary_accuracy, ae.rand(2, 3), ae.rand(2, 4))
  H.error_containing(lu, "unknown option 'round'", ae.metrics.binary_accuracy, ae.rand(2, 3), ae.rand(2, 3), { round = 1 })
  H.error_containing(lu, "expected two tensors", ae.metrics.binary_accuracy, {}, ae.rand(2, 3))
end
