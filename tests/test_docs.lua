-- The README stays true (issue 19): its ```lua blocks run (tests/doctest.lua,
-- in a scratch folder, data sets shortened), and its table of the lessons'
-- arguments matches what the lessons read.
local lu = require "luaunit"
local H = require "helpers"

TestDocs = {}

local here = os.getenv("PWD") or "."
-- the binary from inside a scratch folder
local BIN = H.BIN:sub(1, 1) == "/" and H.BIN or here .. "/" .. H.BIN:gsub("^%./", "")

local function readme() return assert(H.read("README.md"), "run the tests from the repository root") end

function TestDocs:test_readme_blocks_run()
  local dir = H.tmpdir()
  local out, err, code = H.run(string.format("cd %s && %s --threads 1 %s %s 2>&1", H.q(dir), H.q(BIN),
    H.q(here .. "/tests/doctest.lua"), H.q(here .. "/README.md")))
  local summary = out:match("doctest: %d+ blocks ran, %d+ skipped")
  if code ~= 0 or not summary then
    H.rmdir(dir)
    lu.fail("README doc-test failed:\n" .. out:sub(-3000) .. (err or ""))
  end
  print("\n  " .. summary)
  -- every block ran but the ones marked, and each mark gives a reason
  local blocks, marked = 0, 0
  for block in readme():gmatch("\n```lua\n(.-)\n```") do
    blocks = blocks + 1
    local first = block:match("^[^\n]*")
    if first:match("^%-%- %(not run by the doc%-test") then
      marked = marked + 1
      lu.assertNotNil(first:match("^%-%- %(not run by the doc%-test: .*%w.*%)$"), "a skip says why: " .. first)
    end
  end
  lu.assertEquals(summary, string.format("doctest: %d blocks ran, %d skipped", blocks - marked, marked))
  lu.assertTrue(blocks - marked >= 9, "the README's blocks run, not skipped")
  lu.assertTrue(marked <= 1, "skips stay the exception (only the one needing the user's recordings)")
  -- what the snippets say they write is there, as real PNGs
  for _, f in ipairs { "recon.png", "vae.png", "loss.png", "codes.png", "plane.png", "slice.png", "both.png" } do
    local w = H.png_size(dir .. "/" .. f)
    lu.assertNotNil(w, f .. " written by the README's snippet")
  end
  for _, f in ipairs { "ae.safetensors", "codes.npy", "ckpt/latest.safetensors" } do
    lu.assertNotNil(H.read(dir .. "/" .. f), f)
  end
  H.rmdir(dir)
end

-- A doc-test that fails says where: the block's line and the error.
function TestDocs:test_doctest_reports_a_failing_block()
  local dir = H.tmpdir()
  H.write_file(dir .. "/doc.md", "text\n\n```lua\nae> x = 1 + 1\nae> x\n```\n\n```lua\n" ..
    "-- (not run by the doc-test: a demonstration)\nerror('never')\n```\n\n```lua\nlocal y = nil + 1\n```\n")
  local out, _, code = H.run(string.format("cd %s && %s %s doc.md 2>&1", H.q(dir), H.q(BIN),
    H.q(here .. "/tests/doctest.lua")))
  H.rmdir(dir)
  lu.assertEquals(code, 1)
  lu.assertStrContains(out, "doctest: block 1 (line 4) ok")
  lu.assertStrContains(out, "doctest: block 2 (line 9) skipped")
  lu.assertStrContains(out, "doctest: block 3 (line 14) failed:")
  lu.assertStrContains(out, "attempt to perform arithmetic on a nil value")
end

-- The README's table of lesson arguments is the lessons' own defaults.
function TestDocs:test_lesson_arguments_documented()
  local text = readme()
  local p = io.popen("ls lessons/*.lua")
  local seen = 0
  for f in p:lines() do
    local name = f:match("lessons/(.-)%.lua$")
    local src = H.read(f)
    local q, d = src:match("epochs = tonumber%(arg and arg%[1%]%) or %(quick and (%d+) or (%d+)%)")
    if q then
      seen = seen + 1
      lu.assertStrContains(text, string.format("| `%s` | epochs | %s | %s |", name, d, q))
    else
      lu.assertNil(src:find("arg[", 1, true), name .. " reads an argument the README does not list")
      lu.assertNil(text:find("| `" .. name .. "` | epochs", 1, true), name .. " takes no epochs argument")
    end
  end
  p:close()
  lu.assertTrue(seen >= 7)
end

-- The API reference (make docs: scripts/docs.lua, LDoc): it builds with no
-- public function undocumented and no LDoc warning, its index lists the
-- main modules, and a page holds a call's options as ae.help gives them.
function TestDocs:test_api_reference_builds()
  if os.execute("command -v ldoc >/dev/null 2>&1") ~= true then lu.fail("ldoc is not installed (lua-ldoc)") end
  local dir = H.tmpdir()
  local out, err, code = H.run(string.format("%s scripts/docs.lua %s", H.q(H.BIN), H.q(dir .. "/docs")))
  local index = H.read(dir .. "/docs/index.html") or ""
  local model = H.read(dir .. "/docs/modules/Model.html") or ""
  local data = H.read(dir .. "/docs/modules/ae.data.html") or ""
  H.rmdir(dir)
  lu.assertEquals(code, 0, out .. err)
  lu.assertStrContains(out, "docs: ")
  for _, m in ipairs { "ae", "Model", "Tensor", "Layer", "ae.data", "ae.optim", "ae.plot", "ae.image" } do
    lu.assertStrContains(index, string.format('<a href="modules/%s.html">%s</a>', m, m))
  end
  lu.assertStrContains(model, "net:fit(x, opts)")
  lu.assertStrContains(model, "epochs = 10")
  lu.assertStrContains(data, "test_limit = limit")
  lu.assertStrContains(data, "there is no y")
  -- the count per module is what the API has (none dropped on the way)
  local n = tonumber(out:match("Model (%d+)"))
  local methods = 0
  for _, v in pairs(require("aelab.model").metatable.__index) do
    if type(v) == "function" then methods = methods + 1 end
  end
  lu.assertEquals(n, methods)
end

-- A public function with no documentation stops the build, naming it.
function TestDocs:test_api_reference_refuses_undocumented()
  local dir = H.tmpdir()
  local out, err, code = H.run(string.format("%s -e %s", H.q(H.BIN), H.q(
    "ae.data.undocumented_here = function() end; arg = {[0] = 'scripts/docs.lua', " ..
    string.format("%q", dir .. "/docs") .. "}; dofile('scripts/docs.lua')")))
  H.rmdir(dir)
  lu.assertNotEquals(code, 0)
  lu.assertStrContains(err, "no documentation for 1 public functions")
  lu.assertStrContains(err, "ae.data.undocumented_here")
  lu.assertEquals(out, "")
end
