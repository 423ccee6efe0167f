-- What every lesson shares: its output folder, narration, figures, a
-- metrics table, report.md, metrics.json, and the index out/README.md.
--
--   local L = ae.Lesson.new{name = "01_undercomplete", title = "...", question = "..."}
--   L:say("Training ...");  L:figure("loss.png", "Loss curves", ae.plot.history(h, {out = L:path("loss.png")}))
--   L:metric("val_loss", 0.29, "validation BCE");  L:finish()
local ae = require "aelab"
local json = require "aelab.json"

local Lesson = {}
Lesson.__index = Lesson

local function mkdir(dir)
  local ok = os.execute(string.format("mkdir -p %q", dir))
  if not ok then error("cannot create the folder " .. dir .. " (is the disk full or read-only?)", 3) end
end

function Lesson.new(o)
  require("aelab.optcheck").check("Lesson.new", o, { "name", "question", "title" }, 2)
  assert(type(o) == "table" and o.name, "Lesson.new: needs a name")
  local self = setmetatable({}, Lesson)
  self.name, self.title, self.question = o.name, o.title or o.name, o.question
  self.quick = ae.options.quick
  self.root = ae.options.out or "out"
  self.dir = self.root .. "/" .. o.name
  mkdir(self.dir)
  self.figures, self.metrics, self.order, self.sections, self.descriptions = {}, {}, {}, {}, {}
  self.t0 = ae.clock()
  local rule = string.rep("─", 72)
  print(rule)
  print(self.title .. (self.quick and "   [--quick: a small, fast run]" or ""))
  if self.question then print("\n" .. self.question) end
  print(rule)
  return self
end

-- Narration: printed now (the report holds metrics, sections and figures).
function Lesson:say(fmt, ...)
  local text = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  print(text)
  io.stdout:flush()
end

function Lesson:path(file) return self.dir .. "/" .. file end

-- Records a figure (file name inside the lesson folder) for the report.
-- `made` is what the plot function returned: nil when figures were skipped.
function Lesson:figure(file, caption, made)
  self.figures[#self.figures + 1] = { file = file, caption = caption, made = made ~= nil }
  if made then print("  figure: " .. self:path(file) .. " — " .. caption) end
end

-- A metric: key for metrics.json, value, and a description for the report.
function Lesson:metric(key, value, description)
  if self.metrics[key] == nil then self.order[#self.order + 1] = key end
  self.metrics[key] = value
  self.descriptions[key] = description or key
end

-- A free markdown section in the report (a table, a note).
function Lesson:section(heading, markdown)
  self.sections[#self.sections + 1] = { heading = heading, body = markdown }
end

local function fmt_value(v)
  if type(v) == "number" then
    if math.type(v) == "integer" then return ae.commas(v) end
    if math.abs(v) >= 1000 then return ae.commas(math.floor(v + 0.5)) end
    return string.format("%.4g", v)
  end
  return tostring(v)
end

local function write_file(path, text)
  local f, err = io.open(path, "w")
  if not f then error("cannot write " .. path .. ": " .. tostring(err), 3) end
  f:write(text)
  f:close()
end

-- Writes report.md and metrics.json, updates out/README.md, says where.
function Lesson:finish()
  self:metric("seconds_total", ae.clock() - self.t0, "wall-clock seconds of the whole lesson")
  self:metric("quick", self.quick, "run with --quick")
  local md = { "# " .. self.title, "" }
  if self.question then md[#md + 1] = self.question; md[#md + 1] = "" end
  md[#md + 1] = string.format("Run: `./aelab %slessons/%s.lua` — aelab %s, BLIS kernels %s, %d threads, seed %d, %s.",
    self.quick and "--quick " or "", self.name, ae.version, ae.blas().arch, ae.threads(), ae.options.seed,
    os.date("!%Y-%m-%d %H:%M UTC"))
  md[#md + 1] = ""
  md[#md + 1] = "## Metrics"
  md[#md + 1] = ""
  md[#md + 1] = "| metric | value | key in metrics.json |"
  md[#md + 1] = "|---|---|---|"
  for _, k in ipairs(self.order) do
    md[#md + 1] = string.format("| %s | %s | `%s` |", self.descriptions[k], fmt_value(self.metrics[k]), k)
  end
  for _, s in ipairs(self.sections) do
    md[#md + 1] = ""
    md[#md + 1] = "## " .. s.heading
    md[#md + 1] = ""
    md[#md + 1] = s.body
  end
  md[#md + 1] = ""
  md[#md + 1] = "## Figures"
  for _, f in ipairs(self.figures) do
    md[#md + 1] = ""
    if f.made then
      md[#md + 1] = string.format("![%s](%s)", f.caption, f.file)
      md[#md + 1] = ""
      md[#md + 1] = string.format("*%s* (`%s`; restyle with `gnuplot %s`)", f.caption, f.file,
        (f.file:gsub("%.%w+$", ".gp")))
    else
      md[#md + 1] = string.format("*%s*: skipped (gnuplot was not available); the data is in `%s`.", f.caption,
        (f.file:gsub("%.%w+$", ".gp")))
    end
  end
  write_file(self:path("report.md"), table.concat(md, "\n") .. "\n")
  write_file(self:path("metrics.json"), json.encode(self.metrics, "  ") .. "\n")
  self:update_index()
  print(string.rep("─", 72))
  print(string.format("Done in %.1f s. Report: %s, metrics: %s", self.metrics.seconds_total, self:path("report.md"),
    self:path("metrics.json")))
end

-- out/README.md lists every lesson that has a metrics.json, with its
-- headline figure and numbers.
function Lesson:update_index()
  local entries = {}
  local p = io.popen(string.format("ls -d %q/*/ 2>/dev/null", self.root))
  for d in p:lines() do
    local name = d:match("([^/]+)/$")
    local f = io.open(self.root .. "/" .. name .. "/report.md")
    if f then
      local title = f:read("l"):gsub("^# ", "")
      local text = f:read("a")
      f:close()
      local fig = text:match("!%[[^%]]*%]%(([^)]+)%)")
      local jf = io.open(self.root .. "/" .. name .. "/metrics.json")
      local headline = jf and jf:read("a") or ""
      if jf then jf:close() end
      -- the lesson's own "val_loss", else the first key ending in val_loss
      local val = headline:match('"val_loss":%s*([%d%.e%-]+)') or headline:match('val_loss":%s*([%d%.e%-]+)')
      if val then val = string.format("%.4f", tonumber(val)) end
      entries[#entries + 1] = { name = name, title = title, fig = fig, val = val }
    end
  end
  p:close()
  table.sort(entries, function(a, b) return a.name < b.name end)
  local md = { "# aelab lessons that have run", "", "| lesson | validation loss | headline figure |", "|---|---|---|" }
  for _, e in ipairs(entries) do
    md[#md + 1] = string.format("| [%s](%s/report.md) | %s | %s |", e.title, e.name, e.val or "—",
      e.fig and string.format("![](%s/%s)", e.name, e.fig) or "—")
  end
  write_file(self.root .. "/README.md", table.concat(md, "\n") .. "\n")
end

return Lesson
