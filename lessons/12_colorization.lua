-- Lesson 12 — colorizing black-and-white photos.
--
-- Question: the course's first deck shows an autoencoder that takes a gray
-- photo in and gives a colour one out. Which output works better: the three
-- RGB values of each pixel, or only the two colour coordinates a, b of CIE
-- Lab — the gray input already is the lightness L? And how colourful are
-- the results?
--
-- Data (scripts/prepare-images.py): nature photos of mate-backgrounds and
-- plasma-workspace-wallpapers (GPL-2+) and four of scikit-image's samples
-- (public domain, CC0), 256 pixels on the short side; six held out. The
-- gray input is L*/100 (what a black-and-white film records, roughly); both
-- models see the same input.
--
--   ./aelab lessons/12_colorization.lua [epochs]   (default 6)
--   ./aelab --quick lessons/12_colorization.lua
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt), FN picks a plural.
local T, F, FN, int = ae.i18n.T, ae.i18n.F, ae.i18n.FN, ae.i18n.int

local L = ae.Lesson.new {
  name = "12_colorization",
  title = T"Lesson 12 — colorizing black-and-white photos",
  question = T("Gray in, colour out: is it better to predict RGB, or Lab's a and b from L (the gray itself)?\n" ..
    "PSNR against the original and colourfulness, on held-out photos."),
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 2 or 6)
local P = 32
local PER_PHOTO = quick and 80 or 500
local AB = 110 -- a and b are scaled by 1/(2·AB) around 0.5 for a sigmoid output

