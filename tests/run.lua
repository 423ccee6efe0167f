-- Runs every tests/test_*.lua suite in one LuaUnit run and ends with the
-- line "N passed, N failed". Exits non-zero on any failure or error.
--   ./aelab tests/run.lua [luaunit options] [TestName ...]
local lu = require "luaunit"

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
local status = runner:runSuite(table.unpack(arg))
local r = runner.result
local failed = r.failureCount + r.errorCount
local passed = r.runCount - failed
print(string.format("%d passed, %d failed", passed, failed))
os.exit((status == 0 and failed == 0) and 0 or 1)
