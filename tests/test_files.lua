-- Files and processes (issue 10): no path or label reaches a shell; every
-- file is written whole or not at all; a run's results survive its figures,
-- a full or read-only disk and a failing gnuplot; aelab's options after a
-- lesson are used, never ignored.
--
-- A full or read-only disk is simulated by build/libenospc.so
-- (tests/preload/enospc.c, LD_PRELOADed; `make test` names it in
-- AELAB_SHIM) and a failing gnuplot by tests/fake-gnuplot (AELAB_GNUPLOT).
local lu = require "luaunit"
local ae = require "aelab"
local sys = require "aelab.sys"
local H = require "helpers"

local bin, read, q = H.BIN, H.read, H.q
local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "tests"
local FAKE_GNUPLOT = here .. "/fake-gnuplot"

local function shim()
  local s = os.getenv("AELAB_SHIM") or "build/libenospc.so"
  lu.skipIf(not read(s), "no " .. s .. " (make builds it)")
  if s:sub(1, 1) ~= "/" then s = os.getenv("PWD") .. "/" .. s end
  -- a sanitized aelab wants its runtime first; the shim is loaded beside it
  return "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=" .. q(s)
end

-- Every file under dir (recursively, hidden ones too), as {path = size}.
local function files_under(dir, acc)
  acc = acc or {}
  for _, e in ipairs(sys.listdir(dir) or {}) do
    local p = dir .. "/" .. e.name
    if e.dir then files_under(p, acc)
    else
      local f = io.open(p, "rb")
      acc[p] = f and f:seek("end") or -1
      if f then f:close() end
    end
  end
  return acc
end

local function assert_no_empty_files(dir)
  for p, size in pairs(files_under(dir)) do
    lu.assertTrue(size > 0, "a 0-byte file was left: " .. p)
    lu.assertNil(p:find("%.tmp%-%d+"), "a temporary file was left: " .. p)
  end
end

-- metrics.json as written by aelab/json.lua: one object, closed.
local function assert_whole_json(path)
  local s = read(path)
  if not s then return end
  lu.assertStrMatches(s, "^{.*}\n$", nil, nil, "half-written " .. path .. ":\n" .. s)
end

local function run(cmd)
  local out, err, code = H.run(cmd)
  return code, out .. err
end

-- A lesson of our own in <dir>/lessons/: no training, for the folder logic.
local function tiny_lesson(dir, body)
  sys.mkdir(dir .. "/lessons")
  local path = dir .. "/lessons/99_tiny.lua"
  H.write_file(path, [[
local ae = require "aelab"
local L = ae.Lesson.new { name = "99_tiny", title = "Tiny" }
L:metric("val_loss", 0.25, "a number")
]] .. (body or "") .. "\n")
  return path
end

local function outdir(class)
  function class:setUp() self.dir = H.tmpdir() end
  function class:tearDown() H.rmdir(self.dir) end
  return class
end

---------------------------------------------------------------------------
-- No shell
---------------------------------------------------------------------------
TestNoShell = outdir {}

