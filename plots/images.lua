-- Image figures: mosaics of images (images, image_rows, reconstructions,
-- samples) and decodings of the latent space (manifold, interpolation;
-- manifold's Gaussian grid uses normal.lua's Φ⁻¹). Images are the
-- rows of an [N×H·W] tensor (or N×1×H×W); a mosaic is one [MH×MW] tensor
-- sent to gnuplot as binary floats. Options as for every figure:
-- {out=, title=, terminal=, size={w,h}}.
local ae = require "aelab"
local E = require "plots.engine"
local T = require("aelab.i18n").T -- default labels in the chosen language

local I = {}
local own, common, quote = E.own, E.common, E.quote
local normal_quantile = require("plots.normal").quantile

-- The options of each figure, beside the ones every figure takes (out,
-- title, terminal, size): a key not listed is an error naming the nearest.
local check = require("aelab.optcheck").check
local with_common = E.with_common
local KEYS = {
  images = with_common { "background", "caption_color", "caption_size", "captions", "image", "invert", "labels", "ncol",
    "pad", "scale", "vmax", "vmin" },
  image_rows = with_common { "background", "image", "invert", "left", "marks", "n", "pad", "scale" },
  reconstructions = with_common { "background", "image", "invert", "left", "n", "noisy", "pad", "recon_label", "scale" },
  manifold = with_common { "at", "background", "dims", "image", "invert", "n", "pad", "pixels", "quantiles", "xlabel",
    "xrange", "ylabel", "yrange" },
  mosaic = { "background", "pad" },
}
-- interpolation: images' keys, but labels names the walks (one per row)
KEYS.comparison = with_common { "caption_size", "max_width", "n", "shrink" }
KEYS.samples = { "background", "image", "invert", "ncol", "pad", "scale", "out", "size", "terminal", "title" }
KEYS.interpolation = { "left", "steps", "through", "walks", "waypoints" }
for _, k in ipairs(KEYS.images) do KEYS.interpolation[#KEYS.interpolation + 1] = k end

-- A copy of x with each row (sample) stretched to [0, 1] on its own range:
-- learned weights shown as images, where each filter's pattern matters and
-- not its scale.
function I.stretch_rows(x)
  local n = x:size(1)
  local f = x:reshape(n, x:numel() // n):clone()
  for k = 1, n do
    local row = f:narrow(1, k, 1)
    local lo, hi = row:min(), row:max()
    row:copy((row - lo) / math.max(hi - lo, 1e-12))
  end
  return f
end

-- A copy of x with each row scaled by its own largest |value| onto [0, 1]
-- with 0 at mid-grey 0.5: a filter's positive weights light, negative dark,
-- and a weight of zero the same grey in every tile (stretch_rows moves it).
function I.symmetric_rows(x)
  local n = x:size(1)
  local f = x:reshape(n, x:numel() // n):clone()
  for k = 1, n do
    local row = f:narrow(1, k, 1)
    local m = math.max(math.abs(row:min()), math.abs(row:max()), 1e-12)
    row:copy(row / (2 * m) + 0.5)
  end
  return f
end

-- Tiles images (rows of a [N×H·W] tensor) into a mosaic tensor, nrow×ncol
-- with o.pad pixels (2) of o.background (1.0) between and around them.
-- Cells past N stay background.
function I.mosaic(images, H, W, ncol, o)
  o = own(check("ae.plot.mosaic", o, KEYS.mosaic, 2))
  local pad, bg = o.pad or 2, o.background or 1.0
  local N = images:size(1)
  local nrow = math.ceil(N / ncol)
  local MH, MW = nrow * H + (nrow + 1) * pad, ncol * W + (ncol + 1) * pad
  local m = ae.full(bg, MH, MW)
  local tall = images:reshape(N * H, W) -- image k is rows k·H+1 .. (k+1)·H
  for k = 0, N - 1 do
    local r, c = k // ncol, k % ncol
    m:copy_block(pad + r * (H + pad) + 1, pad + c * (W + pad) + 1, tall, k * H + 1, 1, H, W)
  end
  return m
end

-- Colour: images given as N×3×H×W go to gnuplot as three mosaics, one per
-- channel, interleaved (R, G, B floats per pixel, 0..255) and drawn with
-- rgbimage; gray ones (rows of H·W, or N×1×H×W) as one mosaic with a gray
-- palette. A mosaic here is {bytes =, h =, w =, rgb =}.
local function is_rgb(x) return x:dim() == 4 and x:size(2) == 3 end

-- Channel c of N×3×H×W images as N rows of H·W.
local function channel_rows(x, c)
  local N = x:size(1)
  local hw = x:numel() // (3 * N)
  local idx = {}
  for k = 0, N - 1 do idx[#idx + 1] = 3 * k + c end
  return x:reshape(N * 3, hw):rows(idx)
end

local function make_mosaic(x, H, W, ncol, mo)
  if not is_rgb(x) then
    local m = I.mosaic(x:reshape(x:size(1), H * W), H, W, ncol, mo)
    return { bytes = m:tobytes(), h = m:size(1), w = m:size(2) }
  end
  local planes = {}
  for c = 1, 3 do planes[c] = I.mosaic(channel_rows(x, c), H, W, ncol, mo) end
  local MH, MW = planes[1]:size(1), planes[1]:size(2)
  local all = ae.zeros(3, MH * MW)
  for c = 1, 3 do all:narrow(1, c, 1):copy(planes[c]:reshape(1, MH * MW)) end
  return { bytes = (all:t() * 255):clamp(0, 255):tobytes(), h = MH, w = MW, rgb = true }
end

local function plot_mosaic(fig, m)
  local src = fig:binary(m.bytes)
  if m.rgb then
    fig:cmd("plot %s binary array=(%d,%d) format='%%float%%float%%float' flipy with rgbimage notitle", src, m.w, m.h)
  else
    fig:cmd("plot %s binary array=(%d,%d) format='%%float' flipy with image notitle", src, m.w, m.h)
  end
end

-- Draws a mosaic as an image, 0 = black, 1 = white unless o.invert (ink on
-- paper: 1 = black; gray only).
local function draw_mosaic(fig, m, o)
  local MH, MW = m.h, m.w
  fig:cmd("unset border; unset tics; unset key; unset colorbox")
  fig:cmd("set size ratio -1")
  fig:cmd("set margins 0,0,0,%d", o.title and 2 or 0)
  fig:cmd("set xrange [-0.5:%g]; set yrange [-0.5:%g]", MW - 0.5, MH - 0.5)
  if o.invert then fig:cmd("set palette gray negative") else fig:cmd("set palette gray") end
  fig:cmd("set cbrange [%g:%g]", o.vmin or 0, o.vmax or 1)
  local labels = o.labels or {}
  for _, l in ipairs(labels) do
    fig:cmd("set label %s at %g,%g %s front noenhanced textcolor rgb %s font ',%d'", quote(l.text), l.x, l.y,
      E.words(l.align or "left", "align"), quote(l.color or "#c00000"), l.size or 10)
  end
  plot_mosaic(fig, m)
end

-- images(x, {image={H,W}, ncol=, captions={...}, invert=}): a grid of
-- images (rows of x), each with an optional caption under it.
function I.images(x, o)
  o = own(check("ae.plot.images", o, KEYS.images, 2))
  local H, W = table.unpack(o.image or (x:dim() == 4 and { x:size(3), x:size(4) }) or { 28, 28 })
  local N = x:size(1)
  local ncol = o.ncol or math.min(N, 10)
  local pad = o.pad or (o.captions and math.max(2, math.floor(H * 0.45)) or 2)
  local m = make_mosaic(x, H, W, ncol, { pad = pad, background = o.background or (o.invert and 0.0 or 1.0) })
  local MH, MW = m.h, m.w
  local scale = o.scale or math.max(1, math.floor(900 / MW))
  o.size = o.size or { MW * scale, MH * scale + (o.title and 30 or 0) }
  local fig = E.figure(o, "picture")
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

-- comparison({{"dirty", a}, {"cleaned", b}, {"clean", c}}, {n =, shrink =,
-- max_width = 1800}): before / after / target side by side for any
-- application, one row per image (the first n of each N×C×H×W batch, all of
-- one size), each tile captioned with its column's name. Gray columns next
-- to colour ones are shown in colour's three channels. Large images (a
-- scanned page) are shrunk by an integer factor (shrink, or the least one
-- that fits max_width pixels) by block means, the way a viewer shows them.
function I.comparison(columns, o)
  o = own(check("ae.plot.comparison", o, KEYS.comparison, 2))
  if type(columns) ~= "table" or #columns == 0 then
    error("ae.plot.comparison: columns is a list of {name, images}", 2)
  end
  local img = ae.image
  local n = o.n or columns[1][2]:size(1)
  local rgb = false
  for _, c in ipairs(columns) do
    local t = c[2]
    if not ae.is_tensor(t) or t:dim() ~= 4 then
      error("ae.plot.comparison: column '" .. tostring(c[1]) .. "' must be an N×C×H×W tensor", 2)
    end
    n = math.min(n, t:size(1))
    if t:size(2) == 3 then rgb = true end
  end
  local _, H, W = img.dims(columns[1][2])
  local K = #columns
  local f = o.shrink or math.max(1, math.ceil(K * W / (o.max_width or 1800)))
  local h, w = H // f, W // f
  local Cn = rgb and 3 or 1
  local all = ae.zeros(n * K, Cn, h, w)
  local captions = {}
  for r = 1, n do
    for k, c in ipairs(columns) do
      local t = c[2]:narrow(1, r, 1)
      local _, th, tw = img.dims(t)
      if th ~= H or tw ~= W then
        error(string.format("ae.plot.comparison: column '%s' holds %d×%d images, column '%s' %d×%d", c[1], th, tw,
          columns[1][1], H, W), 2)
      end
      if f > 1 then t = img.shrink(t, f) end
      if rgb and t:size(2) == 1 then t = img.merge { t, t, t } end
      all:narrow(1, (r - 1) * K + k, 1):copy(t)
      captions[(r - 1) * K + k] = c[1]
    end
  end
  o.n, o.shrink, o.max_width = nil, nil, nil
  local cap = o.caption_size
  o.caption_size = nil
  return I.images(all, { image = { h, w }, ncol = K, captions = captions, caption_size = cap or 11,
    pad = math.max(6, math.floor(h * 0.08)), scale = 1, out = o.out, title = o.title, size = o.size,
    terminal = o.terminal })
end

-- samples(x, {image={H,W}, ncol=, title=}): a mosaic of new images, the
-- decodings of codes drawn from the prior (a VAE's net:decode(ae.randn(n, d))
-- or net:sample(n): the caller decodes). A square-ish grid, titled by
-- default "N samples decoded from z ~ N(0, I)" (title = false for none).
function I.samples(x, o)
  o = own(check("ae.plot.samples", o, KEYS.samples, 2))
  if not ae.is_tensor(x) then error("ae.plot.samples: the samples are a tensor of decoded images, one per row", 2) end
  local N = x:size(1)
  o.ncol = o.ncol or math.ceil(math.sqrt(N))
  if o.title == nil then o.title = string.format("%d samples decoded from z ~ N(0, I)", N) end
  if o.title == false then o.title = nil end
  return I.images(x, o)
end

-- image_rows({{name, images}, ...}, {image={H,W}, n=}): rows of images, each
-- row named on the left (originals over reconstructions, or snapshots).
-- marks = {{row=, col=, text=}, ...} frames those images in red, with the
-- text (optional) under each: the waypoints of a walk.
function I.image_rows(rows, o)
  o = own(check("ae.plot.image_rows", o, KEYS.image_rows, 2))
  local n = o.n or 10
  for _, r in ipairs(rows) do n = math.min(n, r[2]:size(1)) end
  local first = rows[1][2]
  local H, W = table.unpack(o.image or (first:dim() == 4 and { first:size(3), first:size(4) }) or { 28, 28 })
  local Cn = (first:dim() == 4 and first:size(2) == 3) and 3 or 1
  local all = Cn == 3 and ae.zeros(#rows * n, 3, H, W) or ae.zeros(#rows * n, H * W)
  for r, row in ipairs(rows) do
    local part = row[2]:narrow(1, 1, n)
    all:narrow(1, (r - 1) * n + 1, n):copy(Cn == 3 and part:reshape(n, 3, H, W) or part:reshape(n, H * W))
  end
  local marks = o.marks or {}
  local texts = false
  for _, mk in ipairs(marks) do
    if math.type(mk.row) ~= "integer" or math.type(mk.col) ~= "integer" or mk.row < 1 or mk.row > #rows
        or mk.col < 1 or mk.col > n then
      error(string.format("ae.plot.image_rows: a mark is {row = 1..%d, col = 1..%d [, text =]}, got {row = %s, col = %s}",
        #rows, n, tostring(mk.row), tostring(mk.col)), 2)
    end
    texts = texts or (mk.text ~= nil and mk.text ~= "")
  end
  -- captions under framed images need a gap between the rows to sit in
  local pad = o.pad or (texts and math.max(2, math.floor(H * 0.45)) or 2)
  local m = make_mosaic(all, H, W, n, { pad = pad, background = o.background or 1.0 })
  local left = o.left or 150
  local scale = o.scale or math.max(2, math.floor(900 / m.w))
  local top = o.title and 40 or 10
  o.size = o.size or { m.w * scale + left, m.h * scale + top }
  local fig = E.figure(o, "picture")
  common(fig, o)
  fig:cmd("unset border; unset tics; unset key; unset colorbox")
  fig:cmd("set lmargin at screen %g", left / o.size[1])
  fig:cmd("set rmargin at screen 0.99")
  fig:cmd("set tmargin at screen %g", 1 - top / o.size[2])
  fig:cmd("set bmargin at screen 0.01")
  fig:cmd("set xrange [-0.5:%g]; set yrange [-0.5:%g]", m.w - 0.5, m.h - 0.5)
  if o.invert then fig:cmd("set palette gray negative") else fig:cmd("set palette gray") end
  fig:cmd("set cbrange [0:1]")
  for r, row in ipairs(rows) do
    local y = m.h - (pad + (r - 1) * (H + pad) + H / 2)
    fig:cmd("set label %s at graph -0.01, first %g right noenhanced font ',11'", quote(row[1]), y)
  end
  -- a frame around a marked image, its text centred in the gap below;
  -- plot coordinates are mosaic pixels counted from the bottom (flipy)
  local MH = m.h
  for k, mk in ipairs(marks) do
    local x0, y0 = pad + (mk.col - 1) * (W + pad), pad + (mk.row - 1) * (H + pad) -- top-left pixel, from the top
    fig:cmd("set object %d rect from %g,%g to %g,%g front fillstyle empty border lc rgb '#d62728' lw 2", k,
      x0 - 0.5, MH - y0 - H - 0.5, x0 + W - 0.5, MH - y0 - 0.5)
    if mk.text and mk.text ~= "" then
      fig:cmd("set label %s at first %g, first %g center front noenhanced textcolor rgb '#d62728' font ',9'",
        quote(mk.text), x0 + W / 2 - 0.5, MH - y0 - H - 0.5 - pad / 2)
    end
  end
  plot_mosaic(fig, m)
  return fig:render()
end

-- reconstructions(x, recon_or_model, {image=, n=10, noisy=}): originals over
-- reconstructions (over noisy inputs first when given), one column each.
function I.reconstructions(x, recon, o)
  o = own(check("ae.plot.reconstructions", o, KEYS.reconstructions, 2))
  local n = math.min(o.n or 10, x:size(1))
  x = x:narrow(1, 1, n)
  if not ae.is_tensor(recon) then
    recon = recon:reconstruct(o.noisy and o.noisy:narrow(1, 1, n) or x)
  end
  local rows = { { T"original", x } }
  if o.noisy then rows[#rows + 1] = { T"noisy", o.noisy } end
  rows[#rows + 1] = { o.recon_label or T"reconstruction", recon }
  o.n, o.noisy, o.recon_label = n, nil, nil -- used up here: image_rows knows neither
  return I.image_rows(rows, o)
end

---------------------------------------------------------------------------
-- Decoding the latent plane
---------------------------------------------------------------------------

-- The decoder of a model, as a function of codes.
local function decoder_of(m)
  if type(m) == "function" then return m end
  return function(z) return m:decode(z) end
end

-- The latent size d of a slice: from o.at (d numbers), else from encoding
-- one blank image, else 2 (the plane itself).
-- A model's code bigger than 2 without dims is an error saying so (before,
-- the decoder's own "input has 2 columns" was all the user saw).
local function latent_size(model, o, H, W)
  if o.at then return ae.is_tensor(o.at) and o.at:numel() or #o.at end
  local d
  if type(model) == "table" or type(model) == "userdata" then
    local ok, z = pcall(function() return model:encode(ae.zeros(1, H * W)) end)
    if ok and ae.is_tensor(z) and z:dim() == 2 then d = z:size(2) end
  end
  if not o.dims then
    if d and d ~= 2 then
      error(string.format("ae.plot.manifold: the model's code has %d coordinates and the plane shows 2: give " ..
        "dims = {i, j} to decode a slice through coordinates i and j (the others at 0, or at = {...}), or use " ..
        "a model with a 2-D code", d), 3)
    end
    return 2
  end
  if d then return d end
  error("ae.plot.manifold: dims needs the latent size: give at = {...} (one value per latent coordinate)", 3)
end

-- The n grid values of one axis, increasing: evenly spaced over `range`, or
-- the normal quantiles Φ⁻¹(p) of probabilities evenly spaced over `probs`
-- (Keras' VAE example: norm.ppf(linspace(0.05, 0.95, n))).
local function axis_values(n, range, probs)
  local v = {}
  for k = 1, n do
    local t = (k - 1) / math.max(n - 1, 1)
    if probs then
      v[k] = normal_quantile(probs[1] * (1 - t) + probs[2] * t) -- symmetric: the middle is 0.5 exactly
    else
      v[k] = range[1] + (range[2] - range[1]) * t
    end
  end
  return v
end

-- manifold(model, {xrange={-3,3}, yrange={-3,3}, n=15, image={H,W}}):
-- decodes an n×n grid over a 2-D latent rectangle into one mosaic; y grows
-- upwards, as on the scatter of codes. quantiles = true puts the grid on the
-- standard normal's quantiles Φ⁻¹(p), p evenly spaced over 0.05..0.95 (or
-- quantiles = {p_lo, p_hi}): where a VAE's prior N(0, I) puts equal mass;
-- the axes then name the z value of each column and row. dims = {i, j}
-- decodes a slice of a bigger latent: coordinates i and j vary, the others
-- stay at at = {z1, ..., zd} (a table or 1×d tensor; 0 when not given).
function I.manifold(model, o)
  o = own(check("ae.plot.manifold", o, KEYS.manifold, 2))
  local n = o.n or 15
  local probs
  if o.quantiles then
    if o.xrange or o.yrange then
      error("ae.plot.manifold: quantiles and xrange/yrange both place the grid: give one", 2)
    end
    probs = o.quantiles == true and { 0.05, 0.95 } or o.quantiles
    if type(probs) ~= "table" or type(probs[1]) ~= "number" or type(probs[2]) ~= "number"
        or not (probs[1] > 0 and probs[1] < probs[2] and probs[2] < 1) then
      error("ae.plot.manifold: quantiles is true or {p_lo, p_hi} with 0 < p_lo < p_hi < 1", 2)
    end
  end
  local H, W = table.unpack(o.image or { 28, 28 })
  local d = latent_size(model, o, H, W)
  local dims = o.dims or { 1, 2 }
  local i, j = dims[1], dims[2]
  if math.type(i) ~= "integer" or math.type(j) ~= "integer" or i == j or i < 1 or j < 1 or i > d or j > d then
    error(string.format("ae.plot.manifold: dims must be two different coordinates in 1..%d, got {%s, %s}", d,
      tostring(i), tostring(j)), 2)
  end
  local base = {}
  for k = 1, d do
    base[k] = o.at and (ae.is_tensor(o.at) and o.at:reshape(d):get(k) or o.at[k]) or 0
    if type(base[k]) ~= "number" then error("ae.plot.manifold: at must hold " .. d .. " numbers", 2) end
  end
  local xr, yr = o.xrange or { -3, 3 }, o.yrange or { -3, 3 }
  local xs, ys = axis_values(n, xr, probs), axis_values(n, yr, probs)
  local z = ae.zeros(n * n, d)
  for r = 1, n do
    for c = 1, n do
      local k = (r - 1) * n + c
      for m = 1, d do z:set(k, m, base[m]) end
      z:set(k, i, xs[c])
      z:set(k, j, ys[n + 1 - r]) -- the top row is the largest value
    end
  end
  local imgs = decoder_of(model)(z)
  if d > 2 and o.title == nil then -- a slice says where it is cut
    local fixed = {}
    for m = 1, d do
      if m ~= i and m ~= j then fixed[#fixed + 1] = string.format("code %d = %.3g", m, base[m]) end
    end
    o.title = "Decoded slice of the latent space at " .. table.concat(fixed, ", ")
  end
  local pad = o.pad or 1
  local m = I.mosaic(imgs, H, W, n, { pad = pad, background = o.background or 0.5 })
  local MH, MW = m:size(1), m:size(2)
  local side = o.pixels or 800
  o.size = o.size or { side + 100, math.floor(side * MH / MW) + 110 }
  local fig = E.figure(o, "picture")
  common(fig, o)
  fig:cmd("unset key; unset colorbox")
  fig:cmd("set size ratio %g", MH / MW) -- the mosaic keeps square pixels
  if o.invert then fig:cmd("set palette gray negative") else fig:cmd("set palette gray") end
  fig:cmd("set cbrange [0:1]")
  local where = probs and string.format(" (grid at N(0,1) quantiles, p = %g..%g)", probs[1], probs[2]) or ""
  fig:cmd("set xlabel %s; set ylabel %s", quote(o.xlabel or ("code " .. i .. where)),
    quote(o.ylabel or ("code " .. j .. where)))
  fig:cmd("set tics out nomirror")
  local src = fig:binary(m:tobytes())
  if not probs then
    -- axes in code units: the image spans the rectangle plus half a cell
    local dx = (xr[2] - xr[1]) / math.max(n - 1, 1)
    local dy = (yr[2] - yr[1]) / math.max(n - 1, 1)
    fig:cmd("set xrange [%g:%g]; set yrange [%g:%g]", xr[1] - dx / 2, xr[2] + dx / 2, yr[1] - dy / 2, yr[2] + dy / 2)
    fig:cmd("plot %s binary array=(%d,%d) format='%%float' flipy dx=%g dy=%g origin=(%g,%g) with image notitle", src,
      MW, MH, (xr[2] - xr[1] + dx) / MW, (yr[2] - yr[1] + dy) / MH, xr[1] - dx / 2, yr[1] - dy / 2)
    return fig:render()
  end
  -- quantile grid: unevenly spaced codes, so the axes are in mosaic pixels
  -- and each labelled tic sits under a tile's centre with its z value:
  -- every step-th tile from both ends inwards (the labels mirror each other,
  -- as the quantiles do), the middle one when n is odd; at most about 11
  fig:cmd("set xrange [-0.5:%g]; set yrange [-0.5:%g]", MW - 0.5, MH - 0.5)
  local step = math.max(1, math.ceil(n / 11))
  local ticks = {}
  for k = 1, n // 2, step do ticks[#ticks + 1] = k; ticks[#ticks + 1] = n + 1 - k end
  if n % 2 == 1 then ticks[#ticks + 1] = (n + 1) // 2 end
  table.sort(ticks)
  local function z_text(v) return (string.format("%.2f", v):gsub("^%-(0%.0*)$", "%1")) end -- no "-0.00"
  local xt, yt = {}, {}
  for _, k in ipairs(ticks) do
    local cx = pad + (k - 1) * (W + pad) + (W - 1) / 2
    local cy = pad + (k - 1) * (H + pad) + (H - 1) / 2 -- from the bottom: row k counts up
    xt[#xt + 1] = string.format("'%s' %g", z_text(xs[k]), cx)
    yt[#yt + 1] = string.format("'%s' %g", z_text(ys[k]), cy)
  end
  fig:cmd("set xtics (%s)", table.concat(xt, ", "))
  fig:cmd("set ytics (%s)", table.concat(yt, ", "))
  fig:cmd("plot %s binary array=(%d,%d) format='%%float' flipy with image notitle", src, MW, MH)
  return fig:render()
end

-- A waypoint's code as a vector of d numbers: a code given as a 1×d tensor
-- or a table of numbers, or an image (a one-row tensor of H·W pixels, or
-- 1×1×H×W) encoded by the model first.
local function waypoint_code(model, w, H, W, who)
  if not ae.is_tensor(w) then
    if type(w) ~= "table" or type(w[1]) ~= "number" then
      error(who .. ": a waypoint is a one-row tensor (an image or a code) or a table of numbers", 4)
    end
    w = ae.tensor({ w })
  end
  if w:size(1) ~= 1 then
    error(string.format("%s: a waypoint is one row, got %d rows", who, w:size(1)), 4)
  end
  if w:numel() == H * W then -- an image: where the encoder puts it
    if type(model) == "function" then
      error(who .. ": an image as waypoint needs a model that encodes (give codes to a decoder function)", 4)
    end
    w = model:encode(w)
  end
  return w:reshape(w:numel())
end

-- interpolation(model, z1, z2, {steps=10, image=}): decodings of the codes
-- on the segment from z1 to z2 (1×d tensors or tables), as one strip with
-- t = 0..1 under the images.
-- interpolation(model, {through = {w1, w2, w3, ...}, steps=10}): a walk
-- through several waypoints, each an image (a one-row tensor of H·W pixels,
-- encoded first) or a code (1×d tensor or table), in straight legs of
-- `steps` images each (the waypoints shared between legs); the captions
-- count legs: waypoint k sits at k − 1.
-- interpolation(model, {walks = {{a, b, c}, {d, e, f}}, labels = {...}}):
-- one row per walk, each named on the left by its label ("0 → 3 → 1");
-- every walk has as many waypoints. The waypoints' images are framed, and
-- waypoints = {{"0", "3", "1"}, ...} (a name per waypoint of each walk)
-- puts each name under its image.
function I.interpolation(model, z1, z2, o)
  local who = "ae.plot.interpolation"
  if z2 == nil and o == nil and type(z1) == "table" and not ae.is_tensor(z1) and z1[1] == nil then
    o = own(check(who, z1, KEYS.interpolation, 2)) -- the call with options only
    if not (o.through or o.walks) then error(who .. ": give the waypoints: through = {...} or walks = {{...}, ...}", 2) end
  else
    o = own(check(who, o, KEYS.interpolation, 2))
    if o.through or o.walks then error(who .. ": two endpoints or through/walks, not both", 2) end
    o.through = { z1, z2 }
  end
  if o.through and o.walks then error(who .. ": through (one walk) or walks (several), not both", 2) end
  local walks = o.walks or { o.through }
  local labels = o.labels
  if labels ~= nil and (type(labels) ~= "table" or #labels ~= #walks) then
    error(string.format("%s: labels names each walk: %d strings", who, #walks), 2)
  end
  local names = o.waypoints
  if names ~= nil then
    if not labels then error(who .. ": waypoints names the waypoints of labelled walks: give labels too", 2) end
    local ok = type(names) == "table" and #names == #walks
    for w = 1, ok and #walks or 0 do ok = ok and type(names[w]) == "table" and #names[w] == #walks[w] end
    if not ok then
      error(string.format("%s: waypoints is a list of names per walk: %d lists of %d names", who, #walks,
        type(walks[1]) == "table" and #walks[1] or 0), 2)
    end
  end
  local H, W = table.unpack(o.image or { 28, 28 })
  local steps = o.steps or 10
  local legs = #walks[1] - 1
  if math.type(steps) ~= "integer" or steps < 1 or (legs > 1 and steps < 2) then
    error(who .. ": steps (images per leg, the waypoints included) must be an integer >= 2", 2)
  end
  for w, walk in ipairs(walks) do
    if type(walk) ~= "table" or ae.is_tensor(walk) or #walk < 2 then
      error(string.format("%s: walk %d is a list of at least two waypoints", who, w), 2)
    end
    if #walk ~= #walks[1] then
      error(string.format("%s: every walk has as many waypoints (walk %d has %d, walk 1 %d)", who, w, #walk,
        #walks[1]), 2)
    end
  end
  local per_walk = legs * math.max(steps - 1, 1) + (steps > 1 and 1 or 0)
  local codes, captions, z = {}, {}, nil
  for w, walk in ipairs(walks) do
    for k, p in ipairs(walk) do codes[k] = waypoint_code(model, p, H, W, who) end
    local d = codes[1]:numel()
    for k = 2, #codes do
      if codes[k]:numel() ~= d then
        error(string.format("%s: waypoints 1 and %d of walk %d have codes of %d and %d numbers", who, k, w, d,
          codes[k]:numel()), 2)
      end
    end
    z = z or ae.zeros(#walks * per_walk, d)
    if z:size(2) ~= d then error(string.format("%s: walks 1 and %d have codes of different sizes", who, w), 2) end
    local row = (w - 1) * per_walk
    for leg = 1, legs do
      local a, b = codes[leg], codes[leg + 1]
      for s = (leg == 1) and 1 or 2, steps do -- a leg after the first starts at the waypoint already drawn
        local t = (s - 1) / math.max(steps - 1, 1)
        row = row + 1
        for j = 1, d do z:set(row, j, (1 - t) * a:get(j) + t * b:get(j)) end
        captions[row - (w - 1) * per_walk] = string.format("%.2g", leg - 1 + t)
      end
    end
  end
  local imgs = decoder_of(model)(z)
  o.through, o.walks, o.steps, o.waypoints = nil, nil, nil, nil -- used up here: the mosaics know none of them
  if not labels then
    o.ncol = per_walk
    o.captions = o.captions or captions
    return I.images(imgs, o)
  end
  if o.captions then error(who .. ": captions go with one walk without labels", 2) end
  local rows, marks = {}, {}
  for w = 1, #walks do
    rows[w] = { tostring(labels[w]), imgs:narrow(1, (w - 1) * per_walk + 1, per_walk) }
    for k = 1, legs + 1 do -- waypoint k is image (k − 1)·(steps − 1) + 1 of its row
      local col = (k - 1) * math.max(steps - 1, 1) + 1
      if col <= per_walk then marks[#marks + 1] = { row = w, col = col, text = names and tostring(names[w][k]) or nil } end
    end
  end
  return I.image_rows(rows, { n = per_walk, image = o.image, invert = o.invert, pad = o.pad, scale = o.scale, marks = marks,
    background = o.background or (o.invert and 0.0 or 1.0), left = o.left, out = o.out, size = o.size, terminal = o.terminal, title = o.title })
end

return I
