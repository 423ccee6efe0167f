-- A run script for tests/test_sweep.lua: a tiny autoencoder on random data
-- (a fraction of a second), so a sweep of it tests the runners, not BLIS.
-- Its metrics: the final loss (the same for the same seed and threads, on
-- any runner) and `value` = a·10 + seed, whose mean and sd over seeds the
-- test knows in advance. It fails when asked (fail=true, or a file FAIL-<a>
-- beside the run folders) and sleeps when asked (sleep=s, for Ctrl-C).
local ae = require "aelab"
local sys = require "aelab.sys"
local s = ae.sweep.settings { a = 1, b = "x", fail = false, sleep = 0 }

local L = ae.Lesson.new { name = "sweep_tiny", title = "tiny run a=" .. s.a .. " b=" .. s.b }
local run = ae.options.run
if s.fail or (run and ae.file_exists(run .. "/../FAIL-" .. s.a)) then error("asked to fail (a = " .. s.a .. ")") end
-- what reached this run from the user (not the host's own BLIS set-up)
local ue = ae.options.user_env or {}
print(string.format("user BLIS_ARCH_TYPE: %s, BLIS_NUM_THREADS: %s", tostring(ue.BLIS_ARCH_TYPE), tostring(ue.BLIS_NUM_THREADS)))
local t0 = sys.clock()
while sys.clock() - t0 < s.sleep do sys.sleep(0.05) end

ae.seed(ae.options.seed)
local x = ae.rand(64, 6)
local net = ae.Autoencoder { encoder = { ae.Dense(6, 3), ae.Tanh() }, decoder = { ae.Dense(3, 6), ae.Sigmoid() } }
local h = net:fit(x, { epochs = 3, batch = 16, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-2 }, verbose = false })
L:metric("loss", h.loss[h.epochs], "final training loss")
L:metric("value", s.a * 10 + ae.options.seed, "a·10 + seed")
L:metric("threads", ae.threads(), "threads of this run")
L:finish()
