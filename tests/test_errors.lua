-- The error messages users see: what went wrong, with the values involved.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

local err_has = H.error_containing

TestErrorsModel = {}

function TestErrorsModel:setUp()
  H.seed()
  self.m = ae.Sequential { ae.Dense(784, 32), ae.ReLU() }
  self.m:compile { loss = "mse", optimizer = ae.optim.Adam {} }
end

function TestErrorsModel:testWrongInputColumns()
  local m = self.m
  local err = err_has(lu, "Dense(784→32): input has 700 columns, expected 784", m.step, m, ae.zeros(4, 700),
    ae.zeros(4, 32))
  lu.assertNotStrContains(err, "  ") -- no doubled spaces
  err_has(lu, "Dense(784→32): input has 700 columns, expected 784", m.loss, m, ae.zeros(4, 700), ae.zeros(4, 32))
  err_has(lu, "Dense(784→32): input has 700 columns, expected 784", m.forward, m, ae.zeros(4, 700))
  err_has(lu, "Dense(784→32): input has 700 columns, expected 784", m.gradient, m, ae.zeros(4, 700), ae.zeros(4, 32))
end

function TestErrorsModel:testWrongInputShape3D()
  -- 3-D samples whose size is not the layer's input name both
  local m = self.m
  local err = err_has(lu, "Dense(784→32): input has (20×20) 400 values per sample", m.step, m, ae.zeros(2, 20, 20),
    ae.zeros(2, 32))
  lu.assertStrContains(err, "expected 784")
end

function TestErrorsModel:testWrongTarget()
  local m = self.m
  local err = err_has(lu, "target is [4×31]", m.step, m, ae.zeros(4, 784), ae.zeros(4, 31))
  lu.assertStrContains(err, "4 rows of 32 values")
  err_has(lu, "target is [3×32]", m.step, m, ae.zeros(4, 784), ae.zeros(3, 32))
  err_has(lu, "target is [3×32]", m.loss, m, ae.zeros(4, 784), ae.zeros(3, 32))
end

function TestErrorsModel:testNoOptimizer()
  local m = ae.Sequential { ae.Dense(3, 2) }
  err_has(lu, "no optimizer", m.step, m, ae.zeros(1, 3), ae.zeros(1, 2))
end

function TestErrorsModel:testNonLayerElement()
  local err = err_has(lu, "Sequential: element 2 is a number, not a layer", ae.Sequential, { ae.Dense(3, 2), 42 })
  lu.assertStrContains(err, "ae.Dense(784, 32)") -- with an example of what fits
  err_has(lu, "element 1 is a userdata, not a layer", ae.Sequential, { ae.zeros(2) })
  err_has(lu, "Sequential: needs at least one layer", ae.Sequential, {})
  err_has(lu, "Autoencoder: expected {encoder = ..., decoder = ...}", ae.Autoencoder, { encoder = { ae.ReLU() } })
  err_has(lu, "Autoencoder decoder: element 1 is a string", ae.Autoencoder,
    { encoder = { ae.Dense(2, 1) }, decoder = { "Dense" } })
end

function TestErrorsModel:testLayersThatDoNotChain()
  err_has(lu, "layer 2, Dense(4→2): input has 3 columns, expected 4", ae.Sequential, { ae.Dense(5, 3), ae.Dense(4, 2) })
end

function TestErrorsModel:testNoInputSize()
  err_has(lu, "cannot tell the input size", ae.Sequential, { ae.ReLU() })
end

function TestErrorsModel:testForwardLayerRange()
  local m = self.m
  err_has(lu, "bad argument #2 to 'forward' (first layer out of range)", function()
    local y = m:forward(ae.zeros(1, 784), 0) -- not a tail call, so Lua names 'forward' and counts from x
    return y
  end)
  err_has(lu, "last layer out of range", m.forward, m, ae.zeros(1, 784), 1, 3)
end

TestErrorsLayers = {}

function TestErrorsLayers:testDenseBadSizes()
  err_has(lu, "bad argument #1", ae.Dense, 0, 3)
  err_has(lu, "input size must be a positive integer", ae.Dense, 0, 3)
  err_has(lu, "bad argument #2", ae.Dense, 3, -1)
  err_has(lu, "output size must be a positive integer", ae.Dense, 3, -1)
  err_has(lu, "bad argument #1", ae.Dense, "a", 3)
  err_has(lu, "number expected, got string", ae.Dense, "a", 3)
  err_has(lu, "number has no integer representation", ae.Dense, 2.5, 3)
end

function TestErrorsLayers:testClosedLayer()
  local d = ae.Dense(2, 2)
  getmetatable(d).__close(d)
  err_has(lu, "layer was closed", d.forward, d, ae.zeros(1, 2))
  lu.assertEquals(tostring(d), "Layer (closed)")
end

