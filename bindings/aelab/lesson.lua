-- What every lesson shares: its output folder, narration, figures, a
-- metrics table, report.md, metrics.json, and the index out/README.md.
--
--   local L = ae.Lesson.new{name = "01_undercomplete", title = "...", question = "..."}
--   L:say("Training ...");  L:figure("loss.png", "Loss curves", ae.plot.history(h, {out = L:path("loss.png")}))
--   L:metric("val_loss", 0.29, "validation BCE");  L:finish()
local ae = require "aelab"
local json = require "aelab.json"

local sys = require "aelab.sys"
-- Messages: English is the msgid; po/<lang>.po translates (README "Languages").
local i18n = require "aelab.i18n"
local T, F, P, N_ = i18n.T, i18n.F, i18n.P, i18n.N_

local Lesson = {}
Lesson.__index = Lesson
local current -- the lesson this script runs, for on_interrupt

-- A run writes into a folder of its own, out/.<name>.partial-<pid>, and
-- finish moves it over out/<name> whole: an old run's files never mix with
-- a new one's, and a run that stops halfway leaves out/<name> as it was.
-- What a stopped run made is kept as out/<name>.incomplete (abandon).
-- report.md and metrics.json are rewritten as results come in, so a run
-- that dies while drawing still has its numbers on disk.
-- aelab's own options: after a script the host takes them only for files
-- in a folder named lessons; anywhere else they would be silently a lesson's.
local HOST_OPTIONS = { ["--quick"] = true, ["--out"] = true, ["--seed"] = true, ["--threads"] = true,
  ["--blis"] = true, ["--lang"] = true, ["--show"] = true, ["--version"] = true, ["--help"] = true }

function Lesson.new(o)
  require("aelab.optcheck").check("Lesson.new", o, { "name", "question", "title" }, 2)
  assert(type(o) == "table" and o.name, "Lesson.new: needs a name")
  for _, a in ipairs(arg or {}) do
    if HOST_OPTIONS[a] then
      error(string.format("%s after the lesson's file is aelab's option, not the lesson's: put it before " ..
        "(./aelab %s %s), or keep the lesson in a folder named lessons", a, a, arg[0] or "lesson.lua"), 2)
    end
  end
  local self = setmetatable({}, Lesson)
  self.name, self.title, self.question = o.name, o.title or o.name, o.question
  self.quick = ae.options.quick
  self.root = ae.options.out or "out"
  self.final = self.root .. "/" .. o.name
  -- one run of a sweep (aelab --run DIR): the run's folder is the lesson's
  local run = ae.options.run and ae.options.run:gsub("/+$", "")
  if run then self.root, self.final, self.run = run:match("^(.*)/[^/]+$") or ".", run, true end
  -- under mpirun only rank 0 writes and speaks: the others' files go to a
  -- scratch folder, removed at finish
  local launched, rank = require("aelab.mpi").launched()
  if launched and rank ~= 0 then
    self.rank, self.run = rank, true
    self.root = string.format("%s/aelab-rank%d-%d", os.getenv("TMPDIR") or "/tmp", rank, sys.getpid())
    self.final = self.root .. "/" .. o.name
  end
  local ok, err = sys.mkdir(self.root)
  if not ok then error(err .. " (the output folder, --out)", 2) end
  -- a sweep's run writes straight into its folder: the runner made it, keeps
  -- its settings, state and log there, and starts a failed run afresh
  self.dir = self.run and self.final or string.format("%s/.%s.partial-%d", self.root, o.name, sys.getpid())
  if not self.run then sys.remove_tree(self.dir) end -- a leftover of an earlier process with our pid
  ok, err = sys.mkdir(self.dir)
  if not ok then error(string.format("cannot write into the output folder %s: %s", self.root, err), 2) end
  self.figures, self.metrics, self.order, self.sections, self.descriptions = {}, {}, {}, {}, {}
  self.t0 = ae.clock()
  current = self
  local rule = string.rep("─", 72)
  if self.rank then return self end
  print(rule)
  print(self.title .. (self.quick and T"   [--quick: a small, fast run]" or ""))
  if self.question then print("\n" .. self.question) end
  print(rule)
  return self
