-- Figures through a gnuplot pipe. One function per kind of figure; each
-- takes tensors and an options table {out=, title=, terminal=, size={w,h}}.
-- Data goes inline through the pipe (datablocks for text, binary for
-- images). Beside every figure go its .gp script and data, so it can be
-- restyled by hand: `gnuplot figure.gp`. Without gnuplot the run goes on:
-- one notice, no figures, everything else still written.
local ae = require "aelab"

local P = {}

-- Colours for up to ten classes (matplotlib's tab10: tell classes apart).
P.colors = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf" }

-- the gnuplot to run: AELAB_GNUPLOT, for tests and odd installs
local function gnuplot_cmd() return os.getenv("AELAB_GNUPLOT") or "gnuplot" end

local available -- nil: not checked yet
local warned = false

function P.available()
  if available == nil then
    local ok = os.execute("command -v " .. gnuplot_cmd() .. " >/dev/null 2>&1")
    available = ok and true or false
  end
  return available
end

-- Tests use this to pretend gnuplot is missing.
function P._set_available(v) available = v end

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

function P.figure(o)
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
P.quote = quote

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
  if not P.available() then
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
  for i, c in ipairs(P.colors) do fig:cmd("set linetype %d lc rgb '%s' lw 2 pt 7", i, c) end
end

---------------------------------------------------------------------------
-- history: loss curves. `runs` is a history, or a list of {label=, history=}.
---------------------------------------------------------------------------
function P.history(runs, o)
  o = own(o)
  if runs.loss then runs = { { label = o.label or "", history = runs } } end
  local fig = P.figure(o)
  common(fig, o)
  fig:cmd("set xlabel 'epoch'")
  fig:cmd("set ylabel %s", quote(o.ylabel or "loss"))
  fig:cmd("set grid")
  fig:cmd("set key top right")
  if o.logscale then fig:cmd("set logscale y") end
  local plots = {}
  local style = #runs[1].history.loss > 20 and "lines" or "linespoints"
  for r, run in ipairs(runs) do
    local h = run.history
    h.val_loss = h.val_loss or {}
    local rows = {}
    for e = 1, #h.loss do
      rows[e] = string.format("%d %.8g %s", e, h.loss[e], h.val_loss[e] and string.format("%.8g", h.val_loss[e]) or "NaN")
    end
    fig:block("run" .. r, rows)
    local label = (run.label and run.label ~= "") and (run.label .. ", ") or ""
    local lt = (r - 1) % #P.colors + 1
    plots[#plots + 1] = string.format("$run%d using 1:2 with %s lt %d dt 2 title %s", r, style, lt,
      quote(label .. "train"))
    if h.val_loss[1] then
      plots[#plots + 1] = string.format("$run%d using 1:3 with %s lt %d dt 1 title %s", r, style, lt,
        quote(label .. "validation"))
    end
  end
  local epochs = #runs[1].history.loss
  if epochs == 1 then fig:cmd("set xrange [0.5:1.5]") end
  fig:cmd("set xtics %d", math.max(1, epochs // 10))
  fig:cmd("plot " .. table.concat(plots, ", \\\n     "))
  return fig:render()
end

---------------------------------------------------------------------------
-- Image mosaics
---------------------------------------------------------------------------

-- Tiles images (rows of a [N×H·W] tensor) into a mosaic tensor, nrow×ncol
-- with `pad` pixels of `bg` between them. Cells past N stay background.
-- A copy of x with each row (sample) stretched to [0, 1] on its own range:
-- learned weights shown as images, where each filter's pattern matters and
-- not its scale.
function P.stretch_rows(x)
  local n = x:size(1)
  local f = x:reshape(n, x:numel() // n):clone()
  for k = 1, n do
    local row = f:narrow(1, k, 1)
    local lo, hi = row:min(), row:max()
    row:copy((row - lo) / math.max(hi - lo, 1e-12))
  end
  return f
end

function P.mosaic(images, H, W, ncol, o)
  o = own(o)
  local pad, bg = o.pad or 2, o.background or 1.0
  local N = images:size(1)
  local nrow = math.ceil(N / ncol)
  local MH, MW = nrow * H + (nrow + 1) * pad, ncol * W + (ncol + 1) * pad
  local m = ae.full(bg, MH, MW)
  local flat = images:reshape(N, H * W)
  for k = 0, N - 1 do
    local r, c = k // ncol, k % ncol
    local y0, x0 = pad + r * (H + pad), pad + c * (W + pad)
    for i = 1, H do
      for j = 1, W do m:set(y0 + i, x0 + j, flat:get(k + 1, (i - 1) * W + j)) end
    end
  end
  return m
end

-- Draws a mosaic tensor [MH×MW] as a grey image, 0 = black, 1 = white
-- unless o.invert (ink on paper: 1 = black).
local function draw_mosaic(fig, m, o)
  local MH, MW = m:size(1), m:size(2)
  fig:cmd("unset border; unset tics; unset key; unset colorbox")
  fig:cmd("set size ratio -1")
  fig:cmd("set margins 0,0,0,%d", o.title and 2 or 0)
  fig:cmd("set xrange [-0.5:%g]; set yrange [-0.5:%g]", MW - 0.5, MH - 0.5)
  if o.invert then fig:cmd("set palette gray negative") else fig:cmd("set palette gray") end
  fig:cmd("set cbrange [%g:%g]", o.vmin or 0, o.vmax or 1)
  local src = fig:binary(m:tobytes())
  local labels = o.labels or {}
  for _, l in ipairs(labels) do
    fig:cmd("set label %s at %g,%g %s front noenhanced textcolor rgb '%s' font ',%d'", quote(l.text), l.x, l.y,
      l.align or "left", l.color or "#c00000", l.size or 10)
  end
  fig:cmd("plot %s binary array=(%d,%d) format='%%float' flipy with image notitle", src, MW, MH)
end

-- images(x, {image={H,W}, ncol=, captions={...}, invert=}): a grid of
-- images (rows of x), each with an optional caption under it.
function P.images(x, o)
  o = own(o)
  local H, W = table.unpack(o.image or { 28, 28 })
  local N = x:size(1)
  local ncol = o.ncol or math.min(N, 10)
  local pad = o.pad or (o.captions and math.max(2, math.floor(H * 0.45)) or 2)
  local m = P.mosaic(x, H, W, ncol, { pad = pad, background = o.background or (o.invert and 0.0 or 1.0) })
  local MH, MW = m:size(1), m:size(2)
  local scale = o.scale or math.max(1, math.floor(900 / MW))
  o.size = o.size or { MW * scale, MH * scale + (o.title and 30 or 0) }
  local fig = P.figure(o)
  common(fig, o)
  if o.captions then
    local labels = {}
    for k = 1, N do
      local r, c = (k - 1) // ncol, (k - 1) % ncol
      -- below the tile; image rows count from the top (flipy)
      labels[k] = { text = tostring(o.captions[k] or ""), x = pad + c * (W + pad) + W / 2 - 0.5,
        y = MH - (pad + r * (H + pad) + H) - pad / 2 - 0.5, align = "center", color = o.caption_color or "#000000",
        size = o.caption_size or 9 }
    end
    o.labels = labels
  end
  draw_mosaic(fig, m, o)
  return fig:render()
end

-- image_rows({{name, images}, ...}, {image={H,W}, n=}): rows of images, each
-- row named on the left (originals over reconstructions, or snapshots).
function P.image_rows(rows, o)
  o = own(o)
  local n = o.n or 10
  for _, r in ipairs(rows) do n = math.min(n, r[2]:size(1)) end
  local H, W = table.unpack(o.image or { 28, 28 })
  local all = ae.zeros(#rows * n, H * W)
  for r, row in ipairs(rows) do all:narrow(1, (r - 1) * n + 1, n):copy(row[2]:narrow(1, 1, n):reshape(n, H * W)) end
  local pad = o.pad or 2
  local m = P.mosaic(all, H, W, n, { pad = pad, background = o.background or 1.0 })
  local left = o.left or 150
  local scale = o.scale or math.max(2, math.floor(900 / m:size(2)))
  local top = o.title and 40 or 10
  o.size = o.size or { m:size(2) * scale + left, m:size(1) * scale + top }
  local fig = P.figure(o)
  common(fig, o)
  fig:cmd("unset border; unset tics; unset key; unset colorbox")
  fig:cmd("set lmargin at screen %g", left / o.size[1])
  fig:cmd("set rmargin at screen 0.99")
  fig:cmd("set tmargin at screen %g", 1 - top / o.size[2])
  fig:cmd("set bmargin at screen 0.01")
  fig:cmd("set xrange [-0.5:%g]; set yrange [-0.5:%g]", m:size(2) - 0.5, m:size(1) - 0.5)
  if o.invert then fig:cmd("set palette gray negative") else fig:cmd("set palette gray") end
  fig:cmd("set cbrange [0:1]")
  for r, row in ipairs(rows) do
    local y = m:size(1) - (pad + (r - 1) * (H + pad) + H / 2)
    fig:cmd("set label %s at graph -0.01, first %g right noenhanced font ',11'", quote(row[1]), y)
  end
  local src = fig:binary(m:tobytes())
  fig:cmd("plot %s binary array=(%d,%d) format='%%float' flipy with image notitle", src, m:size(2), m:size(1))
  return fig:render()
end

-- reconstructions(x, recon_or_model, {image=, n=10, noisy=}): originals over
-- reconstructions (over noisy inputs first when given), one column each.
function P.reconstructions(x, recon, o)
  o = own(o)
  local n = math.min(o.n or 10, x:size(1))
  x = x:narrow(1, 1, n)
  if not ae.is_tensor(recon) then
    recon = recon:reconstruct(o.noisy and o.noisy:narrow(1, 1, n) or x)
  end
  local rows = { { "original", x } }
  if o.noisy then rows[#rows + 1] = { "noisy", o.noisy } end
  rows[#rows + 1] = { o.recon_label or "reconstruction", recon }
  o.n = n
  return P.image_rows(rows, o)
end

---------------------------------------------------------------------------
-- latent: 2-D scatter of codes coloured by class.
---------------------------------------------------------------------------

-- Top-k principal directions of the rows of z (d×k) and their mean (1×d).
function P.principal_axes(z, k)
  if z:size(1) < 2 then -- one point: no spread to find axes in, any axes project it to 0
    local V = ae.zeros(z:size(2), k)
    for a = 1, k do V:set(a, a, 1) end
    return V, z:mean(true)
  end
  local pca = ae.PCA(z, k) -- the core's exact PCA, signs fixed so figures repeat
  return pca:components():t(), pca:mean()
end

-- Projects codes to 2-D (PCA when wider); returns [N×2], and how.
function P.to2d(z)
  if z:size(2) == 2 then return z, "code" end
  if z:size(2) == 1 then
    local two = ae.zeros(z:size(1), 2)
    for i = 1, z:size(1) do two:set(i, 1, z:get(i, 1)) end
    return two, "code"
  end
  local V, mean = P.principal_axes(z, 2)
  return (z - mean):matmul(V), "PC"
end

-- latent(z, labels, {classes={names}, text={per-point labels}, ...})
function P.latent(z, labels, o)
  o = own(o)
  local xy, how = P.to2d(z)
  local fig = P.figure(o)
  common(fig, o)
  fig:cmd("set xlabel %s", quote(how .. " 1"))
  fig:cmd("set ylabel %s", quote(how .. " 2"))
  fig:cmd("set grid")
  fig:cmd("set key outside right top")
  local N = xy:size(1)
  local rows = {}
  local classes = o.classes
  local ids = {}
  for i = 1, N do
    local c = labels and math.floor(labels:get(i)) or 0
    ids[c] = true
    rows[i] = string.format("%.6g %.6g %d", xy:get(i, 1), xy:get(i, 2), c)
  end
  fig:block("codes", rows)
  local plots = {}
  local ps = o.pointsize or (N > 2000 and 0.3 or 0.8)
  local sorted = {}
  for c in pairs(ids) do sorted[#sorted + 1] = c end
  table.sort(sorted)
  for _, c in ipairs(sorted) do
    local name = classes and classes[c + 1] or (labels and tostring(c) or "codes")
    plots[#plots + 1] = string.format("$codes using ($3==%d?$1:NaN):($3==%d?$2:NaN) with points pt 7 ps %g lt %d title %s",
      c, c, ps, c % #P.colors + 1, quote(name))
  end
  if o.text then
    local trows = {}
    for i = 1, N do trows[i] = string.format("%.6g %.6g %s", xy:get(i, 1), xy:get(i, 2), string.format("%q", o.text[i])) end
    fig:block("text", trows)
    plots[#plots + 1] = "$text using 1:2:3 with labels offset 0.8,0.8 font ',12' noenhanced notitle"
  end
  fig:cmd("plot " .. table.concat(plots, ", \\\n     "))
  return fig:render()
end


---------------------------------------------------------------------------
-- Decoding the latent plane
---------------------------------------------------------------------------

-- The decoder of a model, as a function of codes.
local function decoder_of(m)
  if type(m) == "function" then return m end
  return function(z) return m:decode(z) end
end

-- manifold(model, {xrange={-3,3}, yrange={-3,3}, n=15, image={H,W}}):
-- decodes a regular n×n grid over a 2-D latent rectangle into one mosaic;
-- y grows upwards, as on the scatter of codes.
function P.manifold(model, o)
  o = own(o)
  local n = o.n or 15
  local xr, yr = o.xrange or { -3, 3 }, o.yrange or { -3, 3 }
  local z = ae.zeros(n * n, 2)
  for r = 1, n do
    for c = 1, n do
      local k = (r - 1) * n + c
      z:set(k, 1, xr[1] + (xr[2] - xr[1]) * (c - 1) / math.max(n - 1, 1))
      z:set(k, 2, yr[2] - (yr[2] - yr[1]) * (r - 1) / math.max(n - 1, 1))
    end
  end
  local imgs = decoder_of(model)(z)
  local H, W = table.unpack(o.image or { 28, 28 })
  local m = P.mosaic(imgs, H, W, n, { pad = o.pad or 1, background = o.background or 0.5 })
  local MH, MW = m:size(1), m:size(2)
  local side = o.pixels or 800
  o.size = o.size or { side + 100, math.floor(side * MH / MW) + 110 }
  local fig = P.figure(o)
  common(fig, o)
  fig:cmd("unset key; unset colorbox")
  fig:cmd("set size ratio %g", MH / MW) -- the mosaic keeps square pixels
  if o.invert then fig:cmd("set palette gray negative") else fig:cmd("set palette gray") end
  fig:cmd("set cbrange [0:1]")
  -- axes in code units: the image spans the rectangle plus half a cell
  local dx = (xr[2] - xr[1]) / math.max(n - 1, 1)
  local dy = (yr[2] - yr[1]) / math.max(n - 1, 1)
  fig:cmd("set xrange [%g:%g]; set yrange [%g:%g]", xr[1] - dx / 2, xr[2] + dx / 2, yr[1] - dy / 2, yr[2] + dy / 2)
  fig:cmd("set xlabel %s; set ylabel %s", quote(o.xlabel or "code 1"), quote(o.ylabel or "code 2"))
  fig:cmd("set tics out nomirror")
  local src = fig:binary(m:tobytes())
  fig:cmd("plot %s binary array=(%d,%d) format='%%float' flipy dx=%g dy=%g origin=(%g,%g) with image notitle", src,
    MW, MH, (xr[2] - xr[1] + dx) / MW, (yr[2] - yr[1] + dy) / MH, xr[1] - dx / 2, yr[1] - dy / 2)
  return fig:render()
end

-- interpolation(model, z1, z2, {steps=10, image=}): decodings of the codes
-- on the segment from z1 to z2 (1×d tensors or tables), as one strip.
function P.interpolation(model, z1, z2, o)
  o = own(o)
  if not ae.is_tensor(z1) then z1 = ae.tensor({ z1 }) end
  if not ae.is_tensor(z2) then z2 = ae.tensor({ z2 }) end
  local steps = o.steps or 10
  local d = z1:numel()
  local z = ae.zeros(steps, d)
  local a, b = z1:reshape(d), z2:reshape(d)
  local captions = {}
  for s = 1, steps do
    local t = (s - 1) / math.max(steps - 1, 1)
    for j = 1, d do z:set(s, j, (1 - t) * a:get(j) + t * b:get(j)) end
    captions[s] = string.format("%.2g", t)
  end
  local imgs = decoder_of(model)(z)
  o.ncol = steps
  o.captions = o.captions or captions
  return P.images(imgs, o)
end

---------------------------------------------------------------------------
-- compare: two 2-D embeddings side by side on one canvas
---------------------------------------------------------------------------
function P.compare(a, b, labels, o)
  o = own(o)
  local names = o.names or { "A", "B" }
  o.size = o.size or { 1300, 560 }
  local fig = P.figure(o)
  fig:cmd("set key noenhanced")
  for i, c in ipairs(P.colors) do fig:cmd("set linetype %d lc rgb '%s' lw 2 pt 7", i, c) end
  local ids, sorted = {}, {}
  local data = {}
  for which, t in ipairs { a, b } do
    local xy, how = P.to2d(t)
    if o.axes and o.axes[which] then how = o.axes[which] end
    local rows = {}
    for i = 1, xy:size(1) do
      local c = labels and math.floor(labels:get(i)) or 0
      ids[c] = true
      rows[i] = string.format("%.6g %.6g %d", xy:get(i, 1), xy:get(i, 2), c)
    end
    fig:block("emb" .. which, rows)
    data[which] = how
  end
  for c in pairs(ids) do sorted[#sorted + 1] = c end
  table.sort(sorted)
  local ps = o.pointsize or ((a:size(1) > 2000) and 0.3 or 0.7)
  fig:cmd("set multiplot layout 1,2 %s", o.title and ("title " .. quote(o.title) .. " noenhanced") or "")
  for which = 1, 2 do
    fig:cmd("set title %s noenhanced", quote(names[which]))
    fig:cmd("set xlabel %s; set ylabel %s", quote(data[which] .. " 1"), quote(data[which] .. " 2"))
    fig:cmd("set grid")
    if which == 2 then fig:cmd("set key outside right top") else fig:cmd("unset key") end
    local plots = {}
    for _, c in ipairs(sorted) do
      local name = o.classes and o.classes[c + 1] or tostring(c)
      plots[#plots + 1] = string.format(
        "$emb%d using ($3==%d?$1:NaN):($3==%d?$2:NaN) with points pt 7 ps %g lt %d title %s", which, c, c, ps,
        c % #P.colors + 1, quote(name))
    end
    fig:cmd("plot " .. table.concat(plots, ", \\\n     "))
  end
  fig:cmd("unset multiplot")
  return fig:render()
end

---------------------------------------------------------------------------
-- series: lines of y against x, several on one canvas.
--   series({{label=, x={...}, y={...}}, ...}, {xlabel=, ylabel=, points=true})
---------------------------------------------------------------------------
function P.series(list, o)
  o = own(o)
  local fig = P.figure(o)
  common(fig, o)
  fig:cmd("set xlabel %s; set ylabel %s", quote(o.xlabel or "x"), quote(o.ylabel or "y"))
  fig:cmd("set grid")
  fig:cmd("set key %s", o.key or "top left")
  if o.logscale then fig:cmd("set logscale %s", o.logscale) end
  local plots = {}
  for k, sr in ipairs(list) do
    local rows = {}
    for i = 1, #sr.y do rows[i] = string.format("%.8g %.8g", sr.x and sr.x[i] or i, sr.y[i]) end
    fig:block("s" .. k, rows)
    plots[k] = string.format("$s%d using 1:2 with %s lt %d title %s", k, o.points == false and "lines" or "linespoints",
      (k - 1) % #P.colors + 1, quote(sr.label or ""))
  end
  fig:cmd("plot " .. table.concat(plots, ", \\\n     "))
  return fig:render()
end

---------------------------------------------------------------------------
-- histogram of values (a tensor or a table of numbers)
---------------------------------------------------------------------------
function P.histogram(values, o)
  o = own(o)
  local list = values
  if ae.is_tensor(values) then list = values:reshape(values:numel()):totable() end
  if #list == 0 then error("histogram: no values", 2) end
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(list) do lo, hi = math.min(lo, v), math.max(hi, v) end
  if o.range then lo, hi = o.range[1], o.range[2] end
  if hi <= lo then hi = lo + 1 end
  local bins = o.bins or 30
  local w = (hi - lo) / bins
  local counts = {}
  for b = 1, bins do counts[b] = 0 end
  for _, v in ipairs(list) do
    local b = math.floor((v - lo) / w) + 1
    if b == bins + 1 then b = bins end
    if b >= 1 and b <= bins then counts[b] = counts[b] + 1 end
  end
  local rows = {}
  for b = 1, bins do rows[b] = string.format("%.8g %d", lo + (b - 0.5) * w, counts[b]) end
  local fig = P.figure(o)
  common(fig, o)
  fig:block("hist", rows)
  fig:cmd("set xlabel %s; set ylabel %s", quote(o.xlabel or "value"), quote(o.ylabel or "count"))
  fig:cmd("set style fill solid 0.7 border lc rgb '#333333'")
  fig:cmd("set boxwidth %g", w * 0.95)
  fig:cmd("set grid ytics")
  fig:cmd("unset key")
  fig:cmd("set yrange [0:*]")
  if o.mark then
    fig:cmd("set arrow from %g, graph 0 to %g, graph 1 nohead lw 2 lc rgb '#d62728' dt 2", o.mark, o.mark)
    if o.mark_label then fig:cmd("set label %s at %g, graph 0.95 left offset 0.5,0 tc rgb '#d62728'", quote(o.mark_label), o.mark) end
  end
  fig:cmd("plot $hist using 1:2 with boxes lt 1")
  return fig:render()
end

return P
