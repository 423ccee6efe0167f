-- The C glue (bindings/glue.c and every l*.c): no leak on a bad argument or
-- a memory error, no use of a freed object, closed objects raise, type
-- tests, the generator of each state.
--
-- The leak checks run a small script in a child aelab (H.BIN): under `make
-- test-asan` that is aelab-asan with detect_leaks=1, and LeakSanitizer
-- reports anything still allocated at exit. The plain build runs the same
-- scripts and checks their results only.
local lu = require "luaunit"
local ae = require "aelab"
local sys = require "aelab.sys"
local H = require "helpers"

-- Runs `code` in a child aelab; fails on a non-zero exit, a sanitizer
-- report, or when the script does not print "done".
local function run_clean(code)
  local prelude = 'local ae = require "aelab"; local sys = require "aelab.sys"\n' ..
    -- every_failure(f, ...): f(...) once for each of its Lua allocations
    -- refused in turn (a memory error there), then once in full
    'local function every_failure(f, ...)\n' ..
    '  for k = 1, 500 do\n' ..
    '    local fired, ok, err = sys.fail_alloc(k, f, ...)\n' ..
    '    if not fired then assert(ok, err) return k end\n' ..
    '  end\n' ..
    '  error("more than 500 allocations")\n' ..
    'end\n'
  local out, err, code_ = H.run(H.q(H.BIN) .. " -e " .. H.q(prelude .. code .. '\nprint("done")'))
  lu.assertNotStrContains(err, "Sanitizer", err)
  lu.assertNotStrContains(err, "runtime error", err)
  lu.assertEquals(code_, 0, err)
  lu.assertStrContains(out, "done")
  return out
end

TestGlueBadArguments = {}

function TestGlueBadArguments:testRowsBadStartFreesTheIndexTensor()
  -- the index table became a tensor before argument 3 was read
  run_clean [[
    local t = ae.zeros(4, 3)
    for _ = 1, 3 do
      local ok, err = pcall(t.rows, t, { 1, 2 }, "x")
      assert(not ok and err:find("number expected, got string", 1, true), err)
    end
    assert(t:rows({ 2, 1 }, 2):size(1) == 1)]]
end

function TestGlueBadArguments:testRowsIndexTableThatRaisesFreesTheIndexTensor()
  -- reading the table's entries runs its __index after the tensor is made
  run_clean [[
    local t = ae.zeros(4, 3)
    local idx = setmetatable({}, { __len = function() return 2 end, __index = function() error("no entry") end })
    local ok, err = pcall(t.rows, t, idx)
    assert(not ok and err:find("no entry", 1, true), err)]]
end

function TestGlueBadArguments:testModelForwardBadLastArgumentFreesTheOutput()
  run_clean [[
    local net = ae.Sequential { ae.Dense(3, 2), ae.Tanh() }
    local x = ae.full(1, 4, 3)
    local ok, err = pcall(net.forward, net, x, 1, 1, "bad")
    assert(not ok and err:find("number expected, got string", 1, true), err)
    assert(net:forward(x, 1, 1):size(2) == 2)]]
end

-- A memory error while the userdata is made must not leak the C object:
-- every Lua allocation of each constructor refused in turn.
TestGlueMemoryErrors = {}

function TestGlueMemoryErrors:testTensorConstructors()
  run_clean [[
    local t = ae.rand(4, 3)
    every_failure(ae.zeros, 2, 3)
    every_failure(ae.full, 1, 2, 3)
    every_failure(ae.rand, 2, 3)
    every_failure(ae.randn, 2, 3)
    every_failure(ae.randperm, 5)
    every_failure(ae.tensor, { { 1, 2 }, { 3, 4 } })
    every_failure(t.clone, t)
    every_failure(t.reshape, t, 12)
    every_failure(t.narrow, t, 1, 2, 2)
    every_failure(t.t, t)
    every_failure(t.matmul, t, t:t())
    every_failure(t.rows, t, { 3, 1 })
    every_failure(t.exp, t)
    every_failure(t.clamp, t, 0, 0.5)
    every_failure(t.argmax, t)
    every_failure(t.mean, t, 1)
    every_failure(function() return t + t, t * 2, -t end)
    every_failure(require("aelab.data").letters)]]
end

function TestGlueMemoryErrors:testLayerConstructors()
  run_clean [[
    local d = ae.Dense(3, 2)
    every_failure(ae.Dense, 3, 2)
    every_failure(ae.DenseTied, d)
    every_failure(ae.ReLU)
    every_failure(ae.Conv2D, 1, 2, 3)
    every_failure(ae.MaxPool2D, 2)
    every_failure(ae.Reshape, { 1, 2, 2 })
    every_failure(ae.Dropout, 0.5)
    local x = ae.rand(2, 3)
    every_failure(d.forward, d, x)
    every_failure(d.backward, d, x, ae.rand(2, 2))
    every_failure(d.parameters, d)]]
end

function TestGlueMemoryErrors:testOptimizerConstructors()
  run_clean [[
    every_failure(ae.optim.Adam, { lr = 0.01 })
    every_failure(ae.optim.SGD, { lr = 0.1, momentum = 0.9 })]]
end