end

-- A lesson dropped without finish (an error ended the script): what it
-- made is kept, marked incomplete, without touching the last full run.
function Lesson:__gc()
  if not self.done then self:abandon(N_"the lesson stopped before the end (an error, see above)") end
end

-- Narration: printed now (the report holds metrics, sections and figures).
-- With arguments fmt is formatted as i18n.fmt does (the language's decimal
-- sign); a lesson passes it translated: L:say(T"loss %.4f", v).
function Lesson:say(fmt, ...)
  if self.rank then return end
  local text = select("#", ...) > 0 and i18n.fmt(fmt, ...) or fmt
  print(text)
  io.stdout:flush()
end

-- Where the lesson writes `file` now (its own folder until finish).
function Lesson:path(file) return self.dir .. "/" .. file end

-- Records a figure (file name inside the lesson folder) for the report.
-- `made, why` are what the plot function returned: the path, or nil and
-- why (gnuplot missing: skipped; anything else: failed, said here and in
-- the report, and the lesson goes on). The report is rewritten.
function Lesson:figure(file, caption, made, why)
  local f = { file = file, caption = caption, made = made ~= nil }
  self.figures[#self.figures + 1] = f
  if made then
    if not self.rank then print(F("  figure: %s — %s", self.final .. "/" .. file, caption)) end
    -- --show: the figure in the terminal too, as it is written (chafa)
    if ae.options.show and not self.rank and type(made) == "string" and made:match("%.png$") then
      local ok, err = require("plots.engine").show_saved(made)
      if not ok then io.stderr:write(F("  cannot show %s: %s", file, tostring(err)) .. "\n") end
    end
  elseif why and not tostring(why):find("gnuplot is not installed", 1, true) then
    f.failed = tostring(why)
    io.stderr:write(F("  figure failed: %s/%s — %s", self.final, file, f.failed) .. "\n")
  end
  self:save()
end

-- Saves a trained model beside the figures as <name>.safetensors (name made
-- file-safe: "DAE trained at 0.5" → dae-trained-at-0-5) and lists it in the
-- report; a model that cannot be written is reported and the lesson goes on.
-- `label` (optional) is what the report and the narration show, in the
-- student's language: L:save_model(net, "mnist deep", F("deep autoencoder
-- on %s", "MNIST")). The file name always comes from `name`, which stays
-- English so scripts find the file whatever the language; without a label
-- the report shows `name`. Returns whether the file was written.
function Lesson:save_model(net, name, label)
  local file = tostring(name):lower():gsub("[^%w]+", "-"):gsub("^%-+", ""):gsub("%-+$", "") .. ".safetensors"
  local ok, err = net:save(self:path(file))
  self.models = self.models or {}
  -- name: what the report shows (the label, else the name the file comes from)
  self.models[#self.models + 1] = { file = file, name = label ~= nil and tostring(label) or name,
    error = not ok and tostring(err) or nil }
  if self.rank then return ok end
  -- the path, then what it is when the lesson said it (else the path says it)
  if ok then print(F("  model: %s", self.final .. "/" .. file) .. (label ~= nil and (" — " .. tostring(label)) or ""))
  else print(F("  model %s not saved: %s", file, tostring(err))) end
  return ok
end

-- A metric: key for metrics.json, value, and a description for the report.
function Lesson:metric(key, value, description)
  if self.metrics[key] == nil then self.order[#self.order + 1] = key end
  self.metrics[key] = value
  self.descriptions[key] = description or key
end

-- The lesson's explanations (markdown): what it does and why, the settings
-- and where they come from. The report puts them after the question.
function Lesson:explain(markdown)
  self.explanations = self.explanations or {}
  self.explanations[#self.explanations + 1] = markdown
end

-- A free markdown section in the report (a table, a note).
function Lesson:section(heading, markdown)
  self.sections[#self.sections + 1] = { heading = heading, body = markdown }
end

local function fmt_value(v)
  if type(v) == "number" then
    if math.type(v) == "integer" or math.abs(v) >= 1000 then return i18n.int(v) end
    return i18n.num(v, "%.4g")
  end
  if type(v) == "boolean" then return v and P("metric value", "true") or P("metric value", "false") end
  return (tostring(v):gsub("|", "\\|")) -- a bar would end the table cell
end

local function write_file(path, text)
  local ok, err = sys.write_file(path, text)
  if not ok then error(err, 3) end
end

-- The first line of a message, for a report's table cell or a caption.
local function first_line(s) return (tostring(s):match("^[^\n]*")) end

-- report.md as it stands: `status` says when the run is not complete.
function Lesson:report(status)
  local md = { "# " .. self.title, "" }
  if self.question then md[#md + 1] = self.question; md[#md + 1] = "" end
  if status then md[#md + 1] = "**" .. status .. "**"; md[#md + 1] = "" end
  md[#md + 1] = F("Run: `./aelab %slessons/%s.lua` — aelab %s, BLIS kernels %s, %d threads, seed %d, %s.",
    (self.quick and "--quick " or "") .. (i18n.lang ~= "en" and ("--lang " .. i18n.lang .. " ") or ""), self.name, ae.version, ae.blas().arch, ae.threads(), ae.options.seed,
    os.date("!%Y-%m-%d %H:%M UTC"))
  md[#md + 1] = ""
  if self.explanations then
    md[#md + 1] = "## " .. T"About this lesson"
    md[#md + 1] = ""
    md[#md + 1] = table.concat(self.explanations, "\n\n")
    md[#md + 1] = ""
  end
  md[#md + 1] = "## " .. T"Metrics"
  md[#md + 1] = ""
  md[#md + 1] = T"| metric | value | key in metrics.json |"
  md[#md + 1] = "|---|---|---|"
  for _, k in ipairs(self.order) do
    -- a text value may have its own words for the report (training_notes)
    local shown = fmt_value(self.shown_values and self.shown_values[k] or self.metrics[k])
    md[#md + 1] = string.format("| %s | %s | `%s` |", self.descriptions[k], shown, k)
  end
  for _, s in ipairs(self.sections) do
    md[#md + 1] = ""
    md[#md + 1] = "## " .. s.heading
    md[#md + 1] = ""
    md[#md + 1] = s.body
  end
  if self.models then
    md[#md + 1] = ""
    md[#md + 1] = "## " .. T"Models"
    md[#md + 1] = ""
    md[#md + 1] = T"Trained models (safetensors; `ae.load(path)` in aelab, `scripts/read-model.py` with numpy):"
    md[#md + 1] = ""
    for _, m in ipairs(self.models) do
      md[#md + 1] = m.error and F("- %s: not saved (%s)", m.name, first_line(m.error))
        or string.format("- [`%s`](%s): %s", m.file, m.file, m.name)
    end
  end
  md[#md + 1] = ""
  md[#md + 1] = "## " .. T"Figures"
  for _, f in ipairs(self.figures) do
    md[#md + 1] = ""
    local gp = f.file:gsub("%.%w+$", ".gp")
    if f.made then
      md[#md + 1] = string.format("![%s](%s)", f.caption, f.file)
      md[#md + 1] = ""
      md[#md + 1] = F("*%s* (`%s`; restyle with `gnuplot %s`)", f.caption, f.file, gp)
    elseif f.failed then
      md[#md + 1] = F("*%s*: **failed** — %s (`%s`; its script is `%s`).", f.caption,
        first_line(f.failed), f.file, gp)
    else
      md[#md + 1] = F("*%s*: skipped (gnuplot was not available); the data is in `%s`.", f.caption, gp)
    end
  end
  return table.concat(md, "\n") .. "\n"
end

-- Writes report.md and metrics.json into the lesson's folder as they stand
-- (each whole or not at all); raises naming the file when one cannot be.
function Lesson:save(status)
  if not self.done then status = status or T"In progress: this run has not finished." end
  write_file(self:path("report.md"), self:report(status))
  write_file(self:path("metrics.json"), json.encode(self.metrics, "  ") .. "\n")
end

-- Writes the final report.md and metrics.json, moves the run's folder over
-- out/<name>, updates out/README.md, says where.
function Lesson:finish()
  self:metric("seconds_total", ae.clock() - self.t0, T"wall-clock seconds of the whole lesson")
  self:metric("quick", self.quick, T"run with --quick")
  self.done = true
  local ok, err = pcall(self.save, self)
  if ok and not self.run then ok, err = sys.replace_dir(self.dir, self.final) end
  if not ok then
    self.done = false -- __gc keeps what was made, as .incomplete
    error(err, 2)
  end
  self.dir = self.final
  if self.rank then return sys.remove_tree(self.root) end -- not rank 0: nothing is kept
  sys.remove_tree(self.final .. ".incomplete") -- an earlier stopped run, now superseded
  if not self.run then self:update_index() end -- a sweep's runs are listed by its manifest
  print(string.rep("─", 72))
  print(F("Done in %.1f s. Report: %s, metrics: %s", self.metrics.seconds_total, self:path("report.md"),
    self:path("metrics.json")))
end

-- A run that will not finish (an error, an interruption): its report and
-- metrics say why, its folder becomes out/<name>.incomplete, out/<name>
-- keeps the last complete run. Never raises: it runs from __gc too.
-- `reason` is English in metrics.json and translated (T) elsewhere: pass
-- a message marked with N_ when it is a fixed one.
function Lesson:abandon(reason)
  if self.done then return end
  self.done = true
  reason = reason or N_"the lesson stopped before the end"
  local notes = {}
  self.metrics.incomplete = reason
  self.order[#self.order + 1] = "incomplete"
  self.descriptions.incomplete = T"why this run is incomplete"
  local ok, err = pcall(self.save, self, F("Incomplete: %s.", T(reason)))
  if not ok then notes[#notes + 1] = tostring(err) end
  local kept = self.final .. ".incomplete"
  local moved, why = true, nil
  if self.run then kept = self.dir -- the sweep's state.json says the run is incomplete
  else moved, why = sys.replace_dir(self.dir, kept) end
  if not moved then kept, notes[#notes + 1] = self.dir, why end
  io.stderr:write(F("note: %s; what it made is in %s (%s keeps the last complete run)%s", T(reason), kept,
    self.final, #notes > 0 and ("; " .. table.concat(notes, "; ")) or "") .. "\n")
  return kept
end

-- fit calls this when a run of it stopped early (divergence) or warned (no
-- validation, no checkpoint): the running lesson's report says so, in a
-- section of its own and in metrics.json's "training_notes" (in English
-- there, as every value of metrics.json).
function Lesson.note_training(history)
  if not current or current.done then return end
  local note = history.stopped and string.format("training stopped after epoch %d: %s", history.epochs,
    history.stopped) or history.warning
  -- fit keeps each message twice: English (above) and in the student's language
  local shown = history.stopped and F("training stopped after epoch %d: %s", history.epochs,
    history.stopped_shown or T(history.stopped)) or history.warning_shown or T(history.warning)
  current.notes, current.shown = current.notes or {}, current.shown or {}
  current.notes[#current.notes + 1] = note
  current.shown[#current.shown + 1] = shown
  current.metrics.training_notes = table.concat(current.notes, "; ")
  current.shown_values = current.shown_values or {}
  current.shown_values.training_notes = table.concat(current.shown, "; ")
  if #current.notes == 1 then
    current.order[#current.order + 1] = "training_notes"
    current.descriptions.training_notes = T"what fit reported (its numbers are partial)"
    current:section(T"Training notes", "")
  end
  for _, s in ipairs(current.sections) do
    if s.heading == T"Training notes" then s.body = "- " .. table.concat(current.shown, "\n- ") end
  end
  print(F("  note: %s", shown))
end

-- Ctrl-C in a lesson: the host (bindings/main.c) calls this. The run is
-- abandoned as "interrupted", with the epochs of the fit it stopped, and
-- kept as out/<name>.incomplete. Returns that folder (nil when no lesson ran).
function Lesson.on_interrupt()
  if not current then return nil end
  if current.done then return current.dir end
  local guard = require "aelab.guard"
  local h = guard.interrupted_history
  if h then
    current:metric("epochs_done", h.epochs, T"epochs finished before the interrupt")
    current:section(T"Training by epoch (interrupted)", guard.history_table(h))
  end
  return current:abandon(N_"interrupted")
end

-- out/README.md lists every lesson that has a metrics.json, with its
-- headline figure and numbers.
function Lesson:update_index()
  local entries, skipped = {}, {}
  local list, err = sys.listdir(self.root)
  if not list then error(err, 2) end
  for _, d in ipairs(list) do
    local name = d.name
    -- runs in progress (.x.partial-pid) and stopped ones (x.incomplete) are not lessons that have run
    if d.dir and not name:find("^%.") and not name:find("%.incomplete$") then
      local f = io.open(self.root .. "/" .. name .. "/report.md", "rb")
      local text = f and f:read("a")
      if f then f:close() end
      local title = text and text:match("^# ([^\n]+)")
      if text and not title then
        skipped[#skipped + 1] = string.format("`%s/report.md` (%s)", name, #text == 0 and "empty" or "no title line")
      elseif title then
        local fig = text:match("!%[[^%]]*%]%(([^)]+)%)")
        local jf = io.open(self.root .. "/" .. name .. "/metrics.json", "rb")
        local headline = jf and jf:read("a") or ""
        if jf then jf:close() end
        -- the lesson's own "val_loss", else the first key ending in val_loss; what it measures
        -- from the report's metrics table, so unlike losses are not read as comparable
        local key = headline:match('"(val_loss)":') or headline:match('"([%w_]*val_loss)":')
        local val = key and headline:match('"' .. key .. '":%s*([%d%.eE+%-]+)')
        val = val and tonumber(val)
        local what = key and text:match("\n| ([^|\n]+) | [^|\n]+ | `" .. key .. "` |")
        local quick = headline:match('"quick":%s*true') ~= nil
        local epochs = headline:match('"epochs":%s*(%d+)')
        entries[#entries + 1] = { name = name, title = title, fig = fig, val = val and string.format("%.4f", val),
          what = what, run = (quick and "**--quick**" or "full") .. (epochs and (", " .. epochs .. " epochs") or "") }
      end
    end
  end
  local md = { "# aelab lessons that have run", "",
    "Each lesson's headline loss, with what it measures: losses compare only where that column matches (the same " ..
    "loss on the same data, per pixel), and a `--quick` run (small data, few epochs) is not comparable with a full one.",
    "", "| lesson | run | headline loss | what it measures | headline figure |", "|---|---|---:|---|---|" }
  for _, e in ipairs(entries) do
    md[#md + 1] = string.format("| [%s](%s/report.md) | %s | %s | %s | %s |", e.title, e.name, e.run, e.val or "—",
      e.what or "—", e.fig and string.format("![](%s/%s)", e.name, e.fig) or "—")
  end
  if #skipped > 0 then
    md[#md + 1] = ""
    md[#md + 1] = "Not listed, their report is unreadable: " .. table.concat(skipped, ", ") .. "."
    io.stderr:write("note: out/README.md does not list " .. table.concat(skipped, ", ") .. "\n")
  end
  write_file(self.root .. "/README.md", table.concat(md, "\n") .. "\n")
end

return Lesson
