-- The gnuplot engine under every figure: finding gnuplot, the terminal for
-- an output file, a figure under construction (commands, text datablocks,
-- binary sources), string escaping, writing the .gp script and its data
-- beside the figure, and the one pipe that renders it. Data goes inline
-- through the pipe (datablocks for text, binary for images). Without gnuplot
-- the run goes on: one notice, no figures, the .gp files still written.
local E = {}

-- Colours for up to ten classes (matplotlib's tab10: tell classes apart).
E.colors = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf" }

-- the gnuplot to run: AELAB_GNUPLOT, for tests and odd installs
local function gnuplot_cmd() return os.getenv("AELAB_GNUPLOT") or "gnuplot" end

local available -- nil: not checked yet
local warned = false

function E.available()
  if available == nil then
    local ok = os.execute("command -v " .. gnuplot_cmd() .. " >/dev/null 2>&1")
    available = ok and true or false
  end
  return available
end

-- Tests use this to pretend gnuplot is missing.
function E._set_available(v) available = v end

local function skip_notice()
  if not warned then
    io.stderr:write("note: gnuplot not found, figures are skipped (install it: sudo apt-get install gnuplot-nox)\n")
    warned = true
  end
end

-- A plot's own copy of the caller's options: it fills in sizes and
-- captions, which must not leak into the table the caller reuses.
local function own(o)
  local c = {}
  for k, v in pairs(o or {}) do c[k] = v end
  return c
end

local function dirname(path) return path:match("^(.*)/[^/]*$") or "." end
local function stem(path) return (path:gsub("%.[^./]*$", "")) end

local function terminal_for(o)
  local w, h = table.unpack(o.size or { 800, 600 })
  local term = o.terminal
  if not term and o.out then
    local ext = o.out:match("%.(%w+)$")
    term = ({ png = "pngcairo", svg = "svg", pdf = "pdfcairo" })[ext] or "pngcairo"
  end
  if term == "pngcairo" then
    return string.format("set terminal pngcairo size %d,%d enhanced font 'DejaVu Sans,11'", w, h)
  elseif term == "svg" then
    return string.format("set terminal svg size %d,%d enhanced font 'DejaVu Sans,11' background '#ffffff'", w, h)
  elseif term == "pdfcairo" then
    return string.format("set terminal pdfcairo size %gin,%gin enhanced font 'DejaVu Sans,9'", w / 100, h / 100)
  elseif term then
    return "set terminal " .. term
  end
  -- no file: a window when there is a display, text in the terminal otherwise
  if os.getenv("DISPLAY") and os.getenv("DISPLAY") ~= "" then return "set terminal qt persist" end
  local cols = 100
  return string.format("set terminal dumb size %d,%d", cols, 30)
end

---------------------------------------------------------------------------
-- A figure under construction: commands, text datablocks and binary sources.
---------------------------------------------------------------------------
local Figure = {}
Figure.__index = Figure

function E.figure(o)
  return setmetatable({ o = o or {}, lines = {}, blocks = {}, binaries = {} }, Figure)
end

function Figure:cmd(fmt, ...)
  self.lines[#self.lines + 1] = select("#", ...) > 0 and string.format(fmt, ...) or fmt
end

-- A text datablock $name with the given lines.
function Figure:block(name, rows)
  self.blocks[#self.blocks + 1] = { name = name, rows = rows }
end

-- A binary source; returns a token to put in a plot command where the file
-- name goes ('-' in the pipe, a .bin file in the saved script).
function Figure:binary(bytes)
  self.binaries[#self.binaries + 1] = bytes
  return "@BIN" .. #self.binaries .. "@"
end

-- A gnuplot string literal: double quotes, with \ and " escaped.
local function quote(s) return '"' .. tostring(s):gsub('[\\"]', "\\%0") .. '"' end
E.quote = quote

-- The script, for the pipe (inline binary) or for the .gp file (data files).
function Figure:script(for_file, base)
  local out = {}
  for _, b in ipairs(self.blocks) do
    out[#out + 1] = "$" .. b.name .. " << EOD"
    for _, r in ipairs(b.rows) do out[#out + 1] = r end
    out[#out + 1] = "EOD"
  end
  for _, l in ipairs(self.lines) do
    out[#out + 1] = (l:gsub("@BIN(%d+)@", function(i)
      if for_file then return quote(base .. ".data" .. i .. ".bin") end
      return "'-'"
    end))
  end
  return table.concat(out, "\n") .. "\n"
end

-- Renders through gnuplot; writes figure.gp (+ data) beside o.out.
-- Returns the output path, or nil and a reason.
function Figure:render()
  local o = self.o
  if o.out then
    os.execute(string.format("mkdir -p %q", dirname(o.out)))
    local base = stem(o.out)
    local gp = io.open(base .. ".gp", "w")
    if gp then
      local name = base:match("[^/]*$")
      gp:write("# Re-render with: gnuplot ", name, ".gp (from this folder)\n")
      gp:write(terminal_for(o), "\n", "set output ", quote(o.out:match("[^/]*$")), "\n")
      gp:write(self:script(true, name), "unset output\n")
      gp:close()
      for i, bytes in ipairs(self.binaries) do
        local f = io.open(base .. ".data" .. i .. ".bin", "wb")
        if f then f:write(bytes) f:close() end
      end
    end
  end
  if not E.available() then
    skip_notice()
    return nil, "gnuplot is not installed"
  end
  local errfile = os.tmpname()
  local pipe = io.popen(gnuplot_cmd() .. " 2>" .. errfile, "w")
  if not pipe then
    os.remove(errfile)
    return nil, "cannot start gnuplot"
  end
  pipe:write(terminal_for(o), "\n")
  if o.out then pipe:write("set output ", quote(o.out), "\n") end
  -- binary data follows the plot command that reads it, in order
  local script = self:script(false)
  local i = 0
  for line in script:gmatch("([^\n]*)\n") do
    pipe:write(line, "\n")
    for _ in line:gmatch("'%-' binary") do
      i = i + 1
      pipe:write(self.binaries[i])
    end
  end
  if o.out then pipe:write("unset output\n") end
  pipe:write("exit\n")
  local ok, _, code = pipe:close()
  local f = io.open(errfile)
  local err = f and f:read("a") or ""
  if f then f:close() end
  os.remove(errfile)
  if not ok then
    error(string.format("gnuplot failed (exit %s) drawing %s:\n%s", tostring(code), o.out or "a figure", err), 3)
  end
  return o.out or true
end

local function common(fig, o)
  if o.title then fig:cmd("set title %s noenhanced", quote(o.title)) end
  fig:cmd("set key noenhanced") -- run labels and class names are data, drawn as written
  for i, c in ipairs(E.colors) do fig:cmd("set linetype %d lc rgb '%s' lw 2 pt 7", i, c) end
end

E.own, E.common = own, common

return E
