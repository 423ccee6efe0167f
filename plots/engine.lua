-- The gnuplot engine under every figure: finding gnuplot, the terminal for
-- an output file, a figure under construction (commands, text datablocks,
-- binary sources), string escaping, writing the .gp script and its data
-- beside the figure, and the one pipe that renders it. Data goes inline
-- through the pipe (datablocks for text, binary for images). Without gnuplot
-- the run goes on: one notice, no figures, the .gp files still written.
--
-- No shell is involved: gnuplot is found on PATH and started from an argv
-- array (aelab.sys.spawn), folders are made from C, every file is written
-- whole or not at all (aelab.sys.write_file), and every string that goes
-- into a script is a single-quoted gnuplot string (no backquote runs).
-- A figure is drawn to a temporary name and renamed once gnuplot exits 0
-- and the file is not empty; a failure returns nil and gnuplot's message.
local sys = require "aelab.sys"
local term = require "aelab.term"

local E = {}

-- Colours for up to ten classes (matplotlib's tab10: tell classes apart).
E.colors = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf" }

-- the gnuplot to run: AELAB_GNUPLOT (a program name or path, no
-- arguments), for tests and odd installs
local function gnuplot_cmd()
  local g = os.getenv("AELAB_GNUPLOT")
  return (g and g ~= "") and g or "gnuplot"
end

local available -- nil: not checked yet
local warned = false

function E.available()
  if available == nil then available = sys.which(gnuplot_cmd()) ~= nil end
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
    return "set terminal " .. E.words(term, "terminal")
  end
  -- no file: a window when there is a display, text in the terminal otherwise
  if E.is_text(o) then return E.text_terminal() end
  return "set terminal qt persist"
end

-- Whether a figure is drawn as text in the terminal: no file, no terminal
-- asked for, no display.
function E.is_text(o)
  return not o.out and not o.terminal and (os.getenv("DISPLAY") or "") == ""
end

-- The text figure: as wide as the terminal says (COLUMNS, LINES), in
-- colour on a terminal (ansi256; plain text into a file or pipe, or with
-- NO_COLOR set). The dumb terminal draws each line type with a character
-- of its own (*, #, $, ...), so series on distinct line types differ even
-- without colour.
function E.text_terminal()
  local cols = math.tointeger(tonumber(os.getenv("COLUMNS") or "")) or 100
  local rows = math.tointeger(tonumber(os.getenv("LINES") or "")) or 31
  cols, rows = math.max(40, math.min(cols, 300)), math.max(15, math.min(rows - 1, 80))
  local colour = sys.isatty(1) and (os.getenv("NO_COLOR") or "") == "" and "ansi256" or "mono"
  return string.format("set terminal dumb size %d,%d %s", cols, rows, colour)
end

---------------------------------------------------------------------------
-- A figure under construction: commands, text datablocks and binary sources.
---------------------------------------------------------------------------
local Figure = {}
Figure.__index = Figure

-- kind "picture": images, mosaics, heat maps, which the text terminal
-- cannot draw; without a file they are shown by chafa (E.show), not as text.
function E.figure(o, kind)
  return setmetatable({ o = o or {}, kind = kind, lines = {}, blocks = {}, binaries = {} }, Figure)
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

-- A gnuplot string literal. Single quotes: gnuplot substitutes `command`
-- inside double-quoted strings (running it), nothing inside single quotes,
-- where only ' itself is special. gnuplot's '' for ' fails at the start of
-- a string ('''n''' is an error), so a ' or a line break is joined in as
-- "'" or "\n" (double-quoted, without backquotes) by gnuplot's `.`, which
-- concatenates strings: it's → 'it'."'".'s'.
local function quote(s)
  s = tostring(s):gsub("\r\n?", "\n")
  local parts = {}
  for run, special in s:gmatch("([^'\n]*)(['\n]?)") do
    if run ~= "" then parts[#parts + 1] = "'" .. run .. "'" end
    if special == "'" then parts[#parts + 1] = [["'"]] elseif special == "\n" then parts[#parts + 1] = [["\n"]] end
  end
  return #parts > 0 and table.concat(parts, ".") or "''"
end
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

-- Options that go into a script as gnuplot syntax (terminal, key position,
-- log axes, alignment) may hold words, numbers and commas only: a quote,
-- a backquote or a `;` would let an option run commands (`system`).
function E.words(s, what)
  s = tostring(s)
  if s:find("[^%w%s%.,:#%-%+_]") then
    error(string.format("plot option %s = %q: only letters, digits, spaces and .,:#-+_ are allowed", what, s), 3)
  end
  return s
end

-- Whether gnuplot's file is whole: not empty, and for the formats we know
-- ending as they must (gnuplot exits 0 even when its file was cut short on
-- a full disk): a PNG with its IEND chunk, a PDF with %%EOF, an SVG with
-- </svg>. Returns true, or false and what is wrong.
local function whole(path, name)
  local f = io.open(path, "rb")
  if not f then return false, "no file" end
  local n = f:seek("end")
  if n == 0 then f:close() return false, "an empty file" end
  f:seek("set", math.max(0, n - 32))
  local tail = f:read("a")
  f:seek("set", 0)
  local head = f:read(8)
  f:close()
  if head == "\137PNG\r\n\26\n" and tail:sub(-8) ~= "IEND\174\066\096\130" then return false, "a PNG cut short" end
  if head:sub(1, 5) == "%PDF-" and not tail:find("%%EOF", 1, true) then return false, "a PDF cut short" end
  if name:match("%.svg$") and not tail:find("</svg>", 1, true) then return false, "an SVG cut short" end
  return true
end

-- Writes figure.gp and its data files beside o.out; nil and why on failure.
local function save_script(self, o)
  local ok, err = sys.mkdir(dirname(o.out))
  if not ok then return nil, err end
  local base = stem(o.out)
  local name = base:match("[^/]*$")
  ok, err = sys.write_file(base .. ".gp", "# Re-render with: gnuplot ", name, ".gp (from this folder)\n",
    terminal_for(o), "\n", "set output ", quote(o.out:match("[^/]*$")), "\n", self:script(true, name), "unset output\n")
  if not ok then return nil, err end
  for i, bytes in ipairs(self.binaries) do
    ok, err = sys.write_file(base .. ".data" .. i .. ".bin", bytes)
    if not ok then return nil, err end
  end
  return true
end

-- Feeds the script to a started gnuplot; binary data follows the plot
-- command that reads it, in order. Write failures stay in the process and
-- come out of close.
local function feed(self, pipe, o, target, terminal)
  pipe:write(terminal or terminal_for(o), "\n")
  if target then pipe:write("set output ", quote(target), "\n") end
  local script = self:script(false)
  local i = 0
  for line in script:gmatch("([^\n]*)\n") do
    if not pipe:write(line, "\n") then return end
    for _ in line:gmatch("'%-' binary") do
      i = i + 1
      if not pipe:write(self.binaries[i]) then return end
    end
  end
  if target then pipe:write("unset output\n") end
  pipe:write("exit\n")
end

-- What a figure drawn in the terminal or a window returns: true as a
-- value (`assert(ae.plot.history(h))` holds), printed by print as what it
-- means, and by the REPL not at all (aelab/pretty.lua skips a value whose
-- metatable has __aelab_quiet): no stray `true` under each figure.
E.shown = setmetatable({}, { __tostring = function() return "(figure shown)" end, __aelab_quiet = true,
  __newindex = function() error("the figure-shown marker is read-only", 2) end })

-- Renders through gnuplot; writes figure.gp (+ data) beside o.out.
-- Returns the output path (E.shown without one), or nil and a reason: a
-- missing gnuplot, a file that cannot be written, gnuplot's own error.

-- Runs gnuplot on the figure into the file target (its stdout goes nowhere,
-- so a picture that lost its file never lands on the terminal) and checks
-- the file is whole; true, or nil and why, with target removed. what names
-- the figure in messages; terminal: a set-terminal line (o's by default).
local function draw_into(self, target, what, terminal)
  local pipe, err = sys.spawn({ gnuplot_cmd() }, { stdout = "null", stderr = "capture" })
  if not pipe then
    os.remove(target) -- os.tmpname's file, when the caller made one
    return nil, err
  end
  feed(self, pipe, self.o, target, terminal)
  local ok, how, code, text = pipe:close()
  local why
  if not ok then
    why = string.format("gnuplot failed (%s %s) drawing %s:\n%s", how, tostring(code), what, text)
  else
    local good, bad = whole(target, what)
    if not good then why = string.format("gnuplot wrote %s for %s%s", bad, what, text ~= "" and (":\n" .. text) or "") end
  end
  if why then
    os.remove(target)
    return nil, why
  end
  return true
end

function Figure:render()
  local o = self.o
  if E.is_text(o) and (self.kind == "picture" or E.pixels()) then return self:show() end
  if o.out then
    local ok, err = save_script(self, o)
    if not ok then return nil, err end
  end
  if not E.available() then
    skip_notice()
    return nil, "gnuplot is not installed"
  end
  -- with a file: drawn into a temporary name beside o.out, renamed when whole
  if o.out then
    local target = string.format("%s.tmp-%d", o.out, sys.getpid())
    local drawn, err = draw_into(self, target, o.out)
    if not drawn then return nil, err end
    local moved, why = os.rename(target, o.out)
    if not moved then
      os.remove(target)
      return nil, "cannot write " .. o.out .. ": " .. tostring(why)
    end
    return o.out
  end
  -- without a file: the text plot or window, shown
  local pipe, err = sys.spawn({ gnuplot_cmd() }, { stdout = "inherit", stderr = "capture" })
  if not pipe then return nil, err end
  feed(self, pipe, o)
  local ok, how, code, text = pipe:close()
  if not ok then return nil, string.format("gnuplot failed (%s %s) drawing a figure:\n%s", how, tostring(code), text) end
  return E.shown
end

---------------------------------------------------------------------------
-- Pictures in the terminal (aelab.term, chafa): a PNG drawn with sixels or
-- kitty's graphics where the terminal has them, else with Unicode symbols in
-- colour; plain symbols, without colour sequences, into a pipe or a file or
-- with NO_COLOR set.
---------------------------------------------------------------------------
local function picture_mode()
  return (sys.isatty(1) and (os.getenv("NO_COLOR") or "") == "") and "auto" or "plain"
end

-- Whether this terminal shows real pixels (sixels, kitty): then charts too
-- are drawn as pictures, with their text legible.
function E.pixels()
  return picture_mode() == "auto" and term.graphics() ~= "symbols"
end

-- The cells a picture may take: the terminal's width, and its height less
-- two lines (the prompt stays in view); into a pipe COLUMNS (or 100) wide,
-- LINES tall when set.
local function cells()
  local cols, rows = term.size(1)
  if not cols then
    cols = math.tointeger(tonumber(os.getenv("COLUMNS") or "")) or 100
    rows = math.tointeger(tonumber(os.getenv("LINES") or ""))
  end
  cols = math.max(20, math.min(cols, 400))
  return cols, rows and math.max(8, math.min(rows - 2, 400)) or nil
end

-- show(path): draws a PNG or JPEG file in the terminal. Returns E.shown, or
-- nil and why (a file that cannot be read).
function E.show(path)
  if type(path) ~= "string" then
    error("ae.plot.show(path): path is the name of a PNG or JPEG file, got " .. type(path), 2)
  end
  local cols, rows = cells()
  local text, err = term.render(path, picture_mode(), cols, rows)
  if not text then return nil, err end
  io.stdout:write(text, "\n")
  io.stdout:flush()
  return E.shown
end

-- show_saved(path): a figure written with its .gp beside it, in the terminal
-- (a lesson's --show). A chart (a .gp without images: its data is inline)
-- is drawn again by gnuplot as text, which keeps its words and numbers
-- legible where symbols would blur them; pictures, and every figure where
-- the terminal has pixels, go through chafa (show).
function E.show_saved(path)
  local f = io.open((path:gsub("%.png$", ".gp")))
  local script = f and f:read("a")
  if f then f:close() end
  local picture = script and (script:find("with r?g?b?image") or script:find("%.bin' binary"))
  if not script or picture or E.pixels() or not E.available() then
    return E.show(path)
  end
  local pipe, err = sys.spawn({ gnuplot_cmd() }, { stdout = "inherit", stderr = "capture" })
  if not pipe then return nil, err end
  pipe:write(E.text_terminal(), "\n")
  for line in script:gmatch("([^\n]*)\n?") do
    if not (line:match("^set terminal ") or line:match("^set output ") or line:match("^unset output")) then
      -- a point mark of its own for each line type, as common() gives text figures
      local lt = line:match("^set linetype (%d+) .* pt 7$")
      if lt then line = line:gsub("pt 7$", "pt " .. lt) end
      if not pipe:write(line, "\n") then break end
    end
  end
  pipe:write("exit\n")
  local ok, how, code, text = pipe:close()
  io.stdout:flush()
  if not ok then
    return nil, string.format("gnuplot failed (%s %s) drawing %s as text:\n%s", how, tostring(code), path, text)
  end
  return E.shown
end

-- A figure without a file, drawn by gnuplot into a temporary PNG (os.tmpname
-- makes it, ours alone, mode 0600) and shown by chafa; the PNG is removed.
function Figure:show()
  local o = self.o
  if not E.available() then
    skip_notice()
    return nil, "gnuplot is not installed"
  end
  local made, tmp = pcall(os.tmpname)
  if not made then return nil, "cannot make a temporary file for the figure: " .. tostring(tmp) end
  local drawn, why = draw_into(self, tmp, "a figure", terminal_for({ terminal = "pngcairo", size = o.size }))
  if not drawn then return nil, why end
  local shown
  shown, why = E.show(tmp)
  os.remove(tmp)
  if shown then return shown end
  return nil, why
end

local function common(fig, o)
  if o.title then fig:cmd("set title %s noenhanced", quote(o.title)) end
  -- tick labels with the language's decimal sign (the data stays in C's)
  local dec = require("aelab.i18n").decimal
  if dec ~= "." then fig:cmd("set decimalsign %s", quote(dec)) end
  fig:cmd("set key noenhanced") -- run labels and class names are data, drawn as written
  -- in the terminal's text each line type draws with a character of its
  -- own (the dumb terminal's choice) and here a point mark of its own too;
  -- in files, round points
  local text = E.is_text(o)
  for i, c in ipairs(E.colors) do fig:cmd("set linetype %d lc rgb '%s' lw 2 pt %d", i, c, text and i or 7) end
end

E.own, E.common = own, common

-- A figure's option keys with the ones every figure takes (out, size,
-- terminal, title) added: the list optcheck checks a caller's table against.
function E.with_common(list)
  for _, k in ipairs { "out", "size", "terminal", "title" } do list[#list + 1] = k end
  return list
end

return E