local train, test = assert(ae.data.photos(quick and { limit = 3, test_limit = 1 } or nil))
L:say(FN("Photos: %d for training, %d held out", "Photos: %d for training, %d held out", #test, #train, #test))

-- Patches: gray input (L/100), and two targets: RGB, and (a, b) scaled to [0, 1].
local function lab_parts(rgb)
  local lab = ae.image.rgb_to_lab(rgb)
  local l = ae.image.channel(lab, 1) / 100
  local ab = (ae.image.merge { ae.image.channel(lab, 2), ae.image.channel(lab, 3) } / (2 * AB) + 0.5):clamp(0, 1)
  return l, ab
end
local n = #train * PER_PHOTO
local xg, yrgb, yab = ae.zeros(n, 1, P, P), ae.zeros(n, 3, P, P), ae.zeros(n, 2, P, P)
for k, photo in ipairs(train) do
  local patches = ae.image.patches(photo.image, { size = P, count = PER_PHOTO, seed = 500 + k })
  local l, ab = lab_parts(patches)
  local at = (k - 1) * PER_PHOTO + 1
  xg:narrow(1, at, PER_PHOTO):copy(l)
  yrgb:narrow(1, at, PER_PHOTO):copy(patches)
  yab:narrow(1, at, PER_PHOTO):copy(ab)
end
L:say(T"  %s patches of %d×%d from the training photos", int(n), P, P)

-- One architecture, two outputs. Pooling twice gives the middle a 4× wider
-- view (colour depends on what a region is, more than on edges); the
-- decoder brings it back to full size.
local function same(a, b) return ae.Conv2D(a, b, 3, { padding = "same" }) end
local function model(out)
  return ae.Autoencoder {
    encoder = { same(1, 16), ae.ReLU(), ae.MaxPool2D(2), same(16, 32), ae.ReLU(), ae.MaxPool2D(2), same(32, 32),
      ae.ReLU() },
    decoder = { ae.UpSampling2D(2), same(32, 16), ae.ReLU(), ae.UpSampling2D(2), same(16, 16), ae.ReLU(),
      same(16, out), ae.Sigmoid() },
    input = { 1, P, P },
  }
end

local nval = n // 10
local perm = ae.randperm(n)
local function shuffled(t) return t:reshape(n, t:numel() // n):rows(perm):reshape(table.unpack(t:size())) end
xg, yrgb, yab = shuffled(xg), shuffled(yrgb), shuffled(yab)
-- label: the model's name in the narration and its file's (English);
-- shown: what the report says it is
local function train_model(label, target, out, shown)
  local net = model(out)
  net:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 2e-3 } }
  L:say(FN("\nTraining the %s model (%s parameters) for %d epoch...",
    "\nTraining the %s model (%s parameters) for %d epochs...", epochs, ({ rgb = "RGB", lab = "Lab" })[label] or label,
    int(net:param_count()), epochs))
  local h = net:fit(xg:narrow(1, nval + 1, n - nval), { target = target:narrow(1, nval + 1, n - nval),
    validation = { x = xg:narrow(1, 1, nval), target = target:narrow(1, 1, nval) }, epochs = epochs, batch = quick and 16 or 64,
    verbose = false, on_epoch = function(e, hist)
      L:say(T"  epoch %d: train MSE %.5f, validation MSE %.5f (%s patches/s)", e, hist.loss[e], hist.val_loss[e],
        int(math.floor(hist.samples_per_s[e])))
    end })
  L:save_model(net, label, shown)
  return net, h
end
local net_rgb, h_rgb = train_model("rgb", yrgb, 3, T"RGB model: gray in, RGB out")
local net_lab, h_lab = train_model("lab", yab, 2, T"Lab model: gray (L) in, Lab's a and b out")

-- Held-out photos, whole.
L:say(T"\nHeld-out photos:")
local function colorize_lab(l)
  local ab = ae.image.apply(net_lab, l, { size = P })
  local lab = ae.image.merge { l * 100, (ae.image.channel(ab, 1) - 0.5) * (2 * AB), (ae.image.channel(ab, 2) - 0.5) * (2 * AB) }
  return ae.image.lab_to_rgb(lab)
end
local sum = { psnr_gray = 0, psnr_rgb = 0, psnr_lab = 0, color_orig = 0, color_rgb = 0, color_lab = 0, l_rgb = 0,
  l_lab = 0 }
local shown = { gray = {}, rgb = {}, lab = {}, orig = {} }
local rows = { T"| photo | PSNR gray | PSNR RGB model | PSNR Lab model | colourfulness RGB | Lab | original |",
  "|---|---:|---:|---:|---:|---:|---:|" }
for _, photo in ipairs(test) do
  local l = ae.image.gray(photo.image)
  local gray3 = ae.image.merge { l, l, l }
  local rgb = ae.image.apply(net_rgb, l, { size = P })
  local lab = colorize_lab(l)
  local r = { psnr_gray = ae.image.psnr(photo.image, gray3), psnr_rgb = ae.image.psnr(photo.image, rgb),
    psnr_lab = ae.image.psnr(photo.image, lab), color_orig = ae.image.colorfulness(photo.image),
    color_rgb = ae.image.colorfulness(rgb), color_lab = ae.image.colorfulness(lab),
    l_rgb = ae.image.psnr(l, ae.image.gray(rgb)), l_lab = ae.image.psnr(l, ae.image.gray(lab)) }
  for k, v in pairs(r) do sum[k] = sum[k] + v end
  rows[#rows + 1] = ae.i18n.fmt("| %s | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f |", photo.name, r.psnr_gray,
    r.psnr_rgb, r.psnr_lab, r.color_rgb, r.color_lab, r.color_orig)
  L:say(T"  %-12s PSNR gray %.2f, RGB %.2f, Lab %.2f dB; colourfulness RGB %.1f, Lab %.1f, original %.1f", photo.name,
    r.psnr_gray, r.psnr_rgb, r.psnr_lab, r.color_rgb, r.color_lab, r.color_orig)
  shown.gray[#shown.gray + 1], shown.rgb[#shown.rgb + 1] = gray3, rgb
  shown.lab[#shown.lab + 1], shown.orig[#shown.orig + 1] = lab, photo.image
end
for k, v in pairs(sum) do sum[k] = v / #test end
L:metric("psnr_gray", sum.psnr_gray, T"PSNR (dB) of the gray input against the colour original")
L:metric("psnr_rgb", sum.psnr_rgb, T"PSNR (dB) of the RGB model's colour")
L:metric("psnr_lab", sum.psnr_lab, T"PSNR (dB) of the Lab model's colour (a, b predicted, L the input)")
L:metric("colorfulness_original", sum.color_orig, T"colourfulness (Hasler-Süsstrunk) of the originals")
L:metric("colorfulness_rgb", sum.color_rgb, T"colourfulness of the RGB model's output")
L:metric("colorfulness_lab", sum.color_lab, T"colourfulness of the Lab model's output")
L:section(T"Held-out photos", table.concat(rows, "\n") .. "\n\n" .. T("Colourfulness (Hasler and Süsstrunk 2003): 0 " ..
  "for gray, about 15 'slightly', 33 'moderately', 60 'quite' colourful."))

local side = math.huge
for _, t in ipairs(shown.orig) do
  local _, hh, ww = ae.image.dims(t)
  side = math.min(side, hh, ww)
end
local function stack(list) return ae.image.center_crops(list, side) end
L:figure("photos.png", T"Held-out photos: gray input, colorized by the Lab model, by the RGB model, original",
  ae.plot.comparison({ { T"gray input", stack(shown.gray) }, { T"ours (Lab)", stack(shown.lab) },
    { T"ours (RGB)", stack(shown.rgb) }, { T"original", stack(shown.orig) } },
    { out = L:path("photos.png"), max_width = 1400, title = T"Colorization of held-out photos" }))
-- the legend's "RGB" and "Lab (a, b)" are names, the same in every language
L:figure("loss.png", T"Validation MSE per epoch of both models (on their own targets: RGB and scaled a, b)",
  ae.plot.history({ { label = "RGB", history = h_rgb }, { label = "Lab (a, b)", history = h_lab } },
    { out = L:path("loss.png"), title = T"Colorization: training and validation MSE", ylabel = T"MSE per value" }))

local better = sum.psnr_lab > sum.psnr_rgb and "Lab" or "RGB"
-- Each sentence is a template; its numbers and clauses come from this run
-- ("Lab" and "RGB" are the models' names, the same in every language).
local f = {}
local gray_wins = sum.psnr_gray > math.max(sum.psnr_lab, sum.psnr_rgb)
f[#f + 1] = F("- PSNR against the originals: the %s model is better here (%.2f dB Lab, %.2f dB RGB).", better,
  sum.psnr_lab, sum.psnr_rgb) .. " " .. (gray_wins and
  F("The gray input itself scores %.2f dB, more than either: a wrong colour costs more than no colour. That " ..
    "arithmetic is what pulls an L2-trained colorizer towards dull averages.", sum.psnr_gray) or
  F("The gray input itself scores %.2f dB, less than the better model: its colours are right often enough to pay.",
    sum.psnr_gray))
f[#f + 1] = (sum.psnr_lab > sum.psnr_rgb and T"- Lab is the expected winner." or T"- RGB won, against expectation.") ..
  " " .. (sum.l_rgb < sum.l_lab - 3 and
  F("The Lab model keeps the input's lightness (it only adds a and b: PSNR of its lightness against the input " ..
    "%.1f dB, lost only to the gamut clipping); the RGB model must pass the lightness through its pooled code too: " ..
    "its lightness scores %.1f dB against the input, so its photos lose detail the gray had.", sum.l_lab, sum.l_rgb) or
  F("The Lab model keeps the input's lightness (it only adds a and b: PSNR of its lightness against the input " ..
    "%.1f dB, lost only to the gamut clipping); the RGB model must pass the lightness through its pooled code too: " ..
    "its lightness scores %.1f dB against the input.", sum.l_lab, sum.l_rgb))
-- "Desaturated" and "brownish" are said only when these numbers show them:
-- mean chroma C* = √(a² + b²) and the share of coloured pixels (C* > 5)
-- whose hue angle is 20°-90° (orange, brown, ochre), over all held-out photos.
local function hue_stats(list)
  local csum, ccount, coloured, warm = 0, 0, 0, 0
  for _, t in ipairs(list) do
    local lab = ae.image.rgb_to_lab(t)
    local m = lab:numel() // 3
    local a = ae.image.channel(lab, 2):reshape(m):totable()
    local b = ae.image.channel(lab, 3):reshape(m):totable()
    for i = 1, m do
      local c = math.sqrt(a[i] * a[i] + b[i] * b[i])
      csum, ccount = csum + c, ccount + 1
      if c > 5 then
        coloured = coloured + 1
        local h = math.deg(math.atan(b[i], a[i]))
        if h >= 20 and h <= 90 then warm = warm + 1 end
      end
    end
  end
  return { chroma = csum / ccount, warm = coloured > 0 and warm / coloured or 0 }
end
local hs = { orig = hue_stats(shown.orig), lab = hue_stats(shown.lab), rgb = hue_stats(shown.rgb) }
local hs_words = {
  orig = { T"mean chroma C* of the held-out originals",
    T"share of coloured pixels (C* > 5) with a hue of 20°-90° (orange/brown), originals" },
  lab = { T"mean chroma C* of the held-out Lab model's output",
    T"share of coloured pixels (C* > 5) with a hue of 20°-90° (orange/brown), Lab model" },
  rgb = { T"mean chroma C* of the held-out RGB model's output",
    T"share of coloured pixels (C* > 5) with a hue of 20°-90° (orange/brown), RGB model" },
}
for _, k in ipairs { "orig", "lab", "rgb" } do
  L:metric("chroma_" .. k, hs[k].chroma, hs_words[k][1])
  L:metric("warm_share_" .. k, hs[k].warm, hs_words[k][2])
end
local desat, brown = {}, {}
for _, k in ipairs { "lab", "rgb" } do
  desat[k] = hs[k].chroma < 0.8 * hs.orig.chroma
  brown[k] = hs[k].warm > hs.orig.warm + 0.05
end
-- what a model's colours are, a whole predicate each ("the Lab model's colours are ...")
local function model_words(k)
  return desat[k] and brown[k] and T"desaturated and brownish" or desat[k] and T"desaturated" or
    brown[k] and T"brownish" or T"neither faded nor shifted to orange-brown"
end
f[#f + 1] = F("- Colourfulness: originals %.1f, Lab model %.1f, RGB model %.1f (gray: 0). Mean chroma " ..
  "C*: originals %.1f, Lab %.1f, RGB %.1f; share of coloured pixels with an orange-brown hue (20°-90°): originals " ..
  "%.0f%%, Lab %.0f%%, RGB %.0f%%. By these numbers the Lab model's colours are %s, the RGB model's %s (desaturated: " ..
  "chroma under 0.8× the originals'; brownish: 5 points more orange-brown than the originals).", sum.color_orig,
  sum.color_lab, sum.color_rgb, hs.orig.chroma, hs.lab.chroma, hs.rgb.chroma, 100 * hs.orig.warm, 100 * hs.lab.warm,
  100 * hs.rgb.warm, model_words("lab"), model_words("rgb"))
if desat.lab or desat.rgb or brown.lab or brown.rgb then
  f[#f + 1] = T("- That is the effect Zhang, Isola and Efros (2016) describe: an L2 loss predicts the mean of the " ..
    "colours a gray patch could have (grass green or brown, sky blue or orange), and the mean is dull; they predict " ..
    "a distribution over colours (classification with class rebalancing) instead.")
else
  f[#f + 1] = FN("- Zhang, Isola and Efros (2016) report that an L2 loss gives desaturated, brownish " ..
    "colours; this run (%d training photos, %d epoch) does not show it by the measures above, so the claim is not " ..
    "confirmed here.", "- Zhang, Isola and Efros (2016) report that an L2 loss gives desaturated, brownish " ..
    "colours; this run (%d training photos, %d epochs) does not show it by the measures above, so the claim is not " ..
    "confirmed here.", epochs, #train, epochs)
end
L:say(T"\nWhat the numbers say:\n%s", table.concat(f, "\n"))
L:section(T"What the numbers say", table.concat(f, "\n"))
L:section(T"Data and licences", F("Photos from mate-backgrounds (nature/, GPL-2+) and the photographs of " ..
  "plasma-workspace-wallpapers (GPL-2+), and scikit-image's sample images from python3-skimage (astronaut and " ..
  "rocket: public domain; coffee and chelsea: CC0), resized by scripts/prepare-images.py. Held out: %s.", (function()
    local t = {}
    for _, p in ipairs(test) do t[#t + 1] = p.name end
    return table.concat(t, ", ")
  end)()))
L:metric("epochs", epochs, T"epochs per model")
L:finish()
