-- Ctrl-C: fit stops between batches; a lesson writes what it has and aelab
-- exits 130; a second Ctrl-C kills; the REPL goes back to its prompt with
-- the model as it was; the REPL's history file is made when missing. The
-- subprocess tests run H.BIN under `timeout` so that a hang fails instead
-- of blocking the suite, and print their pid (from /proc/self/stat) when
-- training has started, which is when the test sends SIGINT.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"
local guard = require "aelab.guard"
local signal = require "aelab.signal"

local LIMIT = 60 -- seconds before a hung child is killed

-- A lesson that trains "forever" and says so (with its pid) at epoch 2.
local LESSON = [[
local ae = require "aelab"
local L = ae.Lesson.new { name = "99_interrupt", title = "Interrupt test" }
L:metric("before", 1, "a metric recorded before training")
local x = ae.rand(2048, 64)
local net = ae.Autoencoder { encoder = { ae.Dense(64, 16), ae.ReLU() }, decoder = { ae.Dense(16, 64), ae.Sigmoid() } }
local pid = io.open("/proc/self/stat"):read("n")
net:fit(x, { epochs = 100000, batch = 32, loss = "bce", optimizer = ae.optim.Adam {}, verbose = false,
  on_epoch = function(e) if e == 2 then print("TRAINING " .. pid) io.stdout:flush() end end })
L:finish()
]]

