-- Lessons run end to end in --quick mode, as a student would run them.
local lu = require "luaunit"

local bin = os.getenv("AELAB_BIN") or "./aelab"

local function tmpdir()
  local p = io.popen("mktemp -d")
  local d = p:read("l")
  p:close()
  return d
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- PNG: signature, then IHDR with width and height (big-endian).
local function png_size(path)
  local s = read(path)
  if not s or s:sub(1, 8) ~= "\137PNG\r\n\26\n" then return nil end
  return string.unpack(">I4", s, 17), string.unpack(">I4", s, 21)
end

local function run(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

TestLesson01 = {}

function TestLesson01:testQuickRunWritesEverything()
  local out = tmpdir()
  local ok, text = run(string.format("%s --quick --out %q lessons/01_undercomplete.lua", bin, out))
  lu.assertTrue(ok, "lesson 01 failed:\n" .. text)
  local dir = out .. "/01_undercomplete/"
  for _, f in ipairs { "loss.png", "reconstructions.png", "latent.png" } do
    local w, h = png_size(dir .. f)
    lu.assertNotNil(w, f .. " is missing or not a PNG")
    lu.assertTrue(w >= 300 and h >= 100, string.format("%s is only %dx%d", f, w, h))
    lu.assertNotNil(read(dir .. f:gsub("%.png$", ".gp")), f .. " has no .gp script beside it")
    lu.assertStrContains(text, dir .. f, false)
  end
  local metrics = read(dir .. "metrics.json")
  lu.assertNotNil(metrics, "no metrics.json")
  for _, key in ipairs { "train_loss", "val_loss", "epochs", "seconds", "samples_per_s", "parameters" } do
    lu.assertStrContains(metrics, '"' .. key .. '"')
  end
  lu.assertStrContains(metrics, '"parameters": 50992')
  local val = tonumber(metrics:match('"val_loss": ([%d%.]+)'))
  lu.assertTrue(val and val < 0.69, "validation loss did not drop below chance: " .. tostring(val))
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "![")
  lu.assertStrContains(report, "val_loss")
  lu.assertStrContains(read(out .. "/README.md"), "01_undercomplete/report.md")
  -- the narration tells where things went
  lu.assertStrContains(text, "Report: " .. dir .. "report.md")
  os.execute(string.format("rm -rf %q", out))
end

function TestLesson01:testWithoutGnuplotStillWritesMetrics()
  local out = tmpdir()
  local ok, text = run(string.format("AELAB_GNUPLOT=/nonexistent/gnuplot %s --quick --out %q lessons/01_undercomplete.lua",
    bin, out))
  lu.assertTrue(ok, "lesson 01 failed without gnuplot:\n" .. text)
  local dir = out .. "/01_undercomplete/"
  lu.assertNotNil(read(dir .. "metrics.json"))
  lu.assertNil(read(dir .. "loss.png"))
  lu.assertNotNil(read(dir .. "loss.gp"), "the figure's script and data are still written")
  local _, notices = text:gsub("gnuplot not found", "")
  lu.assertEquals(notices, 1, "the missing gnuplot is said exactly once")
  lu.assertStrContains(read(dir .. "report.md"), "skipped")
  os.execute(string.format("rm -rf %q", out))
end
