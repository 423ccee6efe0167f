-- The aelab host program, run as a subprocess: options, -e, scripts and
-- their arguments, errors with tracebacks, exit codes.
-- AELAB_BIN picks the binary (the sanitizer run sets it); tests run from the
-- repository root.
local lu = require "luaunit"
local H = require "helpers"

local bin = H.BIN

-- Runs the host with a shell-quoted argument list; returns stdout, stderr, exit code.
local function aelab(...)
  local parts = { H.q(bin) }
  for _, a in ipairs { ... } do parts[#parts + 1] = H.q(a) end
  return H.run(table.concat(parts, " ") .. " </dev/null")
end

local function script(text)
  local path = os.tmpname() .. ".lua"
  H.write_file(path, text)
  return path
end

TestHost = {}

function TestHost:testVersion()
  local out, err, code = aelab("--version")
  lu.assertEquals(code, 0, err)
  lu.assertStrMatches(out, "^aelab %d+%.%d+%.%d+ %(Lua 5%.4[%.%d]*, BLIS [%d%.]+%)\n.*")
  -- names the kernel set BLIS is using and why
  local kernels = out:match("BLIS kernels: (%S+) %(")
  lu.assertNotNil(kernels, out)
  lu.assertTrue(#kernels > 0)
  lu.assertStrContains(out, "threads: ")
  lu.assertStrMatches(out, ".*threads: %d+ %(element%-wise loops%).*")
end

function TestHost:testThreadsShowInVersion()
  local out, err, code = aelab("--threads", "1", "--version")
  lu.assertEquals(code, 0, err)
  lu.assertStrContains(out, "threads: 1 (element-wise loops)")
  out = aelab("--threads", "3", "--version")
  lu.assertStrContains(out, "threads: 3 (element-wise loops)")
  -- and the Lua side sees the same count
  out = aelab("--threads", "3", "-e", "print(require('aelab').threads())")
  lu.assertEquals(out, "3\n")
end

function TestHost:testBadThreads()
  local _, err, code = aelab("--threads", "0", "--version")
  lu.assertEquals(code, 2)
  lu.assertStrContains(err, "--threads wants a number from 1 to 256, got '0'")
end

function TestHost:testHelp()
  local out, err, code = aelab("--help")
  lu.assertEquals(code, 0, err)
  lu.assertStrContains(out, "usage: aelab")
  lu.assertStrContains(out, "--seed")
  lu.assertStrContains(out, "--threads")
end

function TestHost:testUnknownOption()
  local out, err, code = aelab("--bogus")
  lu.assertNotEquals(code, 0)
  lu.assertStrContains(err, "unknown option '--bogus'")
  lu.assertStrContains(err, "usage: aelab")
  lu.assertEquals(out, "")
end

function TestHost:testMissingOptionValue()
  local _, err, code = aelab("--seed")
  lu.assertNotEquals(code, 0)
  lu.assertStrContains(err, "--seed needs a value")
end

function TestHost:testBadBlisName()
  local _, err, code = aelab("--blis", "nonsense", "-e", "print(1)")
  lu.assertNotEquals(code, 0)
  lu.assertStrContains(err, "unknown BLIS kernel set 'nonsense' (the sets are auto, skx, knl, haswell")
end

-- Kernel sets this BLIS lacks or this CPU cannot run were once taken as
-- asked: SIGILL (knl, bulldozer) or BLIS' abort (knc, the ARM and POWER ids).
-- Now the host refuses them, exit 2, with the reason.
function TestHost:testBlisArchTypeRefused()
  local cases = {
    ["2"] = "refused BLIS kernel set knc (arch id 2): this BLIS is not built with it",
    ["13"] = "refused BLIS kernel set armsve (arch id 13): this BLIS is not built with it",
    ["24"] = "refused BLIS kernel set bgq (arch id 24): this BLIS is not built with it",
  }
  local out = H.run("grep -m1 '^flags' /proc/cpuinfo")
  if not out:find(" avx512er") then cases["1"] = "refused BLIS kernel set knl (arch id 1): it needs AVX-512 F/PF/ER/CD" end
  if not out:find(" fma4") then cases["12"] = "refused BLIS kernel set bulldozer (arch id 12): it needs FMA4 and XOP" end
  for id, msg in pairs(cases) do
    local _, err, code = H.run("BLIS_ARCH_TYPE=" .. id .. " " .. H.q(bin) .. " -e 'print(1)' </dev/null")
    lu.assertEquals(code, 2, "BLIS_ARCH_TYPE=" .. id .. ": " .. err)
    lu.assertStrContains(err, "BLIS_ARCH_TYPE=" .. id .. ": " .. msg)
  end
  local _, err, code = aelab("--blis", "knl", "-e", "print(1)")
  if not out:find(" avx512er") then
    lu.assertEquals(code, 2)
    lu.assertStrContains(err, "refused BLIS kernel set knl (arch id 1)")
  end
  local o2, err2, code2 = H.run("BLIS_ARCH_TYPE=25 " .. H.q(bin) .. " --version </dev/null")
  lu.assertEquals(code2, 0, err2)
  lu.assertStrContains(o2, "BLIS kernels: generic")
end

function TestHost:testChunk()
  local out, err, code = aelab("-e", "print(1+1)")
  lu.assertEquals(code, 0, err)
  lu.assertEquals(out, "2\n")
end

-- issue 19: -e has `ae` ready, as the REPL has
function TestHost:testChunkHasAe()
  local out, err, code = aelab("-e", "print(ae.version, ae.Dense ~= nil, ae == require('aelab'))")
  lu.assertEquals(code, 0, err)
  lu.assertStrContains(out, "\ttrue\ttrue")
end

function TestHost:testChunkError()
  local _, err, code = aelab("-e", "error('kaboom')")
  lu.assertEquals(code, 1)
  lu.assertStrContains(err, "kaboom")
  lu.assertStrContains(err, "stack traceback")
end

function TestHost:testChunkSyntaxError()
  local _, err, code = aelab("-e", "print(")
  lu.assertEquals(code, 1)
  lu.assertStrContains(err, "(command line)")
end

function TestHost:testScriptErrorHasTraceback()
  local path = script("local function inner() error('something broke: 42') end\n" ..
    "local function outer() inner() end\nouter()\n")
  local out, err, code = aelab(path)
  os.remove(path)
  lu.assertEquals(code, 1)
  lu.assertEquals(out, "")
  lu.assertStrContains(err, "something broke: 42")
  lu.assertStrContains(err, path .. ":1:")
  lu.assertStrContains(err, "stack traceback")
  lu.assertStrContains(err, "in local 'outer'")
end

function TestHost:testCoreErrorInScript()
  local path = script("local ae = require 'aelab'\n" ..
    "local m = ae.Sequential{ae.Dense(784, 32)}\nm:forward(ae.zeros(2, 700))\n")
  local _, err, code = aelab(path)
  os.remove(path)
  lu.assertEquals(code, 1)
  lu.assertStrContains(err, "Dense(784→32): input has 700 columns, expected 784")
  lu.assertStrContains(err, "stack traceback")
end

function TestHost:testMissingScript()
  local _, err, code = aelab("/nonexistent/script.lua")
  lu.assertEquals(code, 1)
  lu.assertStrContains(err, "cannot open /nonexistent/script.lua")
end

function TestHost:testScriptArguments()
  local path = script("print(arg[0])\nprint(arg[1])\nprint(arg[2])\nprint(#arg)\nprint(select('#', ...), ...)\n" ..
    "print(arg[-1])\n")
  local out, err, code = aelab(path, "first", "two words")
  lu.assertEquals(code, 0, err)
  lu.assertEquals(out, table.concat({ path, "first", "two words", "2", "2\tfirst\ttwo words", bin }, "\n") .. "\n")
  -- options before the script do not reach it; everything after it does
  out = aelab("--seed", "3", path, "--seed", "4")
  os.remove(path)
  local lines = {}
  for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
  lu.assertEquals(lines[2], "--seed")
  lu.assertEquals(lines[3], "4")
end

local RANDN = "local ae = require 'aelab'; io.write(table.concat(ae.randn(4):totable(), ' '))"

function TestHost:testSeed()
  local a, err, code = aelab("--seed", "5", "-e", RANDN)
  lu.assertEquals(code, 0, err)
  local b = aelab("--seed", "5", "-e", RANDN)
  local c = aelab("--seed", "6", "-e", RANDN)
  lu.assertEquals(#a > 0, true)
  lu.assertEquals(a, b, "the same seed repeats ae.randn")
  lu.assertNotEquals(a, c, "another seed changes ae.randn")
  -- the default seed is 42
  lu.assertEquals(aelab("-e", RANDN), aelab("--seed", "42", "-e", RANDN))
  lu.assertEquals(aelab("--seed", "7", "-e", "print(require('aelab').options.seed)"), "7\n")
end

function TestHost:testBadSeed()
  local _, err, code = aelab("--seed", "abc", "-e", "print(1)")
  lu.assertNotEquals(code, 0)
  lu.assertStrContains(err, "--seed wants an integer, got 'abc'")
end

function TestHost:testOptionsReachLua()
  local out, err, code = aelab("--quick", "--out", "/tmp/somewhere", "-e",
    "local o = require('aelab').options; print(o.quick, o.out)")
  lu.assertEquals(code, 0, err)
  lu.assertEquals(out, "true\t/tmp/somewhere\n")
  out = aelab("-e", "local o = require('aelab').options; print(o.quick, o.out)")
  lu.assertEquals(out, "false\tout\n")
end

function TestHost:testScriptFromStdin()
  local out, err, code = H.run("echo 'print(6 * 7)' | " .. H.q(bin))
  lu.assertEquals(code, 0, err)
  lu.assertEquals(out, "42\n")
end

function TestHost:testFindsItsLuaFromElsewhere()
  -- the Lua half is found beside the binary, not through the working directory
  local abs = bin:sub(1, 1) == "/" and bin or (os.getenv("PWD") .. "/" .. bin)
  local out, err, code = H.run("cd / && " .. H.q(abs) .. " -e " ..
    H.q("print(tostring(require('aelab').Dense(3, 2)))") .. " </dev/null")
  lu.assertEquals(code, 0, err)
  lu.assertEquals(out, "Dense(3→2)\n")
end

-- The test runner's "Ran N tests in T seconds" is wall time (issue 19: it
-- said 0.9 s for a 26 s run, counting this process's CPU alone). A nested
-- run of one test whose work is in a child process: its T covers that work.
function TestHost:testRunnerTimesTheWallClock()
  local sys = require "aelab.sys"
  local t0 = sys.clock()
  local out, err = aelab("tests/run.lua", "TestHelp.test_examples_run")
  local wall = sys.clock() - t0
  local ran = tonumber(out:match("Ran 1 tests in ([%d%.]+) seconds"))
  lu.assertNotNil(ran, out .. err)
  lu.assertTrue(ran > 0.3, string.format("the run took %.2f s of wall time, reported %.3f s", wall, ran))
  lu.assertTrue(ran <= wall, string.format("reported %.2f s, more than the %.2f s it took", ran, wall))
  lu.assertTrue(ran >= 0.5 * wall - 0.5, string.format("reported %.2f s of %.2f s", ran, wall))
end
