-- Charts: loss curves (history), scatters of codes coloured by class (latent,
-- and compare's two side by side, both through scatter_block/scatter_plots),
-- lines of y against x (series, with ± bars), confusion matrices and histograms. Each takes data and an options table
-- {out=, title=, terminal=, size={w,h}} and returns what the engine's render
-- returns: the output path, or nil and a reason.
local ae = require "aelab"
local E = require "plots.engine"
local T, F = require("aelab.i18n").T, require("aelab.i18n").F -- default labels in the chosen language

local C = {}
local own, common, quote, colors = E.own, E.common, E.quote, E.colors

-- The options of each figure, beside the ones every figure takes (out,
-- title, terminal, size): a key not listed is an error naming the nearest.
local check = require("aelab.optcheck").check
local with_common = E.with_common
local KEYS = {
  history = with_common { "label", "logscale", "ylabel" },
  latent = with_common { "classes", "pointsize", "text" },
  compare = with_common { "axes", "classes", "names", "pointsize" },
  latent_panels = with_common { "axes", "classes", "image", "invert", "ncol", "pointsize" },
  series = with_common { "key", "logscale", "points", "xlabel", "xrange", "xtics", "ylabel", "yrange" },
  confusion = with_common { "classes", "xlabel", "ylabel" },
  histogram = with_common { "bins", "mark", "mark_label", "range", "xlabel", "ylabel" },
}

---------------------------------------------------------------------------
-- history: loss curves. `runs` is a history, or a list of {label=, history=}.
---------------------------------------------------------------------------
function C.history(runs, o)
  o = own(check("ae.plot.history", o, KEYS.history, 2))
  if runs.loss then runs = { { label = o.label or "", history = runs } } end
  local fig = E.figure(o)
  common(fig, o)
  fig:cmd("set xlabel %s", quote(runs[1].history.full_batch and T"iteration" or T"epoch"))
  fig:cmd("set ylabel %s", quote(o.ylabel or T"loss"))
  fig:cmd("set grid")
  fig:cmd("set key top right")
  if o.logscale then fig:cmd("set logscale y") end
  local plots = {}
  local style = #runs[1].history.loss > 20 and "lines" or "linespoints"
  local text = E.is_text(o)
  for r, run in ipairs(runs) do
    local h = run.history
    h.val_loss = h.val_loss or {}
    local rows = {}
    for e = 1, #h.loss do
      rows[e] = string.format("%d %.8g %s", e, h.loss[e], h.val_loss[e] and string.format("%.8g", h.val_loss[e]) or "NaN")
    end
    fig:block("run" .. r, rows)
    local label = (run.label and run.label ~= "") and (run.label .. ", ") or ""
    local lt = (r - 1) % #colors + 1
    -- as text the character is the line type's: train and validation get
    -- two (in files one colour a run, dashed for train)
    local lt_train, lt_val = lt, lt
    if text then lt_train, lt_val = (2 * r - 2) % #colors + 1, (2 * r - 1) % #colors + 1 end
    plots[#plots + 1] = string.format("$run%d using 1:2 with %s lt %d dt 2 title %s", r, style, lt_train,
      quote(label .. T"train"))
    if h.val_loss[1] then
      plots[#plots + 1] = string.format("$run%d using 1:3 with %s lt %d dt 1 title %s", r, style, lt_val,
        quote(label .. T"validation"))
    end
  end
  local epochs = #runs[1].history.loss
  if epochs == 1 then fig:cmd("set xrange [0.5:1.5]") end
  fig:cmd("set xtics %d", math.max(1, epochs // 10))
  fig:cmd("plot " .. table.concat(plots, ", \\\n     "))
  return fig:render()
end

---------------------------------------------------------------------------
-- Scatters of codes: latent (one) and compare (two side by side).
---------------------------------------------------------------------------

-- Top-k principal directions of the rows of z (d×k) and their mean (1×d).
function C.principal_axes(z, k)
  if z:size(1) < 2 then -- one point: no spread to find axes in, any axes project it to 0
    local V = ae.zeros(z:size(2), k)
    for a = 1, k do V:set(a, a, 1) end
    return V, z:mean(true)
  end
  local pca = ae.PCA(z, k) -- the core's exact PCA, signs fixed so figures repeat
  return pca:components():t(), pca:mean()
end

-- Projects codes to 2-D (PCA when wider); returns [N×2], and how.
function C.to2d(z)
  -- TRANSLATORS: axis label of a 2-D code: "code 1", "code 2"
  if z:size(2) == 2 then return z, T"code" end
  if z:size(2) == 1 then
    return ae.zeros(z:size(1), 2):copy_block(1, 1, z:reshape(z:size(1), 1)), T"code"
  end
  local V, mean = C.principal_axes(z, 2)
  -- TRANSLATORS: axis label, principal component: "PC 1", "PC 2" (es, pt: "CP 1")
  return (z - mean):matmul(V), T"PC"
end

-- The scatter latent and compare both draw, in two steps. First the points
-- [N×2] go to datablock $name as "x y class" rows (class 0 without labels),
-- each class seen marked in `seen`; then one points clause per class
-- (coloured by class) for the plot command.
local function scatter_block(fig, name, xy, labels, seen)
  local rows = {}
  for i = 1, xy:size(1) do
    local c = labels and math.floor(labels:get(i)) or 0
    seen[c] = true
    rows[i] = string.format("%.6g %.6g %d", xy:get(i, 1), xy:get(i, 2), c)
  end
  fig:block(name, rows)
end

-- As text in the terminal (text = true) each class is drawn with its own
-- digit (classes 0-9; letters after), not one dot for all.
local function scatter_plots(name, classes, ps, title_of, text)
  local plots = {}
  for _, c in ipairs(classes) do
    local pt = "7"
    if text then pt = quote(("0123456789abcdefghijklmnopqrstuvwxyz"):sub(c % 36 + 1, c % 36 + 1)) end
    plots[#plots + 1] = string.format("$%s using ($3==%d?$1:NaN):($3==%d?$2:NaN) with points pt %s ps %g lt %d title %s",
      name, c, c, pt, ps, c % #colors + 1, quote(title_of(c)))
  end
  return plots
end

local function sorted_keys(set)
  local list = {}
  for k in pairs(set) do list[#list + 1] = k end
  table.sort(list)
  return list
end

-- latent(z, labels, {classes={names}, text={per-point labels}, ...})
function C.latent(z, labels, o)
  o = own(check("ae.plot.latent", o, KEYS.latent, 2))
  local xy, how = C.to2d(z)
  local fig = E.figure(o)
  common(fig, o)
  fig:cmd("set xlabel %s", quote(how .. " 1"))
  fig:cmd("set ylabel %s", quote(how .. " 2"))
  fig:cmd("set grid")
  fig:cmd("set key outside right top")
  local N = xy:size(1)
  local seen = {}
  scatter_block(fig, "codes", xy, labels, seen)
  local plots = scatter_plots("codes", sorted_keys(seen), o.pointsize or (N > 2000 and 0.3 or 0.8), function(c)
    return o.classes and o.classes[c + 1] or (labels and tostring(c) or "codes")
  end, E.is_text(o))
  if o.text then
    local trows = {}
    for i = 1, N do trows[i] = string.format("%.6g %.6g %s", xy:get(i, 1), xy:get(i, 2), string.format("%q", (tostring(o.text[i]):gsub("[\r\n]", " ")))) end
    fig:block("text", trows)
    plots[#plots + 1] = "$text using 1:2:3 with labels offset 0.8,0.8 font ',12' noenhanced notitle"
  end
  fig:cmd("plot " .. table.concat(plots, ", \\\n     "))
  return fig:render()
end

-- compare(a, b, labels, {names={"A", "B"}, axes={how_a, how_b}, classes=}):
-- two 2-D embeddings of the same points side by side on one canvas.
function C.compare(a, b, labels, o)
  o = own(check("ae.plot.compare", o, KEYS.compare, 2))
  local names = o.names or { "A", "B" }
  o.size = o.size or { 1300, 560 }
  local fig = E.figure(o)
  common(fig, {}) -- the title goes on the multiplot below
  local seen, how = {}, {}
  for which, t in ipairs { a, b } do
    local xy
    xy, how[which] = C.to2d(t)
    if o.axes and o.axes[which] then how[which] = o.axes[which] end
    scatter_block(fig, "emb" .. which, xy, labels, seen)
  end
  local classes = sorted_keys(seen)
  local ps = o.pointsize or ((a:size(1) > 2000) and 0.3 or 0.7)
  local function title_of(c) return o.classes and o.classes[c + 1] or tostring(c) end
  fig:cmd("set multiplot layout 1,2 %s", o.title and ("title " .. quote(o.title) .. " noenhanced") or "")
  for which = 1, 2 do
    fig:cmd("set title %s noenhanced", quote(names[which]))
    fig:cmd("set xlabel %s; set ylabel %s", quote(how[which] .. " 1"), quote(how[which] .. " 2"))
    fig:cmd("set grid")
    if which == 2 then fig:cmd("set key outside right top") else fig:cmd("unset key") end
    fig:cmd("plot " .. table.concat(scatter_plots("emb" .. which, classes, ps, title_of, E.is_text(o)), ", \\\n     "))
  end
  fig:cmd("unset multiplot")
  return fig:render()
end

-- latent_panels({{name=, z=, labels=, images=}, ...}, {classes=, image={H,W},
-- ncol=, axes=}): models side by side, one column each: its codes (2-D, or
-- their first two principal axes) coloured by class on top, on the same
-- axis ranges in every column so that spreads compare, and when given its
-- images (samples) as a mosaic underneath. labels default to the first
-- panel's; one key for the classes, on the right.
function C.latent_panels(panels, o)
  o = own(check("ae.plot.latent_panels", o, KEYS.latent_panels, 2))
  if type(panels) ~= "table" or #panels == 0 then
    error("ae.plot.latent_panels: give a list of panels {name =, z = codes, labels =, images =}", 2)
  end
  local k = #panels
  local with_images = panels[1].images ~= nil
  for p, pn in ipairs(panels) do
    if type(pn) ~= "table" or not ae.is_tensor(pn.z) then
      error(string.format("ae.plot.latent_panels: panel %d needs z, a tensor of codes", p), 2)
    end
    if (pn.images ~= nil) ~= with_images or (with_images and not ae.is_tensor(pn.images)) then
      error("ae.plot.latent_panels: give images (a tensor) to every panel or to none", 2)
    end
  end
  local H, W = table.unpack(o.image or { 28, 28 })
  -- the key's pixels on the right (wide enough for the longest class name:
  -- "Camiseta/top" in es and pt), the title's share on top
  local longest = 0
  for _, c in ipairs(o.classes or {}) do longest = math.max(longest, utf8.len(tostring(c)) or #tostring(c)) end
  local KEYW, TOP = math.max(150, 85 + 8 * longest), o.title and 0.08 or 0.03
  o.size = o.size or { 440 * k + KEYW, with_images and 900 or 470 }
  local fig = E.figure(o)
  common(fig, {})
  -- the codes, and one range for every column
  local seen, xys, how = {}, {}, nil
  local lo, hi = { math.huge, math.huge }, { -math.huge, -math.huge }
  for p, pn in ipairs(panels) do
    local xy
    xy, how = C.to2d(pn.z)
    xys[p] = xy
    scatter_block(fig, "emb" .. p, xy, pn.labels or panels[1].labels, seen)
    for i = 1, xy:size(1) do
      for d = 1, 2 do
        local v = xy:get(i, d)
        lo[d], hi[d] = math.min(lo[d], v), math.max(hi[d], v)
      end
    end
  end
  for d = 1, 2 do
    local m = 0.05 * math.max(hi[d] - lo[d], 1e-6)
    lo[d], hi[d] = lo[d] - m, hi[d] + m
  end
  local axes = o.axes or how
  local classes = sorted_keys(seen)
  local ps = o.pointsize or ((panels[1].z:size(1) > 2000) and 0.3 or 0.7)
  local function title_of(c) return o.classes and o.classes[c + 1] or tostring(c) end
  local width = 1 - KEYW / o.size[1] -- the columns' share of the width
  local split = with_images and 0.5 or 0 -- scatters above, mosaics below
  fig:cmd("set multiplot %s", o.title and ("title " .. quote(o.title) .. " noenhanced") or "")
  for p, pn in ipairs(panels) do
    local x0, x1 = width * (p - 1) / k, width * p / k
    fig:cmd("set lmargin at screen %g; set rmargin at screen %g", x0 + 0.055 * width, x1 - 0.012)
    fig:cmd("set tmargin at screen %g; set bmargin at screen %g", 1 - TOP - 0.03, split + 0.08 * (1 - split) + 0.02)
    fig:cmd("set title %s noenhanced", quote(pn.name or ""))
    fig:cmd("set xlabel %s; set ylabel %s", quote(axes .. " 1"), quote(p == 1 and (axes .. " 2") or ""))
    fig:cmd("set xrange [%g:%g]; set yrange [%g:%g]", lo[1], hi[1], lo[2], hi[2])
    fig:cmd("set border; set tics; set grid; set size noratio")
    if p == k then fig:cmd("set key at screen %g, screen %g left top reverse Left", width + 0.01, 1 - TOP - 0.03)
    else fig:cmd("unset key") end
    fig:cmd("plot " .. table.concat(scatter_plots("emb" .. p, classes, ps, title_of, E.is_text(o)), ", \\\n     "))
  end
  if with_images then
    local mosaic = require("plots.images").mosaic
    fig:cmd("unset key; unset border; unset tics; unset grid; unset xlabel; unset ylabel; unset colorbox")
    if o.invert then fig:cmd("set palette gray negative") else fig:cmd("set palette gray") end
    fig:cmd("set cbrange [0:1]")
    for p, pn in ipairs(panels) do
      local n = pn.images:size(1)
      local m = mosaic(pn.images:reshape(n, H * W), H, W, o.ncol or math.ceil(math.sqrt(n)),
        { pad = 1, background = o.invert and 0.0 or 1.0 })
      local MH, MW = m:size(1), m:size(2)
      local x0, x1 = width * (p - 1) / k, width * p / k
      fig:cmd("set lmargin at screen %g; set rmargin at screen %g", x0 + 0.055 * width, x1 - 0.012)
      fig:cmd("set tmargin at screen %g; set bmargin at screen 0.01", split - 0.01)
      fig:cmd("set title %s noenhanced", quote(F("%s: samples", pn.name or "")))
      fig:cmd("set size ratio -1")
      fig:cmd("set xrange [-0.5:%g]; set yrange [-0.5:%g]", MW - 0.5, MH - 0.5)
      local src = fig:binary(m:tobytes())
      fig:cmd("plot %s binary array=(%d,%d) format='%%float' flipy with image notitle", src, MW, MH)
    end
  end
  fig:cmd("unset multiplot")
  return fig:render()
end

---------------------------------------------------------------------------
-- series: lines of y against x, several on one canvas.
--   series({{label=, x={...}, y={...} [, err={...}]}, ...}, {xlabel=, ylabel=, points=true})
--   err: error bars of ± err at each point (a sweep's sd over seeds)
---------------------------------------------------------------------------
function C.series(list, o)
  o = own(check("ae.plot.series", o, KEYS.series, 2))
  local fig = E.figure(o)
  common(fig, o)
  -- labels as written: a metric's name (denoise_mse) is no subscript
  fig:cmd("set xlabel %s noenhanced; set ylabel %s noenhanced", quote(o.xlabel or "x"), quote(o.ylabel or "y"))
  fig:cmd("set grid")
  fig:cmd("set key %s", E.words(o.key or "top left", "key"))
  -- error bars at the first and last x would sit on the frame
  for _, sr in ipairs(list) do if sr.err then fig:cmd("set offsets graph 0.05, graph 0.05, 0, 0") break end end
  if o.logscale then fig:cmd("set logscale %s", E.words(o.logscale, "logscale")) end
  if o.xtics then -- {values}: tics at these x only, labelled with their numbers
    local t = {}
    for i, v in ipairs(o.xtics) do t[i] = string.format("%s %.8g", quote(ae.commas(v)), v) end
    fig:cmd("set xtics (%s)", table.concat(t, ", "))
  end
  if o.xrange then fig:cmd("set xrange [%.8g:%.8g]", o.xrange[1], o.xrange[2]) end
  if o.yrange then fig:cmd("set yrange [%.8g:%.8g]", o.yrange[1], o.yrange[2]) end
  local plots = {}
  for k, sr in ipairs(list) do
    -- err = {...}: a ± bar at each point (a standard deviation, say)
    local rows = {}
    for i = 1, #sr.y do
      rows[i] = string.format("%.8g %.8g %.8g", sr.x and sr.x[i] or i, sr.y[i], sr.err and sr.err[i] or 0)
    end
    fig:block("s" .. k, rows)
    local with = sr.err and "yerrorlines" or (o.points == false and "lines" or "linespoints")
    plots[k] = string.format("$s%d using 1:2%s with %s lt %d title %s", k, sr.err and ":3" or "", with,
      (k - 1) % #colors + 1, quote(sr.label or ""))
  end
  fig:cmd("plot " .. table.concat(plots, ", \\\n     "))
  return fig:render()
end

---------------------------------------------------------------------------
-- confusion(cm, {classes = {names}}): a confusion matrix [C×C] of counts
-- (ae.metrics.confusion: rows true classes, columns predicted) as a grid of
-- cells shaded by each true class's share, the count written in each.
---------------------------------------------------------------------------
function C.confusion(cm, o)
  o = own(check("ae.plot.confusion", o, KEYS.confusion, 2))
  if not ae.is_tensor(cm) or cm:dim() ~= 2 or cm:size(1) ~= cm:size(2) then
    error("ae.plot.confusion: expected a square tensor of counts (ae.metrics.confusion)", 2)
  end
  local n, rows = cm:size(1), cm:totable()
  local names = o.classes or {}
  local fig = E.figure(o)
  o.size = o.size or { 760, 640 }
  common(fig, o)
  local cells = {}
  for i = 1, n do
    local total = 0
    for j = 1, n do total = total + rows[i][j] end
    for j = 1, n do
      local share = total > 0 and rows[i][j] / total or 0
      -- x = predicted, y = true (row 0 at the top)
      cells[#cells + 1] = string.format("%d %d %.6g %d %s", j - 1, i - 1, share, rows[i][j],
        share > 0.5 and "1" or "0")
    end
  end
  fig:block("cm", cells)
  local tics = {}
  for k = 1, n do tics[k] = string.format("%s %d", quote(names[k] or tostring(k - 1)), k - 1) end
  fig:cmd("set xtics (%s) rotate by 45 right", table.concat(tics, ", "))
  fig:cmd("set ytics (%s)", table.concat(tics, ", "))
  fig:cmd("set xrange [-0.5:%g]; set yrange [%g:-0.5]", n - 0.5, n - 0.5)
  fig:cmd("set xlabel %s; set ylabel %s", quote(o.xlabel or T"predicted class"), quote(o.ylabel or T"true class"))
  fig:cmd("set size ratio -1; unset key")
  fig:cmd("set palette defined (0 '#ffffff', 1 '#08306b'); set cbrange [0:1]")
  fig:cmd("set cblabel %s", quote(T"share of the true class"))
  fig:cmd("plot $cm using 1:2:3 with image, $cm using 1:2:(sprintf('%d', $4)):($5 > 0 ? 0xffffff : 0x000000) " ..
    "with labels tc rgb variable font ',9'")
  return fig:render()
end

---------------------------------------------------------------------------
-- histogram of values (a tensor or a table of numbers)
---------------------------------------------------------------------------
function C.histogram(values, o)
  o = own(check("ae.plot.histogram", o, KEYS.histogram, 2))
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
  local fig = E.figure(o)
  common(fig, o)
  fig:block("hist", rows)
  fig:cmd("set xlabel %s; set ylabel %s", quote(o.xlabel or T"value"), quote(o.ylabel or T"count"))
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

return C
