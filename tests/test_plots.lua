-- The plot library (plots/gnuplot.lua): every kind of figure drawn from
-- small tensors into a temporary folder, checked as a file (PNG signature
-- and IHDR size, SVG width/height, PDF header and MediaBox), with its .gp
-- script and data beside it re-rendering the same figure by hand; the
-- missing-gnuplot path, the dumb terminal without a display, gnuplot's own
-- errors returned as nil and its message (a figure never ends a run), and titles/labels that gnuplot could
-- misread (quotes, backslashes, enhanced-text markup).
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"
local P = ae.plot

H.announce_seed("test_plots")

local bin = H.BIN
local GNUPLOT = "gnuplot" -- re-rendering by hand, as the .gp header says

local read, png_size = H.read, H.png_size

local function file_size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

local function need_gnuplot()
  lu.skipIf(not P.available(), "gnuplot is not installed")
end


-- Asserts a valid PNG; of exactly w×h when given. Returns its size.
local function assert_png(path, w, h)
  local pw, ph = png_size(path)
  lu.assertNotNil(pw, path .. " is missing or not a PNG")
  if w then
    lu.assertEquals({ pw, ph }, { w, h }, path .. " has the wrong size")
  end
  return pw, ph
end

local function stem(path) return (path:gsub("%.[^./]*$", "")) end
local function dirname(path) return path:match("^(.*)/[^/]*$") end
local function basename(path) return path:match("[^/]*$") end

-- The .gp beside `out` re-renders it: delete the figure, run gnuplot on the
-- script from its folder, and the same file comes back (`check` validates it).
local function assert_rerenders(out, check)
  local gp = stem(out) .. ".gp"
  local script = read(gp)
  lu.assertNotNil(script, "no .gp script beside " .. out)
  lu.assertStrContains(script, "set output '" .. basename(out) .. "'")
  os.remove(out)
  lu.assertNil(read(out), "could not delete " .. out)
  local _, err, code = H.run(string.format("cd %s && %s %s", H.q(dirname(out)), GNUPLOT, H.q(basename(gp))))
  lu.assertEquals(code, 0, "gnuplot " .. gp .. " failed:\n" .. err)
  check(out)
end

-- A PNG of w×h (exact when given), its .gp beside it, re-rendering to the same size.
local function assert_figure(out, w, h)
  local pw, ph = assert_png(out, w, h)
  assert_rerenders(out, function(p) assert_png(p, pw, ph) end)
  return pw, ph
end

-- Rows, cols of the mosaic that P.mosaic builds for N images of H×W.
local function mosaic_dims(N, Hh, W, ncol, pad)
  local nrow = math.ceil(N / ncol)
  return nrow * Hh + (nrow + 1) * pad, ncol * W + (ncol + 1) * pad
end

local function assert_data_bytes(out, MH, MW)
  local bytes = file_size(stem(out) .. ".data1.bin")
  lu.assertNotNil(bytes, "no .data1.bin beside " .. out)
  lu.assertEquals(bytes, 4 * MH * MW, "the image data beside " .. out .. " is not the " .. MW .. "×" .. MH .. " mosaic")
end

local function svg_size(s)
  local tag = s:match("<svg[^>]*>")
  if not tag then return nil end
  return tonumber(tag:match('%swidth="(%d+)"')), tonumber(tag:match('%sheight="(%d+)"'))
end

local function assert_svg(path, w, h)
  local s = read(path)
  lu.assertNotNil(s, path .. " is missing")
  lu.assertTrue(s:sub(1, 5) == "<?xml" or s:find("<svg", 1, true) ~= nil, path .. " is not an SVG")
  local sw, sh = svg_size(s)
  lu.assertEquals({ sw, sh }, { w, h }, path .. ": width/height attributes of <svg>")
  lu.assertStrContains(s, "</svg>")
  return s
end

-- pdfcairo takes the size in inches (w/100 × h/100): the page is 0.72·w × 0.72·h points.
local function assert_pdf(path, w, h)
  local s = read(path)
  lu.assertNotNil(s, path .. " is missing")
  lu.assertEquals(s:sub(1, 5), "%PDF-", path .. " is not a PDF")
  local pw, ph = s:match("/MediaBox%s*%[%s*0%s+0%s+([%d%.]+)%s+([%d%.]+)%s*%]")
  lu.assertNotNil(pw, path .. " has no MediaBox")
  lu.assertAlmostEquals(tonumber(pw), 0.72 * w, 0.5)
  lu.assertAlmostEquals(tonumber(ph), 0.72 * h, 0.5)
  lu.assertStrContains(s, "%%EOF")
end

-- The text of every <text> element of an SVG, tags stripped.
local function svg_texts(s)
  local out = {}
  for t in s:gmatch("<text[^>]*>(.-)</text>") do
    out[#out + 1] = (t:gsub("<[^>]*>", ""):gsub("&quot;", '"'):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&amp;", "&"))
  end
  return out
end

local function has_text(texts, want)
  for _, t in ipairs(texts) do if t == want then return true end end
  return false
end

-- Tiny models: 7×5 images through a 2-number code (for the latent plane),
-- and 28×28 images through 4 numbers.
local function tiny_letters_ae()
  return ae.Autoencoder { encoder = { ae.Dense(35, 2) }, decoder = { ae.Dense(2, 35), ae.Sigmoid() } }
end

local function tiny_image_ae()
  return ae.Autoencoder { encoder = { ae.Dense(784, 4), ae.ReLU() }, decoder = { ae.Dense(4, 784), ae.Sigmoid() } }
end

local function fake_history(n, with_val)
  local h = { loss = {}, val_loss = {} }
  for e = 1, n do
    h.loss[e] = 1 / e + 0.1
    if with_val then h.val_loss[e] = 1.1 / e + 0.12 end
  end
  h.epochs = n
  return h
end

---------------------------------------------------------------------------
-- Each figure function, as PNG (and SVG/PDF where asked), re-rendered by hand
---------------------------------------------------------------------------
TestPlots = {}

function TestPlots:setUp()
  H.seed()
  self.dir = H.tmpdir()
end

function TestPlots:tearDown()
  H.rmdir(self.dir)
end

function TestPlots:testHistoryFromFit()
  need_gnuplot()
  local net = tiny_letters_ae()
  local x = ae.data.letters().x
  local h = net:fit(x, { epochs = 3, batch = 32, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-2 },
    validation = x, verbose = false })
  local out = self.dir .. "/loss.png"
  lu.assertEquals(P.history(h, { out = out, size = { 640, 480 }, title = "letters", ylabel = "BCE" }), out)
  assert_figure(out, 640, 480)
  local gp = read(self.dir .. "/loss.gp")
  lu.assertStrContains(gp, "set terminal pngcairo size 640,480")
  lu.assertStrContains(gp, "$run1 << EOD")
end

