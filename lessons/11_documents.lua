-- Lesson 11 — cleaning scanned documents.
--
-- Question: the course's first deck shows an autoencoder removing coffee
-- stains, creases and noise from scanned pages (Kaggle's "Denoising Dirty
-- Documents"). Trained on small patches of dirty/clean page pairs, does a
-- convolutional denoising autoencoder clean whole pages it never saw, at
-- their own resolution, better than two classic tools: a 3×3 median filter
-- and a global threshold (Otsu)?
--
-- Data (scripts/prepare-images.py, from Debian packages): the eight CCITT fax
-- test pages (jbigkit-testdata, real 200-dpi scans, 1728×2376) and pages we
-- render from licence texts with DejaVu and Liberation fonts; dirt made by
-- us at three levels (uneven light, coffee rings, creases, blur, speckle,
-- JPEG). Train and test on different pages.
--
--   ./aelab lessons/11_documents.lua [epochs]   (default 6)
--   ./aelab --quick lessons/11_documents.lua
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt).
local T, F = ae.i18n.T, ae.i18n.F

local L = ae.Lesson.new {
  name = "11_documents",
  title = T"Lesson 11 — cleaning scanned documents",
  question = T("Trained on 32×32 patches of dirty/clean pages, does a convolutional denoising autoencoder clean\n" ..
    "whole unseen pages (1728×2376) better than a 3×3 median filter and a global Otsu threshold?"),
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 2 or 6)
local P = 32                                  -- training patch side
local N_PATCHES = quick and 1200 or 12000     -- training patches, in all
local CROP = quick and 320 or nil             -- quick: evaluate on a crop of each test page
local BATCH = quick and 16 or 64               -- quick: more, smaller steps from few patches