-- No source that a run loads builds a command line.
function TestNoShell:testNoShellInTheSources()
  local hits = {}
  for _, folder in ipairs { "bindings", "bindings/aelab", "plots", "lessons" } do
    for _, e in ipairs(sys.listdir(folder) or {}) do
      if e.name:match("%.lua$") then
        local path = folder .. "/" .. e.name
        local n = 0
        for line in ((read(path) or "") .. "\n"):gmatch("([^\n]*)\n") do
          n = n + 1
          local opens_for_writing = line:find("io.open(", 1, true) and line:find("[\"']w")
          if line:find("os.execute", 1, true) or line:find("io.popen", 1, true) or opens_for_writing then
            hits[#hits + 1] = path .. ":" .. n .. ": " .. line
          end
        end
      end
    end
  end
  lu.assertEquals(hits, {}, "a shell or a file written in place:\n" .. table.concat(hits, "\n"))
end

-- The issue's case: `--out 'x$(touch PWNED)y'` ran the command.
function TestNoShell:testOutFolderIsNotAShellCommand()
  local out = self.dir .. "/x$(touch " .. self.dir .. "/PWNED)y"
  local code, text = run(string.format("%s --quick --out %s lessons/03_letters.lua", bin, q(out)))
  lu.assertEquals(code, 0, text)
  lu.assertNil(read(self.dir .. "/PWNED"), "the --out path ran a command")
  lu.assertNotNil(read(out .. "/03_letters/metrics.json"), "the lesson wrote into the folder named as given")
  lu.assertNotNil(read(out .. "/README.md"))
  -- lesson 03's backtick letter keeps its caption: the script re-renders by hand
  local gp = read(out .. "/03_letters/reconstructions.gp")
  lu.assertStrContains(gp, "set label '`'")
  local _, err, rc = H.run(string.format("cd %s && gnuplot reconstructions.gp", q(out .. "/03_letters")))
  lu.assertEquals(rc, 0, err)
  lu.assertNotStrContains(err, "Unterminated quoted string")
end

-- A title with backquotes: neither drawing nor re-drawing by hand runs it.
function TestNoShell:testBackquotesInTitlesDoNotRun()
  lu.skipIf(not ae.plot.available(), "gnuplot is not installed")
  local pwned = self.dir .. "/PWNED"
  local evil = "`touch " .. pwned .. "` it's \"a\" \\ \n2nd line"
  local out = self.dir .. "/t.png"
  local made, why = ae.plot.history({ loss = { 3, 2, 1 }, val_loss = { 3, 2, 1 } },
    { out = out, title = evil, ylabel = evil })
  lu.assertEquals(made, out, tostring(why))
  lu.assertNil(read(pwned), "the title ran a command")
  local made2 = ae.plot.images(ae.rand(2, 35), { out = self.dir .. "/i.png", image = { 7, 5 }, captions = { evil, "`" },
    title = evil })
  lu.assertNotNil(made2)
  lu.assertNil(read(pwned), "a caption ran a command")
  for _, gp in ipairs { "t.gp", "i.gp" } do
    local _, err, rc = H.run(string.format("cd %s && gnuplot %s", q(self.dir), gp))
    lu.assertEquals(rc, 0, gp .. ": " .. err)
  end
  lu.assertNil(read(pwned), "re-rendering the .gp ran a command")
end

function TestNoShell:testOptionsThatAreGnuplotSyntaxAreWordsOnly()
  H.error_containing(lu, "only letters, digits", ae.plot.series, { { y = { 1, 2 } } },
    { out = self.dir .. "/s.png", key = "top; system 'touch x'" })
end

function TestNoShell:testSysHelpers()
  local d = self.dir .. "/a/b/c"
  lu.assertTrue(sys.mkdir(d))
  lu.assertTrue(sys.mkdir(d), "an existing folder is fine")
  lu.assertTrue(sys.write_file(d .. "/f", "one ", "two"))
  lu.assertEquals(read(d .. "/f"), "one two")
  local ok, err = sys.mkdir(d .. "/f/g")
  lu.assertNil(ok)
  lu.assertStrContains(err, d .. "/f")
  local list = sys.listdir(self.dir .. "/a/b")
  lu.assertEquals(list, { { name = "c", dir = true } })
  lu.assertNil((sys.listdir(self.dir .. "/none")))
  lu.assertEquals(sys.which("sh"):match("[^/]*$"), "sh")
  lu.assertNil((sys.which("no-such-program-here")))
  -- a child from an argv: no shell between, status and stderr come back
  local p = assert(sys.spawn({ "sh", "-c", 'cat >/dev/null; echo "$0 says no" >&2; exit 3', "a b;$(x)" },
    { stderr = "capture" }))
  p:write("data\n")
  local okc, how, code, text = p:close()
  lu.assertEquals({ okc, how, code }, { false, "exit", 3 })
  lu.assertEquals(text, "a b;$(x) says no\n")
  local none, why = sys.spawn({ self.dir .. "/no-such-program" })
  lu.assertNil(none)
  lu.assertStrContains(why, "No such file")
  -- replace_dir swaps a whole folder in
  sys.mkdir(self.dir .. "/new")
  sys.write_file(self.dir .. "/new/n", "new")
  lu.assertTrue(sys.replace_dir(self.dir .. "/new", self.dir .. "/a"))
  lu.assertEquals(sys.listdir(self.dir .. "/a"), { { name = "n", dir = false } })
  lu.assertNil((sys.listdir(self.dir .. "/new")))
end

---------------------------------------------------------------------------
-- Whole files, full and read-only disks
---------------------------------------------------------------------------
TestFullDisk = outdir {}

function TestFullDisk:testWriteFileKeepsTheOldFile()
  local env = shim()
  local f = self.dir .. "/kept.txt"
  H.write_file(f, "old contents")
  local chunk = string.format("print(require('aelab.sys').write_file(%q, string.rep('x', 5000)))", f)
  local code, text = run(string.format("AELAB_FULL_DIR=%s AELAB_FULL_AFTER=100 %s %s -e %s", q(self.dir), env, bin, q(chunk)))
  lu.assertEquals(code, 0, text)
  lu.assertStrContains(text, "nil\tcannot write " .. f .. ": No space left on device")
  lu.assertEquals(read(f), "old contents")
  assert_no_empty_files(self.dir)
end

-- Lesson 01 on a full disk: fails, says so naming the file, leaves no 0-byte
-- file and no half-written metrics.json, and the last complete run stays.
function TestFullDisk:testLessonOnAFullDisk()
  local env = shim()
  local old = self.dir .. "/01_undercomplete"
  sys.mkdir(old)
  H.write_file(old .. "/metrics.json", '{"old": true}\n')
  local code, text = run(string.format("AELAB_FULL_DIR=%s AELAB_FULL_AFTER=20000 %s %s --quick --out %s lessons/01_undercomplete.lua",
    q(self.dir), env, bin, q(self.dir)))
  lu.assertNotEquals(code, 0, "a full disk must fail the run:\n" .. text)
  lu.assertStrMatches(text, ".*cannot write " .. self.dir:gsub("%p", "%%%0") .. "/[^:]+: No space left on device.*")
  lu.assertNotStrContains(text, "Done in")
  assert_no_empty_files(self.dir)
  for p in pairs(files_under(self.dir)) do
    if p:match("metrics%.json$") then assert_whole_json(p) end
  end
  lu.assertEquals(read(old .. "/metrics.json"), '{"old": true}\n', "the last complete run was touched")
  -- what it did finish is kept, marked
  local report = read(self.dir .. "/01_undercomplete.incomplete/report.md")
  lu.assertNotNil(report, "the stopped run's report")
  -- marked as not finished (the disk was too full to write "Incomplete" over it)
  lu.assertTrue((report:find("**In progress", 1, true) or report:find("**Incomplete", 1, true)) ~= nil, report)
  lu.assertStrContains(read(self.dir .. "/01_undercomplete.incomplete/metrics.json"), '"val_loss"')
end

function TestFullDisk:testReadOnlyOutFolder()
  local env = shim()
  local code, text = run(string.format("AELAB_FULL_DIR=%s AELAB_READONLY=1 %s %s --quick --out %s lessons/01_undercomplete.lua",
    q(self.dir), env, bin, q(self.dir .. "/out")))
  lu.assertNotEquals(code, 0, text)
  lu.assertStrContains(text, "cannot create the folder " .. self.dir .. "/out: Read-only file system")
  lu.assertNotStrContains(text, "Training", "it stops before training")
end

-- Without root a plain chmod makes a read-only folder too.
function TestFullDisk:testUnwritableOutFolder()
  local _, _, c = H.run("test \"$(id -u)\" -ne 0")
  lu.skipIf(c ~= 0, "root writes into read-only folders")
  sys.mkdir(self.dir .. "/ro")
  os.execute("chmod a-w " .. q(self.dir .. "/ro"))
  local code, text = run(string.format("%s --quick --out %s lessons/01_undercomplete.lua", bin, q(self.dir .. "/ro")))
  os.execute("chmod u+w " .. q(self.dir .. "/ro"))
  lu.assertNotEquals(code, 0, text)
  lu.assertStrContains(text, "cannot write into the output folder " .. self.dir .. "/ro")
  lu.assertStrContains(text, "Permission denied")
end

---------------------------------------------------------------------------
-- A run's results survive its figures
---------------------------------------------------------------------------
TestSurvive = outdir {}

function TestSurvive:testFailingGnuplot()
  local code, text = run(string.format("FAKE_GNUPLOT=fail AELAB_GNUPLOT=%s %s --quick --out %s lessons/01_undercomplete.lua",
    q(FAKE_GNUPLOT), bin, q(self.dir)))
  lu.assertEquals(code, 0, "a failing figure must not end the lesson:\n" .. text)
  local dir = self.dir .. "/01_undercomplete/"
  assert_whole_json(dir .. "metrics.json")
  lu.assertStrContains(read(dir .. "metrics.json"), '"val_loss"')
  local report = read(dir .. "report.md")
  lu.assertNotNil(report)
  lu.assertStrContains(text, "figure failed: " .. dir .. "loss.png")
  lu.assertStrContains(text, "this gnuplot always fails")
  lu.assertStrContains(report, "**failed** — gnuplot failed")
  lu.assertNotStrContains(report, "![")
  lu.assertNil(read(dir .. "loss.png"))
  lu.assertNotStrContains(report, "In progress")
  assert_no_empty_files(self.dir)
end

-- A gnuplot that exits 0 but leaves an empty file (and junk on its stdout):
-- no 0-byte PNG, none listed, no junk on the terminal.
function TestSurvive:testEmptyFigureIsNeverListed()
  local code, text = run(string.format("FAKE_GNUPLOT=empty AELAB_GNUPLOT=%s %s --quick --out %s lessons/01_undercomplete.lua",
    q(FAKE_GNUPLOT), bin, q(self.dir)))
  lu.assertEquals(code, 0, text)
  lu.assertNotStrContains(text, "PNG garbage")
  lu.assertStrContains(text, "gnuplot wrote an empty file")
  local dir = self.dir .. "/01_undercomplete/"
  lu.assertNil(read(dir .. "loss.png"))
  lu.assertNotStrContains(read(dir .. "report.md"), "![")
  lu.assertNotStrContains(read(self.dir .. "/README.md"), "![](")
  assert_no_empty_files(self.dir)
end

-- A lesson that dies after its numbers: they are on disk, marked, and the
-- last complete run is untouched.
function TestSurvive:testStoppedLessonKeepsItsWork()
  local script = tiny_lesson(self.dir, 'L:save()\nerror("boom")')
  local out = self.dir .. "/out"
  sys.mkdir(out .. "/99_tiny")
  H.write_file(out .. "/99_tiny/report.md", "# old run\n")
  local code, text = run(string.format("%s --out %s %s", bin, q(out), q(script)))
  lu.assertNotEquals(code, 0)
  lu.assertStrContains(text, "boom")
  lu.assertStrContains(text, "what it made is in " .. out .. "/99_tiny.incomplete")
  lu.assertEquals(read(out .. "/99_tiny/report.md"), "# old run\n")
  lu.assertStrContains(read(out .. "/99_tiny.incomplete/report.md"), "Incomplete")
  lu.assertStrContains(read(out .. "/99_tiny.incomplete/metrics.json"), '"val_loss": 0.25')
  lu.assertEquals(#sys.listdir(out), 2, "no partial folder left")
end

-- A finished run replaces the folder whole: an old run's files do not mix in.
function TestSurvive:testFinishedRunReplacesTheFolderWhole()
  local script = tiny_lesson(self.dir, "L:finish()")
  local out = self.dir .. "/out"
  sys.mkdir(out .. "/99_tiny")
  H.write_file(out .. "/99_tiny/stale.png", "old")
  sys.mkdir(out .. "/99_tiny.incomplete")
  local code, text = run(string.format("%s --out %s %s", bin, q(out), q(script)))
  lu.assertEquals(code, 0, text)
  lu.assertNil(read(out .. "/99_tiny/stale.png"), "an old run's file mixed in")
  lu.assertNotNil(read(out .. "/99_tiny/report.md"))
  lu.assertNotStrContains(read(out .. "/99_tiny/report.md"), "In progress")
  local names = {}
  for _, e in ipairs(sys.listdir(out)) do names[#names + 1] = e.name end
  lu.assertEquals(names, { "99_tiny", "README.md" }, "no partial or superseded incomplete folder left")
end

-- One empty report.md in out/ made every later lesson fail (lesson.lua:134).
function TestSurvive:testEmptyReportIsSkippedInTheIndex()
  local script = tiny_lesson(self.dir, "L:finish()")
  local out = self.dir .. "/out"
  sys.mkdir(out .. "/00_broken")
  H.write_file(out .. "/00_broken/report.md", "")
  local code, text = run(string.format("%s --out %s %s", bin, q(out), q(script)))
  lu.assertEquals(code, 0, text)
  lu.assertStrContains(text, "note: out/README.md does not list `00_broken/report.md` (empty)")
  local index = read(out .. "/README.md")
  lu.assertStrContains(index, "(99_tiny/report.md)")
  lu.assertStrContains(index, "Not listed")
end

---------------------------------------------------------------------------
-- aelab's options after the script
---------------------------------------------------------------------------
TestOptionsAfterScript = outdir {}

local SHOW = [[
local ae = require "aelab"
print("quick=" .. tostring(ae.options.quick), "out=" .. ae.options.out, "n=" .. #arg, ...)
]]

function TestOptionsAfterScript:testLessonTakesAelabOptionsAfterIt()
  sys.mkdir(self.dir .. "/lessons")
  local script = self.dir .. "/lessons/show.lua"
  H.write_file(script, SHOW)
  local code, text = run(string.format("%s %s 5 --quick --out D --seed 3 b", bin, q(script)))
  lu.assertEquals(code, 0, text)
  lu.assertStrContains(text, "quick=true\tout=D\tn=2\t5\tb")
  -- after `--`, everything is the lesson's
  code, text = run(string.format("%s %s --quick -- --out x", bin, q(script)))
  lu.assertEquals(code, 0, text)
  lu.assertStrContains(text, "quick=true\tout=out\tn=2\t--out\tx")
  -- an unknown one is refused, not ignored
  code, text = run(string.format("%s %s --quik", bin, q(script)))
  lu.assertEquals(code, 2)
  lu.assertStrContains(text, "unknown option '--quik' after the lesson")
end

-- From inside lessons/ (the real folder counts, not how the path is
-- written), and a lesson kept elsewhere refuses aelab's options after it.
-- A fit that diverges inside a lesson is in its report and metrics.
function TestOptionsAfterScript:testDivergedFitIsInTheReport()
  local script = tiny_lesson(self.dir, [[
local x = ae.rand(64, 8)
local net = ae.Autoencoder { encoder = { ae.Dense(8, 3), ae.Sigmoid() }, decoder = { ae.Dense(3, 8), ae.Sigmoid() } }
local h = net:fit(x, { epochs = 3, batch = 16, loss = "bce", optimizer = ae.optim.Adam { lr = 1e6 }, verbose = false })
L:finish()
]])
  local code, text = run(string.format("%s --out %s %s", bin, q(self.dir .. "/out"), q(script)))
  lu.assertEquals(code, 0, text)
  local report = H.read(self.dir .. "/out/99_tiny/report.md")
  lu.assertStrContains(report, "## Training notes")
  lu.assertStrContains(report, "diverged")
  lu.assertStrContains(H.read(self.dir .. "/out/99_tiny/metrics.json"), '"training_notes": "training stopped after epoch')
end

function TestOptionsAfterScript:testLessonFolderByItsRealPath()
  sys.mkdir(self.dir .. "/lessons")
  H.write_file(self.dir .. "/lessons/show.lua", SHOW)
  local abs = bin:sub(1, 1) == "/" and bin or (os.getenv("PWD") .. "/" .. bin)
  local code, text = run(string.format("cd %s && %s show.lua --quick", q(self.dir .. "/lessons"), abs))
  lu.assertEquals(code, 0, text)
  lu.assertStrContains(text, "quick=true")
  local elsewhere = tiny_lesson(self.dir):gsub("/lessons/", "/")
  H.write_file(elsewhere, H.read(tiny_lesson(self.dir)))
  code, text = run(string.format("%s %s --quick", bin, q(elsewhere)))
  lu.assertNotEquals(code, 0, text)
  lu.assertStrContains(text, "--quick after the lesson's file is aelab's option, not the lesson's: put it before")
end

function TestOptionsAfterScript:testOtherScriptsKeepTheirArguments()
  local script = self.dir .. "/show.lua"
  H.write_file(script, SHOW)
  local code, text = run(string.format("%s %s --quick --out D", bin, q(script)))
  lu.assertEquals(code, 0, text)
  lu.assertStrContains(text, "quick=false\tout=out\tn=3\t--quick\t--out\tD")
end

function TestOptionsAfterScript:testHelpSaysTheRule()
  local code, text = run(bin .. " --help")
  lu.assertEquals(code, 0)
  lu.assertStrContains(text, "except for a lesson")
  lu.assertStrContains(text, "--             ends aelab's options")
end