function TestPlots:testHistoryDefaultSizeAndVariants()
  need_gnuplot()
  -- default canvas 800×600; several runs; one epoch; more than 20 epochs; no validation; log scale
  local out = self.dir .. "/runs.png"
  P.history({ { label = "a", history = fake_history(25, true) }, { label = "b", history = fake_history(25, false) } },
    { out = out, logscale = true })
  assert_figure(out, 800, 600)
  local one = self.dir .. "/one.png"
  P.history(fake_history(1, true), { out = one, size = { 320, 240 } })
  assert_figure(one, 320, 240)
  lu.assertStrContains(read(self.dir .. "/one.gp"), "set xrange [0.5:1.5]")
end

function TestPlots:testHistorySvg()
  need_gnuplot()
  local out = self.dir .. "/loss_svg.svg"
  lu.assertEquals(P.history(fake_history(4, true), { out = out, size = { 500, 350 } }), out)
  assert_svg(out, 500, 350)
  lu.assertStrContains(read(self.dir .. "/loss_svg.gp"), "set terminal svg size 500,350")
  assert_rerenders(out, function(p) assert_svg(p, 500, 350) end)
end

function TestPlots:testHistoryPdf()
  need_gnuplot()
  local out = self.dir .. "/loss_pdf.pdf"
  lu.assertEquals(P.history(fake_history(4, true), { out = out, size = { 400, 300 } }), out)
  assert_pdf(out, 400, 300)
  assert_rerenders(out, function(p) assert_pdf(p, 400, 300) end)
end

function TestPlots:testOutputFolderIsCreated()
  need_gnuplot()
  local out = self.dir .. "/a b/deeper/loss.png" -- a space in the path, folders not there yet
  lu.assertEquals(P.history(fake_history(3, true), { out = out, size = { 300, 200 } }), out)
  assert_figure(out, 300, 200)
end

function TestPlots:testImagesComputesItsSize()
  need_gnuplot()
  local x = ae.rand(12, 784)
  local out = self.dir .. "/grid.png"
  local o = { out = out, ncol = 5 }
  lu.assertEquals(P.images(x, o), out)
  -- 3 rows of 5 tiles of 28×28 with 2 pixels between: 152×92, scaled by floor(900/152) = 5
  local MH, MW = mosaic_dims(12, 28, 28, 5, 2)
  lu.assertEquals({ MW, MH }, { 152, 92 })
  lu.assertNil(o.size, "the caller's options stay as given")
  assert_figure(out, MW * 5, MH * 5)
  assert_data_bytes(out, MH, MW)
end

function TestPlots:testImagesWithCaptionsTitleAndSize()
  need_gnuplot()
  local x = ae.rand(6, 784)
  local out = self.dir .. "/captioned.png"
  local o = { out = out, ncol = 3, captions = { "a", "b", "c", "d", "e", "f" }, title = "six", invert = true }
  P.images(x, o)
  -- captions widen the padding to floor(0.45·28) = 12; a title adds 30 pixels of height
  local MH, MW = mosaic_dims(6, 28, 28, 3, 12)
  local scale = math.floor(900 / MW)
  lu.assertNil(o.size, "the caller's options stay as given")
  assert_figure(out, MW * scale, MH * scale + 30)
  assert_data_bytes(out, MH, MW)
  lu.assertStrContains(read(self.dir .. "/captioned.gp"), "set label 'f'")
  -- an asked size wins
  local sized = self.dir .. "/sized.png"
  P.images(x, { out = sized, size = { 300, 200 }, image = { 28, 28 } })
  assert_figure(sized, 300, 200)
  assert_data_bytes(sized, mosaic_dims(6, 28, 28, 6, 2))
end

function TestPlots:testImagesSvgAndPdf()
  need_gnuplot()
  local x = ae.rand(4, 784)
  local svg = self.dir .. "/imgs_svg.svg"
  P.images(x, { out = svg, size = { 420, 120 } })
  assert_svg(svg, 420, 120)
  assert_rerenders(svg, function(p) assert_svg(p, 420, 120) end)
  local pdf = self.dir .. "/imgs_pdf.pdf"
  P.images(x, { out = pdf, size = { 420, 120 } })
  assert_pdf(pdf, 420, 120)
  assert_data_bytes(pdf, mosaic_dims(4, 28, 28, 4, 2))
  assert_rerenders(pdf, function(p) assert_pdf(p, 420, 120) end)
end

function TestPlots:testImageRows()
  need_gnuplot()
  local a, b = ae.rand(6, 784), ae.rand(5, 784)
  local out = self.dir .. "/rows.png"
  local o = { out = out, n = 4 }
  lu.assertEquals(P.image_rows({ { "first", a }, { "second", b } }, o), out)
  -- 2 rows of 4 tiles: 122×62, scaled by max(2, floor(900/122)) = 7, 150 pixels of names, 10 on top
  local MH, MW = mosaic_dims(8, 28, 28, 4, 2)
  lu.assertNil(o.size, "the caller's options stay as given")
  assert_figure(out, MW * 7 + 150, MH * 7 + 10)
  assert_data_bytes(out, MH, MW)
  local gp = read(self.dir .. "/rows.gp")
  lu.assertStrContains(gp, "set label 'first'")
  lu.assertStrContains(gp, "set label 'second'")
  -- n is capped by the shortest row; an asked size wins
  local sized = self.dir .. "/rows_sized.png"
  P.image_rows({ { "a", a }, { "b", b } }, { out = sized, size = { 700, 260 }, title = "t" })
  assert_figure(sized, 700, 260)
  assert_data_bytes(sized, mosaic_dims(10, 28, 28, 5, 2))
end