local train, test = assert(ae.data.documents(quick and { limit = 3, test_limit = 2 } or nil))
L:say(T"Pages: %d for training, %d held out for testing (1728×2376 pixels each, 1 = paper, 0 = ink)", #train, #test)
local names = {}
for _, p in ipairs(test) do names[#names + 1] = p.name end
L:say(T"  test pages: %s", table.concat(names, ", "))

-- Training pairs: the same random corners in a page's dirty copy and its
-- clean version. Each training page has one dirt level.
local per_page = N_PATCHES // #train
local xs, ys = {}, {}
for k, page in ipairs(train) do
  local level, dirty = next(page.dirty)
  local px, corners = ae.image.patches(dirty, { size = P, count = per_page, seed = 1000 + k })
  xs[#xs + 1] = px
  ys[#ys + 1] = ae.image.patches(page.clean, { size = P, corners = corners })
  L:say(T"  %-8s dirt level %d: %d patches", page.name, level, per_page)
end
local function cat(list)
  local n = 0
  for _, t in ipairs(list) do n = n + t:size(1) end
  local out = ae.zeros(n, 1, P, P)
  local at = 1
  for _, t in ipairs(list) do out:narrow(1, at, t:size(1)):copy(t); at = at + t:size(1) end
  return out
end
local x, y = cat(xs), cat(ys)
xs, ys = nil, nil
-- shuffled, so the validation tenth mixes every page and level
local perm = ae.randperm(x:size(1))
x = x:reshape(x:size(1), P * P):rows(perm):reshape(x:size(1), 1, P, P)
y = y:reshape(y:size(1), P * P):rows(perm):reshape(y:size(1), 1, P, P)
collectgarbage()

-- The model: 'same' 3×3 convolutions, no pooling: a scanned page's strokes
-- are one or two pixels wide, and a pooled code would blur them away. The
-- "code" is 16 feature maps at full resolution; what makes it a denoiser
-- is the training pair (dirty in, clean out), as in lesson 05.
local function same(a, b) return ae.Conv2D(a, b, 3, { padding = "same" }) end
local net = ae.Autoencoder {
  encoder = { same(1, 16), ae.ReLU(), same(16, 16), ae.ReLU() },
  decoder = { same(16, 16), ae.ReLU(), same(16, 1), ae.Sigmoid() },
  input = { 1, P, P },
}
net:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 2e-3 } }
L:say(T("\nTraining a convolutional denoising autoencoder (%s parameters, 4 layers of 3×3 filters) on %s patches " ..
  "for %d epochs..."), ae.i18n.int(net:param_count()), ae.i18n.int(x:size(1)), epochs)
local nval = x:size(1) // 10
local h = net:fit(x:narrow(1, nval + 1, x:size(1) - nval), { target = y:narrow(1, nval + 1, y:size(1) - nval),
  validation = { x = x:narrow(1, 1, nval), target = y:narrow(1, 1, nval) }, epochs = epochs, batch = BATCH,
  verbose = false, on_epoch = function(e, hist)
    L:say(T"  epoch %d: train MSE %.5f, validation MSE %.5f (%s patches/s)", e, hist.loss[e], hist.val_loss[e],
      ae.i18n.int(math.floor(hist.samples_per_s[e])))
  end })
L:save_model(net, "denoiser", T"convolutional denoising autoencoder for scanned pages")

-- Evaluation on whole held-out pages: RMSE against the clean page (0 is
-- perfect; a page that is all paper scores about 0.25 against a text page).
local function crop(t)
  if not CROP then return t end
  local c = ae.tensor { { 1000, 700 } } -- a region with text on every test page
  return ae.image.patches(t, { size = CROP, corners = c })
end
local methods = { "dirty input", "median 3×3", "Otsu threshold", "autoencoder" }
-- each method's name in the tables, and with its article inside a sentence
local label = { ["dirty input"] = T"dirty input", ["median 3×3"] = T"median 3×3",
  ["Otsu threshold"] = T"Otsu threshold", autoencoder = T"autoencoder" }
local the = { ["dirty input"] = T"the dirty input", ["median 3×3"] = T"the median 3×3",
  ["Otsu threshold"] = T"the Otsu threshold", autoencoder = T"the autoencoder" }
local rmse = {} -- rmse[method][level] = list over pages
for _, m in ipairs(methods) do rmse[m] = { {}, {}, {} } end
local shown -- the page shown whole
local page_ae = {} -- the autoencoder's mean RMSE over levels, by page
local t0 = ae.clock()
for _, page in ipairs(test) do
  local clean = crop(page.clean)
  for level = 1, 3 do
    local dirty = crop(page.dirty[level])
    local med = ae.image.median(dirty, 3)
    local th = ae.image.otsu(dirty)
    -- Otsu: every pixel above the threshold becomes paper (1), the rest ink (0)
    local otsu = ((dirty - th) * 1e6):clamp(0, 1)
    local cleaned = ae.image.apply(net, dirty, { size = P })
    local results = { ["dirty input"] = dirty, ["median 3×3"] = med, ["Otsu threshold"] = otsu, autoencoder = cleaned }
    for _, m in ipairs(methods) do table.insert(rmse[m][level], ae.image.rmse(clean, results[m])) end
    if level == 3 and (not shown or page.name:match("^text")) and not (shown and shown.name:match("^text")) then
      shown = { name = page.name, clean = clean, results = results }
    end
  end
  local sum_ae = 0
  for level = 1, 3 do sum_ae = sum_ae + rmse.autoencoder[level][#rmse.autoencoder[level]] end
  page_ae[#page_ae + 1] = { name = page.name, rmse = sum_ae / 3 }
  L:say(T"  %s: RMSE at level 3 — dirty %.4f, median %.4f, Otsu %.4f, autoencoder %.4f", page.name,
    rmse["dirty input"][3][#rmse["dirty input"][3]], rmse["median 3×3"][3][#rmse["median 3×3"][3]],
    rmse["Otsu threshold"][3][#rmse["Otsu threshold"][3]], rmse.autoencoder[3][#rmse.autoencoder[3]])
end
L:say(T"  (evaluating %d pages × 3 levels took %.1f s)", #test, ae.clock() - t0)

local function mean(t)
  local s = 0
  for _, v in ipairs(t) do s = s + v end
  return s / #t
end
local keys = { ["dirty input"] = "dirty", ["median 3×3"] = "median", ["Otsu threshold"] = "otsu", autoencoder = "ae" }
local rows = { T"| method | level 1 | level 2 | level 3 | all |", "|---|---:|---:|---:|---:|" }
local overall = {}
for _, m in ipairs(methods) do
  local all = {}
  for level = 1, 3 do
    for _, v in ipairs(rmse[m][level]) do all[#all + 1] = v end
    L:metric(string.format("rmse_%s_L%d", keys[m], level), mean(rmse[m][level]),
      F("%s: RMSE on the held-out pages at dirt level %d", label[m], level))
  end
  overall[m] = mean(all)
  L:metric("rmse_" .. keys[m], overall[m], F("%s: RMSE on the held-out pages, all levels", label[m]))
  rows[#rows + 1] = ae.i18n.fmt("| %s | %.4f | %.4f | %.4f | %.4f |", label[m], mean(rmse[m][1]), mean(rmse[m][2]),
    mean(rmse[m][3]), overall[m])
end
L:section(T"RMSE against the clean page (held-out pages, mean over pages)", table.concat(rows, "\n") .. "\n\n" ..
  (CROP and F("Test pages: %s (--quick: a %d×%d crop of each).", table.concat(names, ", "), CROP, CROP) or
    F("Test pages: %s (whole pages, native resolution).", table.concat(names, ", "))))

-- Figures
local r = shown.results
L:figure("page.png", F("Held-out page %s at dirt level 3: dirty, cleaned by the autoencoder, clean " ..
  "(whole page, shown shrunk)", shown.name),
  ae.plot.comparison({ { T"dirty (level 3)", r["dirty input"] }, { T"autoencoder", r.autoencoder },
    { T"clean", shown.clean } }, { out = L:path("page.png"), max_width = 1500,
      title = F("Page %s: dirty / cleaned / clean", shown.name) }))
local _, H, W = ae.image.dims(shown.clean)
local side = math.min(256, H, W)
local corner = ae.tensor { { math.min(H - side, 1100), math.min(W - side, 600) } }
if CROP then corner = ae.tensor { { 0, 0 } } end
local function zoom(t) return ae.image.patches(t, { size = side, corners = corner }) end
L:figure("closeup.png", F("Close-up at native resolution (%d×%d pixels): dirty, median, Otsu, autoencoder, clean",
  side, side), ae.plot.comparison({ { T"dirty", zoom(r["dirty input"]) }, { T"median 3×3", zoom(r["median 3×3"]) },
    { "Otsu", zoom(r["Otsu threshold"]) }, { T"autoencoder", zoom(r.autoencoder) }, { T"clean", zoom(shown.clean) } },
    { out = L:path("closeup.png"), shrink = 1, title = F("Close-up of %s (level 3)", shown.name) }))
L:figure("loss.png", T"Training and validation MSE per epoch",
  ae.plot.history({ { label = T"denoiser", history = h } }, { out = L:path("loss.png"),
    title = T"Denoising autoencoder on page patches", ylabel = T"MSE per pixel" }))

-- What the numbers say
local best, best_v = nil, math.huge
for _, m in ipairs(methods) do if overall[m] < best_v then best, best_v = m, overall[m] end end
-- Each sentence is a template; its numbers and clauses come from this run.
local f = {}
local others = {}
for _, m in ipairs(methods) do
  if m ~= best then others[#others + 1] = F("%.4f for %s", overall[m], the[m]) end
end
f[#f + 1] = F("- On the %d held-out pages %s has the lowest RMSE (%.4f over all levels), against %s.",
  #test, the[best], best_v, table.concat(others, ", "))
local in1, in3, ae1, ae3 = mean(rmse["dirty input"][1]), mean(rmse["dirty input"][3]), mean(rmse.autoencoder[1]),
  mean(rmse.autoencoder[3])
f[#f + 1] = ae3 < in1 and
  F("- From level 1 to level 3 the input's RMSE grows from %.4f to %.4f; the autoencoder's from %.4f to %.4f — " ..
    "it cleans the worst pages better than the lightest dirt was before cleaning.", in1, in3, ae1, ae3) or
  F("- From level 1 to level 3 the input's RMSE grows from %.4f to %.4f; the autoencoder's from %.4f to %.4f.",
    in1, in3, ae1, ae3)
local med, dirty, otsu = overall["median 3×3"], overall["dirty input"], overall["Otsu threshold"]
local med_says = med < 0.95 * dirty and
  F("- The median filter is better than the input overall (%.4f against %.4f): it removes specks, but stains, " ..
    "uneven light and creases are wider than its 3×3 window.", med, dirty) or med < dirty and
  F("- The median filter is barely better than the input overall (%.4f against %.4f): it removes specks, but " ..
    "stains, uneven light and creases are wider than its 3×3 window.", med, dirty) or
  F("- The median filter is no better than the input overall (%.4f against %.4f): it removes specks, but stains, " ..
    "uneven light and creases are wider than its 3×3 window.", med, dirty)
local otsu_says = otsu < dirty and
  F("Otsu's single threshold is better than the input (%.4f): at level 1 it scores %.4f, at level 3 %.4f, where " ..
    "stains and shadows fall below the threshold and turn to ink.", otsu, mean(rmse["Otsu threshold"][1]),
    mean(rmse["Otsu threshold"][3])) or
  F("Otsu's single threshold is worse than the input (%.4f): at level 1 it scores %.4f, at level 3 %.4f, where " ..
    "stains and shadows fall below the threshold and turn to ink.", otsu, mean(rmse["Otsu threshold"][1]),
    mean(rmse["Otsu threshold"][3]))
f[#f + 1] = med_says .. " " .. otsu_says
table.sort(page_ae, function(a, b) return a.rmse > b.rmse end)
local hard, easy = page_ae[1], page_ae[#page_ae]
f[#f + 1] = hard.name == "ccitt7" and
  F("- The autoencoder's hardest page is %s (RMSE %.4f over the three levels), its easiest %s (%.4f); ccitt7 is " ..
    "Japanese text, strokes unlike any training page.", hard.name, hard.rmse, easy.name, easy.rmse) or
  F("- The autoencoder's hardest page is %s (RMSE %.4f over the three levels), its easiest %s (%.4f).", hard.name,
    hard.rmse, easy.name, easy.rmse)
L:say(T"\nWhat the numbers say:\n%s", table.concat(f, "\n"))
L:section(T"What the numbers say", table.concat(f, "\n"))
L:section(T"Data and licences", T("CCITT fax test pages from the Debian package jbigkit-testdata (GPL-2+), decoded " ..
  "with jbgtopbm (jbigkit-bin); rendered pages from the licence texts of base-files with fonts-dejavu-core " ..
  "(Bitstream Vera licence) and fonts-liberation (SIL Open Font License 1.1); dirt made by " ..
  "scripts/prepare-images.py (its header lists each kind and its levels)."))
L:metric("epochs", epochs, T"epochs")
L:metric("train_patches", x:size(1) - nval, T"training patches (32×32)")
L:metric("samples_per_s", ae.median(h.samples_per_s), T"training patches per second (median over epochs)")
L:finish()