function TestErrorsLayers:testClosingALayerAModelUses()
  -- `<close>` on a layer inside a model must not free what the model uses
  local m
  do
    local d <close> = ae.Dense(3, 2)
    m = ae.Sequential { d, ae.Tanh() }
  end
  collectgarbage()
  lu.assertEquals(m:forward(ae.full(1, 1, 3)):size(), { 1, 2 })
  lu.assertEquals(tostring(m:layers()[1]), "Dense(3→2)")
  m:compile { loss = "mse", optimizer = ae.optim.SGD {} }
  lu.assertTrue(m:step(ae.full(1, 4, 3), ae.zeros(4, 2)) > 0)
end

TestErrorsTensor = {}

function TestErrorsTensor:testIndexOutOfRange()
  local t = ae.zeros(2, 3)
  err_has(lu, "tensor index 1 is 3, outside 1..2", t.get, t, 3, 1)
  err_has(lu, "tensor index 2 is 4, outside 1..3", t.set, t, 1, 4, 0)
  err_has(lu, "tensor index: 1 indices for a 2-D tensor", t.get, t, 1)
end

function TestErrorsTensor:testMatmulInnerMismatch()
  local a, b = ae.zeros(2, 3), ae.zeros(4, 5)
  local err = err_has(lu, "matmul: [2×3] · [4×5]: inner dimensions differ", a.matmul, a, b)
  lu.assertStrContains(err, "[4×5]")
  err_has(lu, "matmul: [3] · [3×2]", ae.zeros(3).matmul, ae.zeros(3), ae.zeros(3, 2))
end

function TestErrorsTensor:testElementwiseMismatch()
  err_has(lu, "element-wise +: shapes [2×3] and [2×2] do not match", function() return ae.zeros(2, 3) + ae.zeros(2, 2) end)
  err_has(lu, "element-wise /: shapes", function() return ae.zeros(2, 3) / ae.zeros(3, 3) end)
end

function TestErrorsTensor:testClosedTensor()
  local t = ae.zeros(2)
  getmetatable(t).__close(t)
  err_has(lu, "tensor was closed", t.sum, t)
  lu.assertEquals(tostring(t), "Tensor (closed)")
  getmetatable(t).__close(t) -- closing twice is harmless
end

function TestErrorsTensor:testBadShapeArguments()
  err_has(lu, "at most 4 dimensions", ae.zeros, 1, 1, 1, 1, 1)
  err_has(lu, "expected sizes", ae.zeros)
  err_has(lu, "sizes must not be negative", ae.zeros, 3, -2)
  -- sizes beyond an int were once truncated silently (2^32 + 2 became 2)
  err_has(lu, "size too large", ae.zeros, 2 ^ 32 + 2)
  err_has(lu, "size too large", ae.zeros, { 2, 2 ^ 31 })
  err_has(lu, "more elements than memory can", ae.zeros, 2 ^ 31 - 1, 2 ^ 31 - 1, 2 ^ 31 - 1, 2 ^ 31 - 1)
  err_has(lu, "only dimension 1 (rows) can be narrowed", function() return ae.zeros(2, 2):narrow(2, 1, 1) end)
end

function TestErrorsTensor:testMessageWithPercent()
  -- core messages are raised with "%s", never used as a format
  local path = "/nonexistent/100%s%d%%.npy"
  local t, err = ae.load_npy(path)
  lu.assertNil(t)
  lu.assertStrContains(err, path)
  H.failure_containing(lu, path, ae.data.idx, path)
end

TestErrorsOptim = {}

function TestErrorsOptim:testBadOptions()
  err_has(lu, "optimizer: learning rate must be positive, got -1", ae.optim.Adam, { lr = -1 })
  err_has(lu, "learning rate must be positive, got 0", ae.optim.SGD, { lr = 0 })
  err_has(lu, "Adam: betas must be in [0, 1), got 1 and 0.999", ae.optim.Adam, { beta1 = 1 })
  err_has(lu, "Adam: eps must be positive", ae.optim.Adam, { eps = 0 })
  err_has(lu, "SGD: momentum must be in [0, 1), got 1.5", ae.optim.SGD, { momentum = 1.5 })
  err_has(lu, "SGD: Nesterov needs a momentum > 0", ae.optim.SGD, { nesterov = true })
  err_has(lu, "optimizer option 'lr' must be a number, got string", ae.optim.Adam, { lr = "fast" })
end

function TestErrorsOptim:testFitBadArguments()
  local m = ae.Sequential { ae.Dense(3, 3) }
  local x = ae.zeros(4, 3)
  err_has(lu, "fit: batch must be a positive integer", m.fit, m, x, { batch = 0, optimizer = ae.optim.Adam {} })
  err_has(lu, "fit: epochs must be a positive integer", m.fit, m, x, { epochs = 1.5, optimizer = ae.optim.Adam {} })
end
