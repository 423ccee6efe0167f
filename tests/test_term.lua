-- Pictures in the terminal (issue 19): aelab.term (bindings/lterm.c, chafa)
-- draws a PNG in a known number of cells, with symbols in colour, sixels or
-- kitty's protocol, plain symbols into a pipe; figures without `out` and a
-- lesson's --show use it.
local lu = require "luaunit"
local H = require "helpers"
local ae = require "aelab"
local term = require "aelab.term"

TestTerm = {}

local here = os.getenv("PWD") or "."
local BIN = H.BIN:sub(1, 1) == "/" and H.BIN or here .. "/" .. H.BIN:gsub("^%./", "")

-- A W×H RGB picture of vertical stripes `band` pixels wide (black, then
-- colour), written as a PNG; returns its path.
local function stripes(dir, W, Hh, band)
  local planes = {}
  for c = 1, 3 do
    planes[c] = {}
    for y = 1, Hh do
      local row = {}
      for x = 1, W do row[x] = ((x - 1) // band) % 2 == 1 and (c == 1 and 1 or 0.2) or 0 end
      planes[c][y] = row
    end
  end
  local path = dir .. "/stripes.png"
  assert(ae.image.write(ae.tensor { planes }, path))
  return path
end

-- Whether s holds a Unicode block element (U+2580..U+259F), chafa's symbols.
local function has_blocks(s)
  for _, c in utf8.codes(s, true) do
    if c >= 0x2580 and c <= 0x259F then return true end
  end
  return false
end

local function strip_escapes(s) return (s:gsub("\27%[[%d;?]*[A-Za-z]", "")) end

-- Every line of `text` (escape sequences removed) and its width in cells.
local function lines_of(text)
  local out = {}
  for line in (strip_escapes(text) .. "\n"):gmatch("([^\n]*)\n") do
    if line ~= "" then out[#out + 1] = utf8.len(line) end
  end
  return out
end

function TestTerm:setUp() self.dir = H.tmpdir() end
function TestTerm:tearDown() H.rmdir(self.dir) end

-- A known 200×50 picture in 40 columns: 40 cells a line, 5 lines (cells
-- twice as tall as wide), in every symbol mode; the stripes' edges fall on
-- the same columns on every line (a picture drawn slanted would not).
function TestTerm:test_render_known_png_cells()
  local png = stripes(self.dir, 203, 50, 20)
  for _, how in ipairs { "plain", "symbols" } do
    local text, cols, rows = term.render(png, how, 40)
    lu.assertEquals({ cols, rows }, { 40, 5 }, how)
    local widths = lines_of(text)
    lu.assertEquals(#widths, 5, how .. ": five lines")
    for _, w in ipairs(widths) do lu.assertEquals(w, 40, how .. ": 40 cells a line") end
    local plain = strip_escapes(text)
    local first = plain:match("^[^\n]*")
    for line in plain:gmatch("[^\n]+") do lu.assertEquals(line, first, how .. ": upright, every line alike") end
  end
  lu.assertStrContains(term.render(png, "plain", 40), "███", false, "plain: the dark stripes in full blocks")
  lu.assertNil(term.render(png, "plain", 40):find("\27", 1, true), "plain: no escape sequences")
  lu.assertStrContains(term.render(png, "symbols", 40), "\27[38;5;", false, "symbols: 256 colours")
  -- a height limit keeps the aspect: a 4:1 picture in 2 rows is 16 columns wide
  local _, c2, r2 = term.render(png, "plain", 40, 2)
  lu.assertEquals({ c2, r2 }, { 16, 2 })
end

function TestTerm:test_pixel_protocols()
  local png = stripes(self.dir, 64, 32, 8)
  local six = term.render(png, "sixels", 20)
  lu.assertEquals(six:sub(1, 2), "\27P", "a sixel image starts with DCS")
  lu.assertStrContains(six, "\27\\")
  local kitty = term.render(png, "kitty", 20)
  lu.assertStrContains(kitty, "\27_G", false, "kitty's graphics protocol")
  lu.assertTrue(#six > 100 and #kitty > 100)
  lu.assertTrue(({ kitty = true, sixels = true, symbols = true })[term.graphics()])
end

function TestTerm:test_unreadable_file_and_bad_arguments()
  local text, why = term.render(self.dir .. "/none.png", "plain", 40)
  lu.assertNil(text)
  lu.assertStrContains(why, "none.png")
  H.write_file(self.dir .. "/bad.png", "\137PNG\r\n\26\nnot really")
  text, why = term.render(self.dir .. "/bad.png", "plain", 40)
  lu.assertNil(text)
  lu.assertStrContains(why, "bad.png")
  H.error_containing(lu, "invalid option 'colour'", term.render, self.dir .. "/x.png", "colour", 40)
  H.error_containing(lu, "cols is 1..10000", term.render, self.dir .. "/x.png", "plain", 0)
  H.error_containing(lu, "path is the name of a PNG", ae.plot.show, 42)
end

local function need_gnuplot()
  if not ae.plot.available() then lu.skip("gnuplot is not installed") end
end

-- An image figure without `out`, into a pipe, no display: plain symbols
-- (no escape sequences) COLUMNS wide, not the captions alone; no `true`.
function TestTerm:test_image_figure_without_out_into_a_pipe()
  need_gnuplot()
  local chunk = "x = ae.rand(4, 784); print('returned', ae.plot.reconstructions(x, x))"
  local out, err, code = H.run(string.format("env -u DISPLAY COLUMNS=60 %s -e %s", H.q(BIN), H.q(chunk)))
  lu.assertEquals(code, 0, err)
  lu.assertNil(out:find("\27", 1, true), "no escape sequences into a pipe")
  local full = 0
  for line in out:gmatch("[^\n]+") do
    if utf8.len(line) == 60 and has_blocks(line) then full = full + 1 end
  end
  lu.assertTrue(full >= 3, "the images drawn 60 cells wide in block symbols:\n" .. out)
  lu.assertStrContains(out, "returned\t(figure shown)")
  lu.assertNil(out:find("\ntrue", 1, true))
end

-- At a terminal (util-linux script gives one): symbols in colour. Narrow:
-- script stopped passing its input on (the final Ctrl-D) after some 50 kB
-- of output, whatever the output was.
function TestTerm:test_image_figure_at_a_terminal_in_colour()
  need_gnuplot()
  H.need_script(lu)
  local text = H.repl_at_terminal("x = ae.rand(4, 784)\nae.plot.reconstructions(x, x)\nprint(('done'):upper())\n\4",
    "-u DISPLAY -u NO_COLOR -u KITTY_WINDOW_ID -u TERM_PROGRAM TERM=xterm-256color COLUMNS=30", BIN)
  lu.assertTrue(text:find("\27[38;5;", 1, true) ~= nil or text:find("\27[38;2;", 1, true) ~= nil, "colours at a terminal")
  lu.assertTrue(has_blocks(text), "block symbols")
  lu.assertStrContains(text, "DONE")
  lu.assertNil(text:find("(figure shown)", 1, true), "the REPL prints nothing for the figure's value")
end

-- --show: a --quick lesson draws each figure in the terminal as it is
-- written, charts as text (legible words) and pictures in symbols.
function TestTerm:test_lesson_show()
  need_gnuplot()
  local out, err, code = H.run(string.format("env -u DISPLAY COLUMNS=90 %s --threads 1 --quick --show --out %s %s",
    H.q(BIN), H.q(self.dir), H.q(here .. "/lessons/03_letters.lua")))
  lu.assertEquals(code, 0, err)
  local figures, shown = 0, 0
  local lines = {}
  for line in out:gmatch("[^\n]*") do lines[#lines + 1] = line end
  for i, line in ipairs(lines) do
    if line:match("^  figure: ") then
      figures = figures + 1
      local next_ = lines[i + 2] or ""
      if utf8.len(lines[i + 1] or "") == 90 or utf8.len(next_) == 90 then shown = shown + 1 end
    end
  end
  lu.assertTrue(figures >= 4, "the lesson's figures:\n" .. out:sub(1, 2000))
  lu.assertEquals(shown, figures, "each figure drawn 90 columns wide right after its line")
  lu.assertStrContains(out, "+-----", false, "a chart as text")
  lu.assertTrue(has_blocks(out), "a picture in block symbols")
  -- without --show: the lines alone
  out = H.run(string.format("env -u DISPLAY COLUMNS=90 %s --threads 1 --quick --out %s %s", H.q(BIN),
    H.q(self.dir), H.q(here .. "/lessons/03_letters.lua")))
  lu.assertNil(out:find("+-----", 1, true))
end