function TestGlueMemoryErrors:testModelAndPcaResults()
  run_clean [[
    local net = ae.Sequential { ae.Dense(3, 2), ae.Tanh() }
    local x = ae.rand(4, 3)
    every_failure(ae.Sequential, { ae.Dense(3, 2) })
    every_failure(net.forward, net, x)
    every_failure(net.gradient, net, x, ae.rand(4, 2), true)
    every_failure(net.parameters, net)
    every_failure(ae.PCA, x, 2)
    local p = ae.PCA(x, 2)
    every_failure(p.transform, p, x)
    every_failure(p.components, p)]]
end

-- Closing an object a model still uses; using closed objects.
TestGlueClose = {}

function TestGlueClose:testLayerGcByHandWhileAModelUsesIt()
  -- was a use-after-free: __gc freed the layer under the model
  run_clean [[
    local d = ae.Dense(3, 2)
    local net = ae.Sequential { d, ae.Tanh() }
    getmetatable(d).__gc(d)
    getmetatable(d).__close(d)
    for _ = 1, 20 do ae.Dense(3, 2) end -- reuse freed memory, if any
    collectgarbage()
    local x = ae.full(0.5, 4, 3)
    assert(net:forward(x):size(2) == 2)
    net:compile { loss = "mse", optimizer = ae.optim.SGD {} }
    assert(net:step(x, ae.zeros(4, 2)) > 0)
    assert(tostring(d) == "Dense(3→2)", tostring(d)) -- still the model's, until collected
    assert(d:forward(x):size(2) == 2)
    net = nil
    collectgarbage()
    collectgarbage()]]
end

function TestGlueClose:testDenseGcByHandWhileADenseTiedUsesIt()
  run_clean [[
    local d = ae.Dense(3, 2)
    local tied = ae.DenseTied(d)
    getmetatable(d).__gc(d)
    for _ = 1, 20 do ae.Dense(3, 2) end
    assert(tied:forward(ae.full(1, 4, 2)):size(2) == 3)]]
end

function TestGlueClose:testClosedObjectsRaise()
  local function closed(v) getmetatable(v).__close(v) getmetatable(v).__gc(v) end -- twice is harmless
  local t = ae.zeros(2, 2)
  closed(t)
  H.error_containing(lu, "tensor was closed", t.sum, t)
  H.error_containing(lu, "tensor was closed", function() return t + 1 end)
  H.error_containing(lu, "tensor was closed", ae.zeros(2, 2).copy, ae.zeros(2, 2), t)
  lu.assertEquals(tostring(t), "Tensor (closed)")
  lu.assertFalse(t == ae.zeros(2, 2))

  local d = ae.Dense(2, 2)
  closed(d)
  H.error_containing(lu, "layer was closed", d.forward, d, ae.zeros(1, 2))
  H.error_containing(lu, "element 1 is a closed layer", ae.Sequential, { d })
  lu.assertEquals(tostring(d), "Layer (closed)")

  local o = ae.optim.SGD {}
  local net = ae.Sequential { ae.Dense(2, 2) }
  net:compile { loss = "mse", optimizer = o }
  closed(o)
  lu.assertEquals(tostring(o), "Optimizer (closed)")
  H.error_containing(lu, "the model's optimizer was closed", net.step, net, ae.zeros(1, 2), ae.zeros(1, 2))

  closed(net)
  H.error_containing(lu, "model was closed", net.forward, net, ae.zeros(1, 2))

  local p = ae.PCA(ae.rand(5, 3), 1)
  closed(p)
  H.error_containing(lu, "PCA was closed", p.components, p)
  lu.assertEquals(tostring(p), "PCA (closed)")
end

TestGlueTypes = {}

function TestGlueTypes:testIsTensorLayerModel()
  local t, d = ae.zeros(1), ae.Dense(2, 2)
  local net = ae.Sequential { d }
  lu.assertTrue(ae.is_tensor(t))
  lu.assertFalse(ae.is_tensor(d))
  lu.assertFalse(ae.is_tensor({}))
  lu.assertFalse(ae.is_tensor(nil))
  lu.assertTrue(ae.is_layer(d))
  lu.assertFalse(ae.is_layer(t))
  lu.assertTrue(require("aelab.model").is_model(net))
  lu.assertFalse(require("aelab.model").is_model(d))
  -- fit checks its tensors through the C test
  H.error_containing(lu, "fit: argument #1 must be a tensor", net.fit, net, {})
end

TestGlueRng = {}

function TestGlueRng:testSeedGivesTheSameNumbersAsBefore()
  -- drawn by the build before the generator moved into the registry
  ae.seed(1234)
  local r, n, p = ae.rand(3):totable(), ae.randn(2):totable(), ae.randperm(5):totable()
  local w = ae.Dense(2, 1):parameters()[1]:totable()
  local near = function(a, b) lu.assertAlmostEquals(a, b, 1e-7) end
  near(r[1], 0.0455821157); near(r[2], 0.842868805); near(r[3], 0.690900445)
  near(n[1], 0.424246937); near(n[2], 0.31292206)
  lu.assertEquals(p, { 3, 4, 1, 2, 5 })
  near(w[1][1], 0.422447324); near(w[1][2], 0.00966286659)
end

function TestGlueRng:testFailAllocNeedsAFunction()
  H.error_containing(lu, "bad argument #2", sys.fail_alloc, 1, nil)
  H.error_containing(lu, "k must be positive", sys.fail_alloc, 0, print)
end