-- Runs `args` in the background, sends SIGINT once per line matching
-- "^MARK <pid>" it prints; returns stdout, stderr, how it ended and its code.
local function run_interrupted(dir, args)
  local err = dir .. "/stderr"
  local p = assert(io.popen(string.format("exec timeout -s KILL %d %s %s 2>%s", LIMIT, H.BIN, args, H.q(err))))
  local out = {}
  for line in p:lines() do
    out[#out + 1] = line
    local pid = line:match("^%u+ (%d+)$")
    if pid then os.execute("kill -INT " .. pid) end
  end
  local _, how, code = p:close()
  return table.concat(out, "\n"), H.read(err) or "", how, code
end

TestInterrupt = {}

function TestInterrupt:setUp() self.dir = H.tmpdir() end
function TestInterrupt:tearDown() H.rmdir(self.dir) end

-- In-process: the interrupt raised between two batches (as the hook does)
-- goes through fit, which keeps its history and takes noise off the model.
function TestInterrupt:test_fit_keeps_history()
  H.seed()
  local x = ae.rand(64, 8)
  local net = ae.Autoencoder { encoder = { ae.Dense(8, 4) }, decoder = { ae.Dense(4, 8) } }
  local last
  guard.interrupted_history = nil
  local ok, err = pcall(net.fit, net, x, { epochs = 5, batch = 16, optimizer = ae.optim.Adam {}, verbose = false,
    noise = ae.noise.gaussian { std = 0.1 },
    on_epoch = function(e)
      if e == 2 then
        last = net:parameters():clone()
        signal.interrupt()
      end
    end })
  lu.assertFalse(ok)
  lu.assertTrue(signal.is_interrupt(err), tostring(err))
  lu.assertEquals(tostring(err), "interrupted")
  local h = guard.interrupted_history
  lu.assertEquals(h.stopped, "interrupted")
  lu.assertEquals(h.epochs, 2)
  lu.assertEquals(#h.loss, 2)
  lu.assertEquals(H.worst(net:parameters(), last, 0, 0), 0, "the weights of the last finished batch")
  lu.assertAlmostEquals(net:loss(x), net:loss(x), 0, "no noise left on the model")
  lu.assertFalse(signal.is_interrupt("interrupted"))
  guard.interrupted_history = nil
end

-- SIGINT during a lesson's training: exit 130, the message names the
-- folder, report.md and metrics.json are there and say "interrupted".
function TestInterrupt:test_lesson_sigint_writes_partial_results()
  local script = self.dir .. "/lesson.lua"
  H.write_file(script, LESSON)
  local out, err, how, code = run_interrupted(self.dir, "--quick --out " .. H.q(self.dir .. "/out") .. " " .. H.q(script))
  lu.assertEquals({ how, code }, { "exit", 130 }, out .. err)
  -- kept beside the last complete run, as lesson.lua keeps every run that stopped
  local folder = self.dir .. "/out/99_interrupt.incomplete"
  lu.assertStrContains(err, "aelab: interrupted: results so far in " .. folder)
  local report, metrics = H.read(folder .. "/report.md"), H.read(folder .. "/metrics.json")
  lu.assertNotNil(report, "report.md written")
  lu.assertStrContains(report, "Incomplete: interrupted.")
  lu.assertStrContains(report, "## Training by epoch (interrupted)")
  lu.assertStrContains(report, "| 2 | ")
  lu.assertNotNil(metrics, "metrics.json written")
  lu.assertStrContains(metrics, '"incomplete": "interrupted"')
  lu.assertTrue(tonumber(metrics:match('"epochs_done": (%d+)')) >= 2, metrics)
  lu.assertStrContains(metrics, '"before": 1', "the metrics recorded before the interrupt are kept")
end

-- A plain script: exit 130 and "interrupted", no traceback.
function TestInterrupt:test_script_sigint()
  local script = self.dir .. "/loop.lua"
  H.write_file(script, 'print("LOOP " .. io.open("/proc/self/stat"):read("n")) io.stdout:flush() while true do end')
  local _, err, how, code = run_interrupted(self.dir, H.q(script))
  lu.assertEquals({ how, code }, { "exit", 130 })
  lu.assertEquals(err, "aelab: interrupted\n")
end

-- The first Ctrl-C is caught (here by the script's pcall); the second
-- kills at once.
function TestInterrupt:test_second_sigint_kills()
  local script = self.dir .. "/twice.lua"
  H.write_file(script, [[
local pid = io.open("/proc/self/stat"):read("n")
local ok, err = pcall(function() print("FIRST " .. pid) io.stdout:flush() while true do end end)
print("CAUGHT", tostring(err))
print("SECOND " .. pid) io.stdout:flush()
while true do end
]])
  local out, err, how, code = run_interrupted(self.dir, H.q(script))
  lu.assertStrContains(out, "CAUGHT\tinterrupted")
  -- killed by SIGINT: timeout passes the signal on (or exits 130 like a shell)
  lu.assertTrue((how == "signal" and code == 2) or (how == "exit" and code == 130), how .. " " .. tostring(code))
  lu.assertEquals(err, "", "no message: the process was killed")
end

-- The REPL through a pseudo-terminal (util-linux `script`): Ctrl-C during
-- fit returns to the prompt, the model still works; Ctrl-C while typing
-- drops the line; the history file is made in a HOME that had none.
function TestInterrupt:test_repl_ctrl_c()
  H.need_script(lu)
  local home, log = self.dir .. "/home", self.dir .. "/repl.log"
  os.execute("mkdir -p " .. H.q(home))
  local w = assert(io.popen(string.format("HOME=%s TERM=dumb timeout -s KILL %d script -qfec %s /dev/null > %s 2>&1",
    H.q(home), LIMIT, H.q(H.BIN), H.q(log)), "w"))
  local function wait_for(plain)
    for _ = 1, LIMIT * 20 do
      local s = H.read(log) or ""
      if s:find(plain, 1, true) then return s end
      os.execute("sleep 0.05")
    end
    return nil
  end
  local function send(s)
    w:write(s)
    w:flush()
  end
  lu.assertNotNil(wait_for("ae> "), "the prompt")
  -- (the marks are made with upper() so the terminal's echo of the input never matches)
  send("x = ae.rand(2048, 64); net = ae.Autoencoder{encoder={ae.Dense(64,16), ae.ReLU()}, " ..
    "decoder={ae.Dense(16,64), ae.Sigmoid()}}\n")
  send("net:fit(x, {epochs = 100000, batch = 32, loss = 'bce', optimizer = ae.optim.Adam{}, verbose = false, " ..
    "on_epoch = function(e) if e == 2 then print(('started'):upper()) end end})\n")
  lu.assertNotNil(wait_for("STARTED"), "training started")
  send("\3")
  lu.assertNotNil(wait_for("interrupted"), "fit stopped")
  send("print(('alive'):upper(), net:loss(x) < 0.75, net:parameters():finite())\n")
  lu.assertNotNil(wait_for("ALIVE\ttrue\ttrue"), "the REPL answers and the model works")
  send("error('typed')")
  lu.assertNotNil(wait_for("error('typed')"))
  send("\3")
  lu.assertNotNil(wait_for("error('typed')^C"))
  send("print(('after'):upper())\n")
  local text = wait_for("AFTER")
  send("\4")
  w:close()
  lu.assertNotNil(text, "the REPL goes on after a Ctrl-C at the prompt")
  lu.assertNil(text:find("stdin:1: typed", 1, true), "the dropped line did not run")
end

-- append_history only appends to a file that exists: before, a HOME without
-- ~/.aelab_history never got one, and no REPL line was ever kept.
function TestInterrupt:test_repl_history_file_made()
  H.need_script(lu)
  local home = self.dir .. "/home"
  os.execute("mkdir -p " .. H.q(home))
  local w = assert(io.popen(string.format("HOME=%s TERM=dumb timeout -s KILL %d script -qfec %s /dev/null >/dev/null 2>&1",
    H.q(home), LIMIT, H.q(H.BIN)), "w"))
  w:write("print(6 * 7)\n\4")
  w:close()
  local hist = H.read(home .. "/.aelab_history")
  lu.assertNotNil(hist, "~/.aelab_history made")
  lu.assertStrContains(hist, "print(6 * 7)")
end
