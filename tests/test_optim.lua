-- The optimizers of issue 13: RMSprop and Adadelta (a step by hand against
-- Keras' formula; they lower a loss), and the full-batch LBFGS, CG and
-- Powell (each reaches a known minimum; bad options are errors; the
-- iteration and evaluation budgets hold; Ctrl-C stops between iterations).
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

H.announce_seed("test_optim")

TestStepOptimizers = {}

function TestStepOptimizers:setUp() H.seed() end

function TestStepOptimizers:testRMSpropStepsByHand()
  -- Keras: v = ρv + (1-ρ)g², w -= lr·g/(√v + ε), v starting at 0
  local o = ae.optim.RMSprop { lr = 0.01 }
  local w, g = ae.tensor { 1, 1 }, ae.tensor { 3, -0.5 }
  local rho, eps = 0.9, 1e-7
  local v1, v2 = 0, 0
  local w1, w2 = 1, 1
  for _ = 1, 2 do
    o:update(w, g)
    v1, v2 = rho * v1 + (1 - rho) * 9, rho * v2 + (1 - rho) * 0.25
    w1, w2 = w1 - 0.01 * 3 / (math.sqrt(v1) + eps), w2 + 0.01 * 0.5 / (math.sqrt(v2) + eps)
  end
  lu.assertAlmostEquals(w:get(1), w1, 1e-6)
  lu.assertAlmostEquals(w:get(2), w2, 1e-6)
  lu.assertEquals(o:config(), { kind = "RMSprop", lr = 0.01, rho = 0.9, eps = 1e-7, weight_decay = 0 })
end

function TestStepOptimizers:testAdadeltaStepsByHand()
  -- Keras: a = ρa + (1-ρ)g², Δ = √(d+ε)/√(a+ε)·g, d = ρd + (1-ρ)Δ², w -= lr·Δ
  local o = ae.optim.Adadelta { lr = 1 }
  local w, g = ae.tensor { 1 }, ae.tensor { 3 }
  local rho, eps = 0.95, 1e-7
  local a, d, ww = 0, 0, 1
  for _ = 1, 3 do
    o:update(w, g)
    a = rho * a + (1 - rho) * 9
    local delta = math.sqrt(d + eps) / math.sqrt(a + eps) * 3
    d = rho * d + (1 - rho) * delta * delta
    ww = ww - delta
  end
  lu.assertTrue(ww < 1 - 1e-3, "the hand steps move w")
  lu.assertAlmostEquals(w:get(1), ww, 1e-6)
  lu.assertEquals(o:config(), { kind = "Adadelta", lr = 1, rho = 0.95, eps = 1e-7, weight_decay = 0 })
  lu.assertStrContains(tostring(ae.optim.Adadelta {}), "Adadelta{lr=0.001")
end

-- 200 full-batch steps on 16 rows of a 6-4-3-4-6 autoencoder
local function steps_loss(optimizer)
  local z = ae.randn(16, 2)
  local x = ae.Sigmoid():forward(z:matmul(ae.randn(2, 6)) * 2)
  local m = ae.Autoencoder {
    encoder = { ae.Dense(6, 4), ae.Tanh(), ae.Dense(4, 3) },
    decoder = { ae.Dense(3, 4), ae.Tanh(), ae.Dense(4, 6), ae.Sigmoid() },
  }
  m:compile { loss = "mse", optimizer = optimizer }
  local before = m:loss(x)
  for _ = 1, 200 do m:step(x, x) end
  return before, m:loss(x)
end

function TestStepOptimizers:testTheyLowerALoss()
  for name, o in pairs { RMSprop = ae.optim.RMSprop { lr = 0.01 }, Adadelta = ae.optim.Adadelta { lr = 1 } } do
    local before, after = steps_loss(o)
    lu.assertTrue(after < 0.7 * before, string.format("%s: %.4f → %.4f", name, before, after))
  end
end

function TestStepOptimizers:testBadOptions()
  H.error_containing(lu, "rho must be in [0, 1)", ae.optim.RMSprop, { rho = 1 })
  H.error_containing(lu, "eps must be positive", ae.optim.Adadelta, { eps = 0 })
  H.error_containing(lu, "'rh'", ae.optim.RMSprop, { rh = 0.5 })
end

function TestStepOptimizers:testSavedWithTheModel()
  local dir = H.tmpdir()
  local m = ae.Sequential { ae.Dense(3, 2) }
  m:compile { loss = "mse", optimizer = ae.optim.RMSprop { lr = 0.02, rho = 0.8 } }
  m:step(ae.rand(4, 3), ae.rand(4, 2))
  assert(m:save(dir .. "/m.safetensors"))
  local back = assert(ae.load(dir .. "/m.safetensors"))
  lu.assertEquals(back:optimizer():config().kind, "RMSprop")
  lu.assertAlmostEquals(back:optimizer():config().rho, 0.8, 1e-7)
  H.rmdir(dir)
end

TestFullBatch = {}

function TestFullBatch:setUp() H.seed() end

-- y = X·w* + b* exactly: a Dense(3, 1) has its minimum (loss 0) at w*, b*.
local W, B = { 0.5, -1.25, 2 }, 0.75
local function regression(n)
  local x = ae.randn(n or 40, 3)
  local y = ae.zeros(x:size(1), 1)
  for i = 1, x:size(1) do
    local s = B
    for j = 1, 3 do s = s + W[j] * x:get(i, j) end
    y:set(i, 1, s)
  end
  return x, y
end

local function solved(label, m, h)
  local w = m:parameters()
  -- the arena holds the kernel (3) then the bias (1)
  for j = 1, 3 do lu.assertAlmostEquals(w:get(j), W[j], 1e-3, label .. " weight " .. j) end
  lu.assertAlmostEquals(w:get(4), B, 1e-3, label .. " bias")
  lu.assertTrue(h.loss[#h.loss] < 1e-6, string.format("%s: final loss %g", label, h.loss[#h.loss]))
end

function TestFullBatch:testEachReachesTheKnownMinimum()
  for _, o in ipairs { ae.optim.LBFGS {}, ae.optim.CG {}, ae.optim.CG { method = "gsl" }, ae.optim.Powell { ftol = 1e-14 } } do
    local x, y = regression()
    local m = ae.Sequential { ae.Dense(3, 1) }
    local h = m:fit(x, { target = y, loss = "mse", optimizer = o, epochs = 200, verbose = false })
    solved(o.kind, m, h)
    lu.assertEquals(h.epochs, #h.loss)
    lu.assertTrue(h.epochs < 200 or o.kind == "Powell", o.kind .. " stopped on its own: " .. tostring(h.why))
    lu.assertEquals(type(h.why), "string")
    lu.assertTrue(h.evals[#h.evals] == h.total_evals or o.kind ~= "Powell")
    if o.kind ~= "Powell" then
      lu.assertTrue(h.converged, o.kind .. ": " .. h.why)
      lu.assertStrContains(h.why, "converged")
      lu.assertTrue(h.grads[#h.grads] > 0)
    else
      lu.assertEquals(h.grads[#h.grads], 0) -- derivative-free
    end
    -- the loss of the model is the last iteration's
    lu.assertAlmostEquals(m:loss(x, y), h.loss[#h.loss], 1e-6)
  end
end

function TestFullBatch:testLBFGSBeatsAStartOnAnAutoencoder()
  local x = ae.data.letters().x
  local m = ae.Autoencoder { encoder = { ae.Dense(35, 10), ae.Tanh(), ae.Dense(10, 2) },
    decoder = { ae.Dense(2, 10), ae.Tanh(), ae.Dense(10, 35), ae.Sigmoid() } }
  local before
  local h = m:fit(x, { loss = "bce", optimizer = ae.optim.LBFGS {}, epochs = 40, verbose = false,
    on_epoch = function(i, hist) before = before or hist.loss[1] end })
  lu.assertTrue(h.loss[#h.loss] < 0.8 * before, string.format("%.4f → %.4f", before, h.loss[#h.loss]))
  -- every iteration of a line search method lowers the loss
  for i = 2, #h.loss do lu.assertTrue(h.loss[i] <= h.loss[i - 1] + 1e-7, "iteration " .. i) end
end

function TestFullBatch:testBudgets()
  local x, y = regression()
  -- iterations
  local m = ae.Sequential { ae.Dense(3, 1) }
  local h = m:fit(x, { target = y, loss = "mse", optimizer = ae.optim.CG { gtol = 0, ftol = 0 }, epochs = 2, verbose = false })
  lu.assertEquals(h.epochs, 2)
  lu.assertStrContains(h.why, "iteration budget")
  -- evaluations: Powell's exactly; L-BFGS and CG check after each iteration
  m = ae.Sequential { ae.Dense(3, 1) }
  h = m:fit(x, { target = y, loss = "mse", optimizer = ae.optim.Powell { max_evals = 50, ftol = 0, xtol = 0 },
    epochs = 100, verbose = false })
  lu.assertEquals(h.total_evals, 50)
  lu.assertStrContains(h.why, "evaluation budget")
  lu.assertEquals(h.epochs, 2) -- 40 evaluations an iteration (10 per parameter), then the last 10
  for _, o in ipairs { ae.optim.LBFGS { max_evals = 4, gtol = 0, ftol = 0 }, ae.optim.CG { max_evals = 4, gtol = 0, ftol = 0 } } do
    m = ae.Sequential { ae.Dense(3, 1) }
    h = m:fit(x, { target = y, loss = "mse", optimizer = o, epochs = 100, verbose = false })
    lu.assertStrContains(h.why, "evaluation budget", o.kind)
    lu.assertTrue(h.total_evals >= 4 and h.total_evals <= 4 + 20, o.kind .. ": " .. h.total_evals)
  end
end

function TestFullBatch:testBadOptions()
  H.error_containing(lu, "did you mean 'memory'", ae.optim.LBFGS, { memroy = 5 })
  H.error_containing(lu, "gtol must be a finite number", ae.optim.LBFGS, { gtol = -1 })
  H.error_containing(lu, "line_tol in (0, 1)", ae.optim.CG, { line_tol = 2 })
  H.error_containing(lu, "evals_per_iteration must be an integer", ae.optim.Powell, { evals_per_iteration = 1.5 })
  H.error_containing(lu, "memory must be > 0", ae.optim.LBFGS, { memory = 0 })
  H.error_containing(lu, "method must be \"pr+\" (ours) or \"gsl\"", ae.optim.CG, { method = "fr" })
  local x = ae.rand(8, 4)
  local m = ae.Sequential { ae.Dense(4, 4), ae.Sigmoid() }
  H.error_containing(lu, "noise is for the step optimizers", m.fit, m, x,
    { optimizer = ae.optim.LBFGS {}, noise = ae.noise.gaussian { std = 0.1 }, verbose = false })
  local d = ae.Sequential { ae.Dense(4, 4), ae.Dropout(0.5), ae.Dense(4, 4) }
  H.error_containing(lu, "makes the loss random", d.fit, d, x, { optimizer = ae.optim.CG {}, verbose = false })
  H.error_containing(lu, "give it to fit", m.compile, m, { optimizer = ae.optim.LBFGS {} })
  local big = ae.Sequential { ae.Dense(200, 100) }
  H.error_containing(lu, "n×n matrix", big.fit, big, ae.rand(4, 200),
    { target = ae.rand(4, 100), optimizer = ae.optim.Powell {}, verbose = false })
end

-- A frozen layer stays as it is under every full-batch method: Powell,
-- which never computes a gradient, moved it when it searched the whole arena.
function TestFullBatch:testFrozenLayersStay()
  local x = ae.rand(20, 6)
  for _, o in ipairs { ae.optim.LBFGS {}, ae.optim.CG {}, ae.optim.Powell {} } do
    local m = ae.Autoencoder { encoder = { ae.Dense(6, 3), ae.Sigmoid() }, decoder = { ae.Dense(3, 6), ae.Sigmoid() } }
    m:freeze(1)
    lu.assertEquals(m:trainable_count(), 3 * 6 + 6)
    local p0 = m:parameters():clone()
    local h = m:fit(x, { loss = "mse", optimizer = o, epochs = 3, verbose = false })
    local p1 = m:parameters()
    -- the arena holds layer 1's 6×3 + 3 values first
    lu.assertEquals(p1:narrow(1, 1, 21), p0:narrow(1, 1, 21), o.kind .. " moved the frozen layer")
    lu.assertTrue((p1:narrow(1, 22, 24) - p0:narrow(1, 22, 24)):abs():sum() > 0, o.kind .. " trained nothing")
    lu.assertTrue(h.loss[#h.loss] < m:loss(x, x) + 1e-6)
    if o.kind == "Powell" then lu.assertEquals(h.evals[1], 10 * 24) end -- 10 per trainable value
  end
  local all = ae.Sequential { ae.Dense(6, 6), ae.Sigmoid() }
  all:freeze(1)
  H.error_containing(lu, "has nothing to minimize over", all.fit, all, x,
    { loss = "mse", optimizer = ae.optim.LBFGS {}, verbose = false })
end

-- A refused full-batch fit leaves the model's loss as it found it.
function TestFullBatch:testRefusalChangesNothing()
  local x = ae.rand(8, 4)
  local m = ae.Sequential { ae.Dense(4, 4), ae.Sigmoid() }
  m:set_loss("mse")
  H.error_containing(lu, "checkpoint is for the step optimizers", m.fit, m, x,
    { loss = "bce", optimizer = ae.optim.LBFGS {}, checkpoint = "unused", verbose = false })
  lu.assertEquals(m:loss_name(), "mse")
  -- each rank would run the whole minimization by itself
  H.error_containing(lu, "distributed is for the step optimizers", m.fit, m, x,
    { optimizer = ae.optim.LBFGS {}, distributed = true, verbose = false })
  m:fit(x, { optimizer = ae.optim.LBFGS {}, epochs = 1, distributed = false, verbose = false })
end

function TestFullBatch:testProgressLineAndSubset()
  local x, y = regression(30)
  local m = ae.Sequential { ae.Dense(3, 1) }
  local path = os.tmpname()
  local out = assert(io.open(path, "w"))
  local h = m:fit(x, { target = y, loss = "mse", optimizer = ae.optim.LBFGS {}, epochs = 5, batch = 10, out = out })
  out:close()
  local text = H.read(path)
  os.remove(path)
  lu.assertStrContains(text, "LBFGS iter 1/5  loss ")
  lu.assertStrContains(text, "evals ")
  lu.assertStrContains(text, "|g| ")
  lu.assertStrContains(text, "step ")
  lu.assertEquals(h.batch, 10)
end

function TestFullBatch:testInterruptKeepsTheLastIteration()
  local signal = require "aelab.signal"
  local x = ae.data.letters().x
  local m = ae.Autoencoder { encoder = { ae.Dense(35, 8), ae.Tanh(), ae.Dense(8, 2) },
    decoder = { ae.Dense(2, 8), ae.Tanh(), ae.Dense(8, 35), ae.Sigmoid() } }
  m:set_loss("bce")
  local ok, err = pcall(m.fit, m, x, { optimizer = ae.optim.LBFGS {}, epochs = 50, verbose = false,
    on_epoch = function(i) if i == 3 then signal.interrupt() end end })
  lu.assertFalse(ok)
  lu.assertTrue(signal.is_interrupt(err), tostring(err))
  local guard = require "aelab.guard"
  local h = guard.interrupted_history
  guard.interrupted_history = nil
  lu.assertEquals(h.stopped, "interrupted")
  lu.assertEquals(h.epochs, 3)
  lu.assertAlmostEquals(m:loss(x), h.loss[3], 1e-6)
end