function TestPlots:testReconstructions()
  need_gnuplot()
  local net = tiny_image_ae()
  local x = ae.rand(5, 784)
  -- from a model
  local out = self.dir .. "/recon.png"
  lu.assertEquals(P.reconstructions(x, net, { out = out, n = 3, size = { 500, 300 } }), out)
  assert_figure(out, 500, 300)
  assert_data_bytes(out, mosaic_dims(6, 28, 28, 3, 2))
  -- from a tensor of reconstructions, with noisy inputs: three rows
  local noisy = (x + ae.randn(5, 784) * 0.2):clamp(0, 1)
  local out2 = self.dir .. "/recon_noisy.png"
  local o = { out = out2, noisy = noisy, recon_label = "denoised" }
  P.reconstructions(x, net:reconstruct(noisy), o)
  local MH, MW = mosaic_dims(15, 28, 28, 5, 2)
  lu.assertNil(o.size, "the caller's options stay as given")
  assert_figure(out2, MW * math.max(2, 900 // MW) + 150, MH * math.max(2, 900 // MW) + 10)
  assert_data_bytes(out2, MH, MW)
  local gp = read(self.dir .. "/recon_noisy.gp")
  lu.assertStrContains(gp, "'noisy'")
  lu.assertStrContains(gp, "'denoised'")
end

function TestPlots:testLatent()
  need_gnuplot()
  local labels = ae.zeros(30)
  for i = 1, 30 do labels:set(i, (i - 1) % 3) end
  -- a 2-number code is drawn as is
  local out = self.dir .. "/latent2.png"
  lu.assertEquals(P.latent(ae.randn(30, 2), labels, { out = out, size = { 640, 480 }, classes = { "x", "y", "z" } }), out)
  assert_figure(out, 640, 480)
  local gp = read(self.dir .. "/latent2.gp")
  lu.assertStrContains(gp, "code 1")
  lu.assertStrContains(gp, "title 'z'")
  -- a wider one on its two principal directions; no labels; default size
  local out2 = self.dir .. "/latent6.png"
  P.latent(ae.randn(30, 6), nil, { out = out2 })
  assert_figure(out2, 800, 600)
  lu.assertStrContains(read(self.dir .. "/latent6.gp"), "PC 1")
end

function TestPlots:testManifold()
  need_gnuplot()
  local net = tiny_letters_ae()
  local out = self.dir .. "/manifold.png"
  local o = { out = out, n = 6, image = { 7, 5 }, pixels = 300, xrange = { -2, 2 }, yrange = { -1, 1 } }
  lu.assertEquals(P.manifold(net, o), out)
  -- 6×6 tiles of 7×5 with 1 pixel between: 37 wide, 49 high; 300 pixels wide + 100, height in proportion + 110
  local MH, MW = mosaic_dims(36, 7, 5, 6, 1)
  lu.assertEquals({ MW, MH }, { 37, 49 })
  lu.assertNil(o.size, "the caller's options stay as given")
  assert_figure(out, 400, math.floor(300 * MH / MW) + 110)
  assert_data_bytes(out, MH, MW)
  -- a decoder given as a function, and an asked size
  local out2 = self.dir .. "/manifold_fn.png"
  local calls = 0
  P.manifold(function(z) calls = calls + 1 return net:decode(z) end,
    { out = out2, n = 4, image = { 7, 5 }, size = { 360, 420 }, invert = true, title = "plane" })
  lu.assertEquals(calls, 1)
  assert_figure(out2, 360, 420)
  assert_data_bytes(out2, mosaic_dims(16, 7, 5, 4, 1))
end

function TestPlots:testInterpolation()
  need_gnuplot()
  local net = tiny_letters_ae()
  local out = self.dir .. "/interp.png"
  local o = { out = out, steps = 7, image = { 7, 5 }, invert = true }
  lu.assertEquals(P.interpolation(net, { -1, 0.5 }, { 1, -0.5 }, o), out)
  -- one row of 7 tiles, captions under them: padding max(2, floor(0.45·7)) = 3
  local MH, MW = mosaic_dims(7, 7, 5, 7, 3)
  local scale = math.floor(900 / MW)
  lu.assertNil(o.size, "the caller's options stay as given")
  assert_figure(out, MW * scale, MH * scale)
  assert_data_bytes(out, MH, MW)
  local gp = read(self.dir .. "/interp.gp")
  lu.assertStrContains(gp, "set label '0'")
  lu.assertStrContains(gp, "set label '1'")
  -- codes as 1×2 tensors, asked size
  local z = net:encode(ae.data.letters().x)
  local out2 = self.dir .. "/interp_t.png"
  P.interpolation(net, z:narrow(1, 1, 1), z:narrow(1, 2, 1), { out = out2, steps = 4, image = { 7, 5 }, size = { 400, 150 } })
  assert_figure(out2, 400, 150)
end

function TestPlots:testCompare()
  need_gnuplot()
  local labels = ae.zeros(25)
  for i = 1, 25 do labels:set(i, i % 2) end
  local out = self.dir .. "/compare.png"
  local o = { out = out, names = { "left", "right" }, classes = { "even", "odd" }, title = "two" }
  lu.assertEquals(P.compare(ae.randn(25, 2), ae.randn(25, 5), labels, o), out)
  lu.assertNil(o.size, "the caller's options stay as given")
  assert_figure(out, 1300, 560)
  local gp = read(self.dir .. "/compare.gp")
  lu.assertStrContains(gp, "set multiplot layout 1,2")
  lu.assertStrContains(gp, "'PC 1'")
  local out2 = self.dir .. "/compare_sized.png"
  P.compare(ae.randn(10, 2), ae.randn(10, 2), nil, { out = out2, size = { 700, 300 } })
  assert_figure(out2, 700, 300)
end

-- latent_panels: one column per model, codes above on shared ranges (the
-- widest model sets them), samples below; one key.
function TestPlots:testLatentPanels()
  need_gnuplot()
  local labels = ae.zeros(20)
  for i = 1, 20 do labels:set(i, i % 3) end
  local small, wide = ae.randn(20, 2), ae.randn(20, 2) * 10
  local panels = { { name = "β = 0.5", z = small, labels = labels, images = ae.rand(9, 7 * 5) },
    { name = "β = 4", z = wide, images = ae.rand(9, 7 * 5) } }
  local out = self.dir .. "/panels.png"
  local o = { out = out, classes = { "a", "b", "c" }, image = { 7, 5 }, title = "by β", axes = "μ" }
  lu.assertEquals(P.latent_panels(panels, o), out)
  lu.assertNil(o.size, "the caller's options stay as given")
  assert_figure(out, 2 * 440 + 150, 900)
  local gp = read(self.dir .. "/panels.gp")
  lu.assertStrContains(gp, "set multiplot")
  lu.assertStrContains(gp, "'β = 4: samples'")
  lu.assertStrContains(gp, "'μ 1'")
  local _, images = gp:gsub("with image", "")
  lu.assertEquals(images, 2)
  local _, keys = gp:gsub("set key at screen", "")
  lu.assertEquals(keys, 1, "one key, by the last column")
  -- both columns on the range of the wider codes (and 5% more)
  local lo, hi = math.huge, -math.huge
  for i = 1, 20 do lo, hi = math.min(lo, small:get(i, 1), wide:get(i, 1)), math.max(hi, small:get(i, 1), wide:get(i, 1)) end
  local _, same = gp:gsub(string.format("set xrange %%[%s:%s%%]", string.format("%g", lo - 0.05 * (hi - lo)):gsub("%-", "%%-"),
    (string.format("%g", hi + 0.05 * (hi - lo)):gsub("%-", "%%-"))), "")
  lu.assertEquals(same, 2)
  -- without images: one row
  local out2 = self.dir .. "/panels_codes.png"
  P.latent_panels({ { name = "a", z = small, labels = labels }, { name = "b", z = ae.randn(20, 4) } }, { out = out2 })
  assert_figure(out2, 2 * 440 + 150, 470)
  lu.assertErrorMsgContains("give a list of panels", P.latent_panels, {}, {})
  lu.assertErrorMsgContains("panel 2 needs z", P.latent_panels, { { z = small }, { name = "x" } }, {})
  lu.assertErrorMsgContains("to every panel or to none", P.latent_panels, { { z = small, images = ae.rand(4, 35) },
    { z = small } }, {})
end

function TestPlots:testSeries()
  need_gnuplot()
  local out = self.dir .. "/series.png"
  lu.assertEquals(P.series({ { label = "up", y = { 1, 2, 3, 5 } }, { label = "down", x = { 1, 2, 4, 8 }, y = { 4, 3, 2, 1 } } },
    { out = out, size = { 400, 300 }, xlabel = "step", ylabel = "value", logscale = "x", points = false }), out)
  assert_figure(out, 400, 300)
  local out2 = self.dir .. "/series_default.png"
  P.series({ { y = { 3, 1, 2 } } }, { out = out2 })
  assert_figure(out2, 800, 600)
end

function TestPlots:testSeriesWithErrorBars()
  need_gnuplot()
  local out = self.dir .. "/series_err.png"
  lu.assertEquals(P.series({ { label = "acc", x = { 100, 1000, 8000 }, y = { 70, 85, 92 }, err = { 3, 1, 0.2 } } },
    { out = out, size = { 400, 300 }, logscale = "x", xtics = { 100, 1000, 8000 }, xrange = { 60, 13000 },
      yrange = { 50, 100 } }), out)
  assert_figure(out, 400, 300)
  local gp = read(self.dir .. "/series_err.gp")
  lu.assertStrContains(gp, "yerrorlines")
  lu.assertStrContains(gp, "1000 85 1")
  lu.assertStrContains(gp, "'1,000' 1000")
  lu.assertStrContains(gp, "set yrange [50:100]")
end

function TestPlots:testConfusion()
  need_gnuplot()
  local out = self.dir .. "/cm.png"
  local cm = ae.metrics.confusion({ 0, 1, 1, 2 }, { 0, 1, 2, 2 }, 3)
  lu.assertEquals(P.confusion(cm, { out = out, classes = { "a", "b", "c" }, size = { 500, 400 } }), out)
  assert_figure(out, 500, 400)
  local gp = read(self.dir .. "/cm.gp")
  -- true class 2 (row 3): one predicted 1, one predicted 2, each half of the row
  lu.assertStrContains(gp, "1 2 0.5 1 0")
  lu.assertStrContains(gp, "2 2 0.5 1 0")
  lu.assertStrContains(gp, "0 0 1 1 1") -- a full row: shaded dark, its count in white
  lu.assertStrContains(gp, "'c' 2")
  H.error_containing(lu, "square tensor of counts", P.confusion, ae.zeros(2, 3), { out = out })
end

function TestPlots:testHistogram()
  need_gnuplot()
  local out = self.dir .. "/hist.png"
  lu.assertEquals(P.histogram(ae.randn(200), { out = out, size = { 400, 300 }, bins = 12, mark = 0, mark_label = "zero" }), out)
  assert_figure(out, 400, 300)
  local gp = read(self.dir .. "/hist.gp")
  local _, rows = gp:match("%$hist << EOD\n(.-)\nEOD"):gsub("[^\n]+", "")
  lu.assertEquals(rows, 12, "one row per bin")
  -- a table of numbers, a fixed range, all values equal
  local out2 = self.dir .. "/hist_table.png"
  P.histogram({ 1, 1, 1, 1 }, { out = out2, size = { 300, 200 } })
  assert_figure(out2, 300, 200)
  H.error_containing(lu, "histogram: no values", P.histogram, {}, { out = self.dir .. "/empty.png" })
end

-- The mosaic itself (no gnuplot needed): tile placement, padding, background.
function TestPlots:testMosaic()
  local x = ae.zeros(3, 6) -- three 2×3 images
  for k = 1, 3 do for j = 1, 6 do x:set(k, j, k * 0.1 + j * 0.01) end end
  local m = P.mosaic(x, 2, 3, 2, { pad = 1, background = 0.5 })
  lu.assertEquals(m:size(), { 2 * 2 + 3, 2 * 3 + 3 })
  -- image 2, pixel (row 2, col 3) sits at mosaic row 1+2, col 1+3+1+3
  lu.assertAlmostEquals(m:get(3, 8), 0.2 + 0.06, 1e-6)
  lu.assertAlmostEquals(m:get(2, 2), 0.1 + 0.01, 1e-6)
  -- image 3 starts the second row; the cell after it stays background
  lu.assertAlmostEquals(m:get(5, 2), 0.3 + 0.01, 1e-6)
  lu.assertAlmostEquals(m:get(5, 6), 0.5, 1e-6)
  lu.assertAlmostEquals(m:get(1, 1), 0.5, 1e-6)
  lu.assertEquals(#m:tobytes(), 4 * 7 * 9)
end

---------------------------------------------------------------------------
-- Text that gnuplot could misread
---------------------------------------------------------------------------
TestPlotText = {}

function TestPlotText:setUp()
  H.seed()
  self.dir = H.tmpdir()
end

function TestPlotText:tearDown()
  H.rmdir(self.dir)
end

local TRICKY = 'a "b" \\c'

function TestPlotText:testTitlesWithQuotesAndBackslashes()
  need_gnuplot()
  local x = ae.rand(3, 784)
  local made = {
    history = P.history(fake_history(3, true), { out = self.dir .. "/h.png", title = TRICKY, size = { 300, 200 } }),
    images = P.images(x, { out = self.dir .. "/i.png", title = TRICKY, captions = { TRICKY, "x", "y" } }),
    rows = P.image_rows({ { TRICKY, x } }, { out = self.dir .. "/r.png", title = TRICKY }),
    latent = P.latent(ae.randn(5, 2), nil, { out = self.dir .. "/l.png", title = TRICKY, size = { 300, 200 } }),
    compare = P.compare(ae.randn(5, 2), ae.randn(5, 2), nil, { out = self.dir .. "/c.png", title = TRICKY,
      names = { TRICKY, TRICKY }, size = { 500, 200 } }),
    series = P.series({ { label = TRICKY, y = { 1, 2 } } }, { out = self.dir .. "/s.png", title = TRICKY,
      xlabel = TRICKY, size = { 300, 200 } }),
    histogram = P.histogram({ 1, 2, 3 }, { out = self.dir .. "/g.png", title = TRICKY, mark = 2, mark_label = TRICKY,
      size = { 300, 200 } }),
  }
  for name, path in pairs(made) do
    lu.assertEquals(type(path), "string", name)
    assert_figure(path)
  end
  -- the title arrives verbatim (SVG keeps the text)
  local svg = self.dir .. "/title.svg"
  P.history(fake_history(3, true), { out = svg, title = TRICKY, size = { 300, 200 } })
  local texts = svg_texts(assert_svg(svg, 300, 200))
  lu.assertTrue(has_text(texts, TRICKY), "title not drawn verbatim; texts: " .. table.concat(texts, " | "))
  local svg2 = self.dir .. "/rows.svg"
  P.image_rows({ { TRICKY, x } }, { out = svg2, title = TRICKY, size = { 400, 120 } })
  texts = svg_texts(assert_svg(svg2, 400, 120))
  lu.assertTrue(has_text(texts, TRICKY), "row name not drawn verbatim; texts: " .. table.concat(texts, " | "))
end

-- Per-point labels are plain text: "{", "}", "~", "_" are markup in gnuplot's
-- enhanced mode and vanished from lesson 03's scatter of the font.
function TestPlotText:testPointLabelsAreVerbatim()
  need_gnuplot()
  local words = { "{", "}", "~", "a_b", "x^2", "\\", 'q"q', "@" }
  local z = ae.zeros(#words, 2)
  for i = 1, #words do z:set(i, 1, i) z:set(i, 2, i % 3) end
  local svg = self.dir .. "/labels.svg"
  P.latent(z, nil, { out = svg, text = words, size = { 500, 400 } })
  local texts = svg_texts(assert_svg(svg, 500, 400))
  for _, w in ipairs(words) do
    lu.assertTrue(has_text(texts, w), string.format("point label %q not drawn verbatim; texts: %s", w,
      table.concat(texts, " | ")))
  end
  -- and so are the names in the keys: run labels and class names
  local svg_s = self.dir .. "/keys_series.svg"
  P.series({ { label = TRICKY, y = { 1, 2 } }, { label = "new_letter", y = { 2, 1 } } }, { out = svg_s, size = { 400, 300 } })
  texts = svg_texts(assert_svg(svg_s, 400, 300))
  for _, w in ipairs { TRICKY, "new_letter" } do
    lu.assertTrue(has_text(texts, w), string.format("key %q not verbatim; texts: %s", w, table.concat(texts, " | ")))
  end
  local svg_h = self.dir .. "/keys_history.svg"
  P.history({ { label = "k_2", history = fake_history(3, true) } }, { out = svg_h, size = { 400, 300 } })
  texts = svg_texts(assert_svg(svg_h, 400, 300))
  lu.assertTrue(has_text(texts, "k_2, validation"), "history key: " .. table.concat(texts, " | "))
  local labels = ae.tensor { 0, 1, 0, 1 }
  local svg_l = self.dir .. "/keys_latent.svg"
  P.latent(ae.randn(4, 2), labels, { out = svg_l, classes = { "T-shirt_top", "{bag}" }, size = { 400, 300 } })
  texts = svg_texts(assert_svg(svg_l, 400, 300))
  lu.assertTrue(has_text(texts, "T-shirt_top") and has_text(texts, "{bag}"), "latent key: " .. table.concat(texts, " | "))
  local svg_c = self.dir .. "/keys_compare.svg"
  P.compare(ae.randn(4, 2), ae.randn(4, 2), labels, { out = svg_c, classes = { "T-shirt_top", "{bag}" }, size = { 600, 300 } })
  texts = svg_texts(assert_svg(svg_c, 600, 300))
  lu.assertTrue(has_text(texts, "T-shirt_top") and has_text(texts, "{bag}"), "compare key: " .. table.concat(texts, " | "))
  local png = self.dir .. "/labels.png"
  P.latent(z, nil, { out = png, text = words, size = { 500, 400 } })
  assert_figure(png, 500, 400)
end

---------------------------------------------------------------------------
-- gnuplot's errors (nil and gnuplot's message: a figure that fails must not
-- end the run), gnuplot missing, no output file
---------------------------------------------------------------------------
TestPlotGnuplot = {}

function TestPlotGnuplot:setUp()
  self.dir = H.tmpdir()
end

function TestPlotGnuplot:tearDown()
  H.rmdir(self.dir)
end

-- The result of a figure that failed: nil and a message saying so.
local function failed_with(plain, made, err)
  lu.assertNil(made, "the figure should have failed")
  lu.assertStrContains(tostring(err), plain)
  return err
end

function TestPlotGnuplot:testBadCommandReturnsGnuplotsMessage()
  need_gnuplot()
  local fig = P.figure { out = self.dir .. "/bad.png", size = { 200, 100 } }
  fig:cmd("set nonsense")
  fig:cmd("plot x")
  local err = failed_with("gnuplot failed", fig:render())
  lu.assertStrContains(err, "unrecognized option")
  lu.assertStrContains(err, "set nonsense")
  lu.assertStrContains(err, "bad.png")
end

function TestPlotGnuplot:testBadTerminalOptionFails()
  need_gnuplot()
  local err = failed_with("gnuplot failed", P.history(fake_history(3, true),
    { out = self.dir .. "/h.png", terminal = "nonsense_terminal" }))
  lu.assertStrContains(err, "unknown or ambiguous terminal")
end

function TestPlotGnuplot:testErrorBeforeBinaryDataFails()
  need_gnuplot()
  -- an image figure with a bad caption colour: gnuplot complains, the image data still flows
  local err = failed_with("gnuplot failed", P.images(ae.rand(2, 784),
    { out = self.dir .. "/i.png", captions = { "a", "b" }, caption_color = "no-such-colour" }))
  lu.assertStrContains(err, "unrecognized color name")
end

function TestPlotGnuplot:testFigureBuiltByHand()
  need_gnuplot()
  local fig = P.figure { out = self.dir .. "/hand.png", size = { 240, 160 } }
  fig:block("pts", { "1 1", "2 4", "3 9" })
  fig:cmd("set title %s noenhanced", P.quote(TRICKY))
  fig:cmd("plot $pts using 1:2 with linespoints notitle")
  lu.assertEquals(fig:render(), self.dir .. "/hand.png")
  assert_figure(self.dir .. "/hand.png", 240, 160)
  lu.assertEquals(P.quote(TRICKY), [['a "b" \c']])
end

function TestPlotGnuplot:testMissingGnuplotInProcess()
  local was = P.available()
  local real_stderr = io.stderr
  local said = {}
  local ok, err = pcall(function()
    P._set_available(false)
    io.stderr = { write = function(_, ...) said[#said + 1] = table.concat({ ... }) end }
    local out = self.dir .. "/skipped.png"
    local made, why = P.images(ae.rand(3, 784), { out = out, size = { 300, 120 } })
    lu.assertNil(made)
    lu.assertStrContains(why, "not installed")
    lu.assertNil(read(out), "no figure without gnuplot")
    lu.assertStrContains(read(self.dir .. "/skipped.gp"), "set output 'skipped.png'")
    assert_data_bytes(out, mosaic_dims(3, 28, 28, 3, 2))
    lu.assertNil((P.history(fake_history(2, true), { out = self.dir .. "/h.png" })))
    lu.assertNotNil(read(self.dir .. "/h.gp"))
  end)
  io.stderr = real_stderr
  P._set_available(was)
  lu.assertEquals(P.available(), was, "availability restored")
  if not ok then error(err, 0) end
  local _, n = table.concat(said):gsub("gnuplot not found", "")
  lu.assertTrue(n <= 1, "the notice comes at most once per process, came " .. n)
end

function TestPlotGnuplot:testMissingGnuplotSaysSoOnce()
  local script = self.dir .. "/nognuplot.lua"
  H.write_file(script, [[
local ae = require "aelab"
local d = ...
local r1 = ae.plot.history({ loss = { 3, 2, 1 }, val_loss = { 3, 2, 1 } }, { out = d .. "/h.png" })
local r2 = ae.plot.images(ae.rand(2, 784), { out = d .. "/i.png" })
local r3 = ae.plot.latent(ae.randn(5, 2), nil, { out = d .. "/l.png" })
print("results", tostring(r1), tostring(r2), tostring(r3))
]])
  local out, err, code = H.run(string.format("AELAB_GNUPLOT=/nonexistent/gnuplot %s %s %s", H.q(bin), H.q(script),
    H.q(self.dir)))
  lu.assertEquals(code, 0, "the run goes on without gnuplot:\n" .. err)
  lu.assertStrContains(out, "results\tnil\tnil\tnil")
  local _, n = err:gsub("gnuplot not found", "")
  lu.assertEquals(n, 1, "the missing gnuplot is said exactly once; stderr:\n" .. err)
  lu.assertStrContains(err, "apt-get install gnuplot")
  for _, f in ipairs { "h", "i", "l" } do
    lu.assertNotNil(read(self.dir .. "/" .. f .. ".gp"), f .. ".gp is still written")
    lu.assertNil(read(self.dir .. "/" .. f .. ".png"), f .. ".png is not")
  end
  lu.assertNotNil(read(self.dir .. "/i.data1.bin"))
end

function TestPlotGnuplot:testNoOutputNoDisplayDrawsText()
  need_gnuplot()
  local chunk = "local ae = require 'aelab'; " ..
    "print('returned', ae.plot.history({ loss = { 3, 2.5, 2, 1.5, 1 }, val_loss = { 3.2, 2.8, 2.4, 2, 1.7 } }, " ..
    "{ title = 'dumb' }))"
  local out, err, code = H.run(string.format("env -u DISPLAY %s -e %s", H.q(bin), H.q(chunk)))
  lu.assertEquals(code, 0, err)
  lu.assertStrContains(out, "returned\t(figure shown)")
  local _, stars = out:gsub("%*", "")
  lu.assertTrue(stars >= 20, "expected a text plot of '*' on stdout:\n" .. out)
  lu.assertStrContains(out, "+---") -- the frame
  lu.assertStrContains(out, "epoch")
  lu.assertStrContains(out, "dumb")
end

-- Issue 19: text figures tell series apart. Train and validation draw with
-- two characters (the dumb terminal's per-line-type ones), a terminal gets
-- colour (ansi256) and a pipe plain text; the REPL prints no `true` after.
function TestPlotGnuplot:testTextFigureSeriesDiffer()
  need_gnuplot()
  local chunk = "ae.plot.history({ loss = { 3, 2.5, 2, 1.5, 1 }, val_loss = { 3.2, 2.8, 2.4, 2, 1.7 } })"
  local out, err, code = H.run(string.format("env -u DISPLAY %s -e %s", H.q(bin), H.q(chunk)))
  lu.assertEquals(code, 0, err)
  lu.assertStrContains(out, "train ***A***")
  lu.assertStrContains(out, "validation ###B###")
  lu.assertNil(out:find("\27[", 1, true), "no colour codes into a pipe")
  local E = require "plots.engine"
  lu.assertStrContains(E.text_terminal(), "set terminal dumb size ")
  lu.assertTrue(E.is_text({}) == ((os.getenv("DISPLAY") or "") == ""))
  lu.assertFalse(E.is_text({ out = "f.png" }))
  lu.assertFalse(E.is_text({ terminal = "dumb" }))
  lu.assertTrue(E.shown ~= nil and tostring(E.shown) == "(figure shown)")
  -- a scatter as text: each class drawn with its digit, not one mark for all
  out = H.run(string.format("env -u DISPLAY %s -e %s", H.q(bin), H.q("local z = ae.tensor{{0, 0}, {1, 1}, {2, 0}} " ..
    "ae.plot.latent(z, ae.tensor{0, 1, 2}, {classes = {'zero', 'one', 'two'}})")))
  lu.assertStrMatches(out, ".*zero +0.*one +1.*two +2.*")
end

function TestPlotGnuplot:testTextFigureInColourOnATerminal()
  need_gnuplot()
  H.need_script(lu)
  local text = H.repl_at_terminal("ae.plot.history({ loss = { 3, 2.5, 2, 1.5, 1 }, val_loss = { 3.2, 2.8, 2.4, 2, 1.7 } })\n" ..
    "print(('done'):upper())\n\4", "-u DISPLAY -u NO_COLOR TERM=xterm", bin)
  lu.assertNotNil(text:find("\27[38;5;", 1, true), "ansi256 colours at a terminal")
  lu.assertStrContains(text, "validation")
  lu.assertStrContains(text, "DONE")
  lu.assertNil(text:find("\ntrue", 1, true), "no stray true after the figure")
  lu.assertNil(text:find("(figure shown)", 1, true), "the REPL prints nothing for the figure's value")
end

-- stretch_rows: each row on its own range [0, 1]; a constant row stays finite.
function TestPlots:testStretchRows()
  local x = ae.tensor { { 1, 3, 2 }, { -4, -4, -4 }, { 0, 10, 5 } }
  local s = P.stretch_rows(x)
  lu.assertEquals(s:totable(), { { 0, 1, 0.5 }, { 0, 0, 0 }, { 0, 1, 0.5 } })
  lu.assertEquals(x:get(1, 2), 3, "the input is left alone")
  lu.assertEquals(P.stretch_rows(ae.randn(4, 1, 3, 3)):size(), { 4, 9 })
end

-- normal_quantile (Φ⁻¹, for manifold's Gaussian grid) against published
-- quantiles (R's qnorm, scipy's norm.ppf), to 1e-9, and in the far tails.
TestNormalQuantile = {}

function TestNormalQuantile:testKnownQuantiles()
  local q = P.normal_quantile
  lu.assertEquals(q(0.5), 0)
  local known = { { 0.975, 1.959963985 }, { 0.05, -1.644853627 }, { 0.95, 1.644853627 }, { 0.025, -1.959963985 },
    { 0.1, -1.281551566 }, { 0.3, -0.5244005127 }, { 0.999, 3.090232306 }, { 0.8413447461, 1.0 } }
  for _, k in ipairs(known) do
    lu.assertAlmostEquals(q(k[1]), k[2], 1e-9, "Φ⁻¹(" .. k[1] .. ")")
  end
  -- tails: qnorm(1e-10) = -6.361340902404056; 1 − 1e-10 is not exact in a double, so its
  -- quantile is the mirror image only to about 1e-8
  lu.assertAlmostEquals(q(1e-10), -6.361340902404056, 1e-9)
  lu.assertAlmostEquals(q(1 - 1e-10), 6.361340902404056, 2e-8)
  lu.assertAlmostEquals(q(1e-20), -9.262340089798408, 1e-9) -- past the third branch's switch (r > 5)
  lu.assertEquals(q(0), -math.huge)
  lu.assertEquals(q(1), math.huge)
end

function TestNormalQuantile:testSymmetricAndIncreasing()
  local q = P.normal_quantile
  local prev = -math.huge
  for i = 1, 999 do
    local p = i / 1000
    local z = q(p)
    lu.assertTrue(z > prev, "Φ⁻¹ increases at p = " .. p)
    lu.assertAlmostEquals(z, -q(1 - p), 1e-12, "Φ⁻¹(p) = −Φ⁻¹(1 − p) at p = " .. p)
    prev = z
  end
end

function TestNormalQuantile:testRejectsNonProbabilities()
  for _, bad in ipairs { -0.1, 1.5, 0 / 0, "half" } do
    lu.assertErrorMsgContains("p must be a probability", P.normal_quantile, bad)
  end
end

-- manifold on the Gaussian's quantiles: the codes decoded are Φ⁻¹ of evenly
-- spaced probabilities (0.05..0.95 by default), the tics name them; a slice
-- of a 3-D latent keeps the third coordinate at `at`.
function TestPlots:testManifoldOnQuantiles()
  need_gnuplot()
  local net = tiny_letters_ae()
  local seen
  local decode = function(z) seen = z:clone() return net:decode(z) end
  local out = self.dir .. "/manifold_q.png"
  lu.assertEquals(P.manifold(decode, { out = out, n = 5, image = { 7, 5 }, quantiles = true, pixels = 300 }), out)
  local MH, MW = mosaic_dims(25, 7, 5, 5, 1)
  assert_figure(out, 400, math.floor(300 * MH / MW) + 110)
  assert_data_bytes(out, MH, MW)
  -- row-major from the top-left: x grows along a row, y falls down the rows
  local q = P.normal_quantile
  local ps = { 0.05, 0.275, 0.5, 0.725, 0.95 }
  lu.assertEquals(seen:size(), { 25, 2 })
  for c = 1, 5 do
    lu.assertAlmostEquals(seen:get(c, 1), q(ps[c]), 1e-6)
    lu.assertAlmostEquals(seen:get((c - 1) * 5 + 1, 2), q(ps[6 - c]), 1e-6)
  end
  lu.assertAlmostEquals(seen:get(1, 1), -1.644853627, 1e-6)
  local gp = read(self.dir .. "/manifold_q.gp")
  -- tics under the tile centres (pad 1 + 2.5 + 6 per tile), labelled with the z values
  lu.assertStrContains(gp, "set xtics ('-1.64' 3, '-0.60' 9, '0.00' 15, '0.60' 21, '1.64' 27)")
  lu.assertStrContains(gp, "set ytics ('-1.64' 4, '-0.60' 12, '0.00' 20, '0.60' 28, '1.64' 36)")
  lu.assertStrContains(gp, "p = 0.05..0.95")
  -- another probability range
  P.manifold(decode, { out = self.dir .. "/manifold_q2.png", n = 3, image = { 7, 5 }, quantiles = { 0.01, 0.99 } })
  lu.assertAlmostEquals(seen:get(3, 1), 2.326347874, 1e-6)
  lu.assertErrorMsgContains("give one", P.manifold, net, { quantiles = true, xrange = { -1, 1 } })
  lu.assertErrorMsgContains("0 < p_lo < p_hi < 1", P.manifold, net, { quantiles = { 0, 0.9 } })
  lu.assertErrorMsgContains("did you mean 'quantiles'", P.manifold, net, { quantile = true })
end

function TestPlots:testManifoldSliceOfBiggerLatent()
  need_gnuplot()
  local net = ae.Autoencoder { encoder = { ae.Dense(35, 3) }, decoder = { ae.Dense(3, 35), ae.Sigmoid() } }
  local seen
  local decode = function(z) seen = z:clone() return net:decode(z) end
  local out = self.dir .. "/slice.png"
  lu.assertEquals(P.manifold(decode, { out = out, n = 4, image = { 7, 5 }, dims = { 3, 1 }, at = { 0.5, -2, 0.25 },
    xrange = { -1, 1 }, yrange = { 0, 3 } }), out)
  assert_figure(out)
  lu.assertEquals(seen:size(), { 16, 3 })
  for k = 1, 16 do lu.assertAlmostEquals(seen:get(k, 2), -2, 1e-6, "the coordinate not shown stays at `at`") end
  lu.assertAlmostEquals(seen:get(1, 3), -1, 1e-6) -- dims[1] along x
  lu.assertAlmostEquals(seen:get(4, 3), 1, 1e-6)
  lu.assertAlmostEquals(seen:get(1, 1), 3, 1e-6) -- dims[2] along y, top row highest
  lu.assertAlmostEquals(seen:get(16, 1), 0, 1e-6)
  local gp = read(self.dir .. "/slice.gp")
  lu.assertStrContains(gp, "set xlabel 'code 3'")
  lu.assertStrContains(gp, "set ylabel 'code 1'")
  lu.assertStrContains(gp, "at code 2 = -2")
  -- without `at`, the latent size comes from the model and the rest is 0
  P.manifold(net, { out = self.dir .. "/slice0.png", n = 3, image = { 7, 5 }, dims = { 2, 3 }, quantiles = true })
  assert_figure(self.dir .. "/slice0.png")
  lu.assertErrorMsgContains("two different coordinates in 1..3", P.manifold, net, { image = { 7, 5 }, dims = { 1, 4 } })
  lu.assertErrorMsgContains("two different coordinates", P.manifold, net, { image = { 7, 5 }, dims = { 2, 2 } })
  lu.assertErrorMsgContains("needs the latent size", P.manifold, decode, { image = { 7, 5 }, dims = { 1, 2 } })
end

-- interpolation through waypoints: images are encoded first, codes used as
-- given; legs of `steps` images share their waypoints; one row per walk
-- with its label on the left.
function TestPlots:testInterpolationThroughWaypoints()
  need_gnuplot()
  local net = tiny_letters_ae()
  local x = ae.data.letters().x
  local seen
  local spy = { encode = function(_, v) return net:encode(v) end,
    decode = function(_, z) seen = z:clone() return net:decode(z) end }
  local a, b, c = x:narrow(1, 1, 1), x:narrow(1, 2, 1), x:narrow(1, 3, 1)
  local out = self.dir .. "/walk.png"
  local o = { out = out, through = { a, { 0.5, -0.5 }, c }, steps = 5, image = { 7, 5 }, invert = true }
  lu.assertEquals(P.interpolation(spy, o), out)
  lu.assertNil(o.size, "the caller's options stay as given")
  -- two legs of 5 sharing the middle waypoint: 9 images in one row
  lu.assertEquals(seen:size(), { 9, 2 })
  local za, zc = net:encode(a), net:encode(c)
  for j = 1, 2 do
    lu.assertAlmostEquals(seen:get(1, j), za:get(1, j), 1e-6, "the first image is encoded")
    lu.assertAlmostEquals(seen:get(9, j), zc:get(1, j), 1e-6, "the last image is encoded")
    lu.assertAlmostEquals(seen:get(3, j), (za:get(1, j) + ({ 0.5, -0.5 })[j]) / 2, 1e-6, "halfway along leg 1")
  end
  lu.assertAlmostEquals(seen:get(5, 1), 0.5, 1e-6)
  lu.assertAlmostEquals(seen:get(5, 2), -0.5, 1e-6, "the code waypoint as given")
  local MH, MW = mosaic_dims(9, 7, 5, 9, 3)
  assert_figure(out, MW * math.floor(900 / MW), MH * math.floor(900 / MW))
  assert_data_bytes(out, MH, MW)
  local gp = read(self.dir .. "/walk.gp")
  for _, t in ipairs { "0", "0.5", "1", "1.5", "2" } do lu.assertStrContains(gp, "set label '" .. t .. "'") end
  -- several walks, one row each, named
  local out2 = self.dir .. "/walks.png"
  lu.assertEquals(P.interpolation(spy, { out = out2, walks = { { a, b, c }, { c, b, a } }, steps = 4,
    labels = { "A → B → C", "C → B → A" }, image = { 7, 5 }, title = "two walks" }), out2)
  lu.assertEquals(seen:size(), { 14, 2 }) -- 2 walks × 7
  for j = 1, 2 do lu.assertAlmostEquals(seen:get(8, j), zc:get(1, j), 1e-6, "walk 2 starts at its first waypoint") end
  assert_figure(out2)
  assert_data_bytes(out2, mosaic_dims(14, 7, 5, 7, 2))
  local gp2 = read(self.dir .. "/walks.gp")
  lu.assertStrContains(gp2, "set label 'A → B → C'")
  lu.assertStrContains(gp2, "set label 'C → B → A'")
  -- each walk's waypoints framed (images 1, 4, 7 of a row: legs of 4 share them)
  local _, frames = gp2:gsub("set object %d+ rect", "")
  lu.assertEquals(frames, 6)
  -- and named under their images when waypoints names them
  local out3 = self.dir .. "/named.png"
  lu.assertEquals(P.interpolation(spy, { out = out3, walks = { { a, b, c }, { c, b, a } }, steps = 4,
    labels = { "A → B → C", "C → B → A" }, waypoints = { { "A", "B", "C" }, { "C", "B", "Z" } }, image = { 7, 5 } }), out3)
  assert_figure(out3)
  local gp3 = read(self.dir .. "/named.gp")
  for _, t in ipairs { "A", "B", "C", "Z" } do lu.assertStrContains(gp3, "set label '" .. t .. "' at first") end
  -- the frame of walk 2's last waypoint: column 7, row 2 of a 7×2 mosaic (pad 3 for the names below)
  local pad = math.floor(7 * 0.45)
  local MH = 2 * 7 + 3 * pad
  local x0, y0 = pad + 6 * (5 + pad), pad + 7 + pad
  lu.assertStrContains(gp3, string.format("set object 6 rect from %g,%g to %g,%g", x0 - 0.5, MH - y0 - 7 - 0.5,
    x0 + 5 - 0.5, MH - y0 - 0.5))
  lu.assertErrorMsgContains("give labels too", P.interpolation, net, { walks = { { a, c } }, waypoints = { { "a", "c" } } })
  lu.assertErrorMsgContains("2 lists of 3 names", P.interpolation, net, { walks = { { a, b, c }, { c, b, a } },
    labels = { "x", "y" }, waypoints = { { "a", "b", "c" }, { "c", "a" } }, image = { 7, 5 } })
  lu.assertErrorMsgContains("a mark is", P.image_rows, { { "a", x } }, { marks = { { row = 2, col = 1 } }, image = { 7, 5 } })
  -- mistakes are named
  lu.assertErrorMsgContains("give the waypoints", P.interpolation, net, { steps = 3 })
  lu.assertErrorMsgContains("not both", P.interpolation, net, { through = { a, c }, walks = { { a, c } } })
  lu.assertErrorMsgContains("as many waypoints", P.interpolation, net, { walks = { { a, b, c }, { a, c } } })
  lu.assertErrorMsgContains("labels names each walk", P.interpolation, net, { walks = { { a, c } }, labels = { "x", "y" } })
  lu.assertErrorMsgContains("one row", P.interpolation, net, { image = { 7, 5 }, through = { x:narrow(1, 1, 2), c } })
  lu.assertErrorMsgContains("needs a model that encodes", P.interpolation, function(z) return net:decode(z) end,
    { image = { 7, 5 }, through = { a, c } })
  lu.assertErrorMsgContains("did you mean 'walks'", P.interpolation, net, { walk = { { a, c } } })
end

-- samples: a square-ish mosaic of decoded samples with a title saying what they are.
function TestPlots:testSamples()
  need_gnuplot()
  local net = tiny_letters_ae()
  local out = self.dir .. "/samples.png"
  local o = { out = out, image = { 7, 5 }, invert = true }
  lu.assertEquals(P.samples(net:decode(ae.randn(10, 2)), o), out)
  lu.assertNil(o.title, "the caller's options stay as given")
  -- 10 samples in 4 columns (ceil √10), 3 rows, pad 2
  local MH, MW = mosaic_dims(10, 7, 5, 4, 2)
  local scale = math.floor(900 / MW)
  assert_figure(out, MW * scale, MH * scale + 30) -- 30 pixels for the title
  assert_data_bytes(out, MH, MW)
  lu.assertStrContains(read(self.dir .. "/samples.gp"), "set title '10 samples decoded from z ~ N(0, I)'")
  local out2 = self.dir .. "/samples_plain.png"
  P.samples(net:decode(ae.randn(6, 2)), { out = out2, image = { 7, 5 }, ncol = 6, title = false, size = { 300, 80 } })
  assert_figure(out2, 300, 80)
  lu.assertNotStrContains(read(self.dir .. "/samples_plain.gp"), "set title")
  lu.assertErrorMsgContains("tensor of decoded images", P.samples, net, {})
  lu.assertErrorMsgContains("did you mean 'ncol'", P.samples, ae.zeros(2, 35), { ncols = 2 })
end
