-- Runs the C tests (when the Makefile names their binary), then every
-- tests/test_*.lua suite in one LuaUnit run, and ends with one line
-- "N passed, N failed" over both. Exits non-zero on any failure or error.
--   ./aelab tests/run.lua [luaunit options] [TestName ...]
--   AELAB_CHECK_BIN=build/check ./aelab tests/run.lua      (what make test does)
-- With arguments (a selection of Lua tests, as test_conv.lua's nested runs
-- pass) the C tests are skipped.
local lu = require "luaunit"

-- The C binary (tests/c) first: its output as it is, its counts kept for the
-- final line. The path comes from our Makefile; it is still checked to be a
-- plain relative or absolute path before it reaches io.popen's shell.
local function run_c_tests(bin)
  if not bin:match("^[%w_./-]+$") then
    print("C tests: AELAB_CHECK_BIN='" .. bin .. "' is not a plain path; not run")
    return 0, 1
  end
  -- The host's BLIS set-up exported BLIS_ARCH_TYPE and BLIS_NUM_THREADS,
  -- which the child would inherit; without them the C tests choose their
  -- kernels as a fresh process does (on AVX-512: skx and zen3 mixed).
  local p = assert(io.popen("env -u BLIS_ARCH_TYPE -u BLIS_NUM_THREADS " .. bin .. " 2>&1"))
  local passed, failed
  for line in p:lines() do
    print(line)
    local a, b = line:match("^(%d+) passed, (%d+) failed$")
    if a then passed, failed = tonumber(a), tonumber(b) end
  end
  local ok, how, code = p:close()
  if not passed then
    print(string.format("C tests: %s ended (%s %s) without its summary line", bin, how, tostring(code)))
    return 0, 1
  end
  if not ok and failed == 0 then
    print(string.format("C tests: %s exited with %s %s after reporting no failure", bin, how, tostring(code)))
    failed = 1
  end
  return passed, failed
end

local c_passed, c_failed = 0, 0
local check_bin = os.getenv("AELAB_CHECK_BIN")
if #arg > 0 then check_bin = nil end
if check_bin and check_bin ~= "" then c_passed, c_failed = run_c_tests(check_bin) end

local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path

local files = {}
local p = io.popen('ls "' .. here .. '"/test_*.lua 2>/dev/null')
for f in p:lines() do files[#files + 1] = f end
p:close()
table.sort(files)
if #files == 0 then
  print("no test files found in " .. here)
  print("0 passed, 1 failed")
  os.exit(1)
end
for _, f in ipairs(files) do dofile(f) end

local runner = lu.LuaUnit.new()
runner:setOutputType("text")
-- LuaUnit times the run with os.clock (CPU time of this process, which
-- omits the lessons' child processes and waits): its "Ran N tests in T
-- seconds" line read 0.9 s for a 26 s run. A monotonic wall clock instead.
local cpu_clock = os.clock
os.clock = require("aelab.sys").clock
local status = runner:runSuite(table.unpack(arg))
os.clock = cpu_clock
local r = runner.result
local failed = r.failureCount + r.errorCount
local passed = r.runCount - failed
if check_bin and check_bin ~= "" then
  print(string.format("C: %d passed, %d failed; Lua: %d passed, %d failed", c_passed, c_failed, passed, failed))
end
print(string.format("%d passed, %d failed", passed + c_passed, failed + c_failed))
os.exit((status == 0 and failed + c_failed == 0) and 0 or 1)
