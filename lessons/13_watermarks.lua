-- Lesson 13 — removing watermarks.
--
-- Question: a watermark is a blend J = αW + (1 − α)I of a mark W (text or a
-- logo) over a photo I. Trained on photos with marks of some texts and
-- shapes, does a convolutional autoencoder remove marks it has never seen
-- (other words, another logo) from photos it has never seen — by how much
-- do PSNR and SSIM against the original rise?
--
-- Data (scripts/prepare-images.py): nature photos from mate-backgrounds and
-- plasma-workspace-wallpapers (GPL-2+) and four of scikit-image's samples
-- (public domain, CC0), 256 pixels on the short side; our
-- own marks at random places, sizes, angles and opacities α in [0.3, 0.7].
--
--   ./aelab lessons/13_watermarks.lua [epochs]   (default 20)
--   ./aelab --quick lessons/13_watermarks.lua
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt), FN picks a plural.
local T, F, FN, int = ae.i18n.T, ae.i18n.F, ae.i18n.FN, ae.i18n.int

local L = ae.Lesson.new {
  name = "13_watermarks",
  title = T"Lesson 13 — removing watermarks",
  question = T("Trained on photos marked with some texts and logos, does a convolutional autoencoder remove\n" ..
    "unseen marks from unseen photos? PSNR and SSIM against the original, before and after."),
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 2 or 20)
local P = 32
local PER_IMAGE = quick and 16 or 120 -- patches kept per marked image
local CANDIDATES = 3                    -- drawn per patch kept: the most marked of them win

local train, test = assert(ae.data.watermarks(quick and { limit = 3, test_limit = 1 } or nil))
local nmarked = 0
for _, p in ipairs(train) do nmarked = nmarked + #p.marked end
L:say(FN("Photos: %d for training (%d marked copies), %d held out (with marks of other texts and another logo)",
  "Photos: %d for training (%d marked copies), %d held out (with marks of other texts and another logo)", #test,
  #train, nmarked, #test))

-- Patches: most of a photo carries no mark, so of CANDIDATES random places
-- the ones where marked and clean differ most are kept (half), and as many
-- where they differ least: the model must also learn to leave clean parts
-- alone.
local x = ae.zeros(nmarked * PER_IMAGE, 3, P, P)
local y = ae.zeros(nmarked * PER_IMAGE, 3, P, P)
local at, seed = 1, 0
for _, photo in ipairs(train) do
  for _, marked in ipairs(photo.marked) do
    seed = seed + 1
    local xm, corners = ae.image.patches(marked, { size = P, count = PER_IMAGE * CANDIDATES, seed = seed })
    local yc = ae.image.patches(photo.clean, { size = P, corners = corners })
    local scored = {}
    for k = 1, xm:size(1) do
      scored[k] = { k = k, d = ae.image.mse(xm:narrow(1, k, 1), yc:narrow(1, k, 1)) }
    end
    table.sort(scored, function(a, b) return a.d > b.d end)
    local take = {}
    for k = 1, PER_IMAGE // 2 do take[#take + 1] = scored[k].k end
    for k = #scored - (PER_IMAGE - #take) + 1, #scored do take[#take + 1] = scored[k].k end
    x:narrow(1, at, PER_IMAGE):copy(xm:reshape(xm:size(1), 3 * P * P):rows(take):reshape(PER_IMAGE, 3, P, P))
    y:narrow(1, at, PER_IMAGE):copy(yc:reshape(yc:size(1), 3 * P * P):rows(take):reshape(PER_IMAGE, 3, P, P))
    at = at + PER_IMAGE
  end
end
-- The model's target is the correction, not the photo: r = (I − J)/2 + 1/2,
-- so that 1/2 means "leave this pixel alone" (DnCNN's residual learning,
-- Zhang et al. 2017, done in the data: aelab's models have no skip
-- connection). A plain autoencoder must rebuild every pixel of the photo
-- through its filters and blurs what it should keep; this one only has to
-- find the mark. cleaned = J + 2·(r − 1/2).
y = (y - x) * 0.5 + 0.5
-- shuffle, then a tenth for validation
local perm = ae.randperm(x:size(1))
x = x:reshape(x:size(1), 3 * P * P):rows(perm):reshape(x:size(1), 3, P, P)
y = y:reshape(y:size(1), 3 * P * P):rows(perm):reshape(y:size(1), 3, P, P)
local nval = x:size(1) // 10

local function same(a, b) return ae.Conv2D(a, b, 3, { padding = "same" }) end
local MAPS = 16 -- feature maps per layer
local net = ae.Autoencoder {
  encoder = { same(3, MAPS), ae.ReLU(), same(MAPS, MAPS), ae.ReLU() },
  decoder = { same(MAPS, MAPS), ae.ReLU(), same(MAPS, 3), ae.Sigmoid() },
  input = { 3, P, P },
}
net:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 2e-3 } }
L:say(FN("\nTraining a convolutional autoencoder (%s parameters; 3×3 'same' convolutions, %d feature maps, no " ..
  "pooling) to output the correction of %s marked patches, for %d epoch...", "\nTraining a convolutional " ..
  "autoencoder (%s parameters; 3×3 'same' convolutions, %d feature maps, no pooling) to output the correction of %s " ..
  "marked patches, for %d epochs...", epochs, int(net:param_count()), MAPS, int(x:size(1) - nval), epochs))
local h = net:fit(x:narrow(1, nval + 1, x:size(1) - nval), { target = y:narrow(1, nval + 1, y:size(1) - nval),
  validation = { x = x:narrow(1, 1, nval), target = y:narrow(1, 1, nval) }, epochs = epochs, batch = quick and 16 or 64,
  verbose = false, on_epoch = function(e, hist)
    L:say(T"  epoch %d: train MSE %.5f, validation MSE %.5f (%s patches/s)", e, hist.loss[e], hist.val_loss[e],
      int(math.floor(hist.samples_per_s[e])))
  end })
L:save_model(net, "unmarker", T"unmarker: a convolutional autoencoder that outputs a watermark's correction")
-- doing nothing is predicting 1/2 everywhere
local identity_mse = ae.image.mse(y:narrow(1, 1, nval), ae.full(0.5, nval, 3, P, P))
L:say(T"  (doing nothing — a correction of 0 everywhere — scores a validation MSE of %.5f)", identity_mse)
L:metric("identity_val_mse", identity_mse, T"validation MSE of a zero correction (doing nothing), on the same scale")
local function unmark(marked)
  return (marked + (net:reconstruct(marked) - 0.5) * 2):clamp(0, 1)
end

-- Squared errors inside the mark (pixels the watermark changed, any channel
-- by more than 1/255) and outside it, so the findings can say where the
-- model gains and where it loses from the numbers rather than by guess.
local region = { se_in0 = 0, se_in1 = 0, n_in = 0, se_out1 = 0, n_out = 0 }
local function add_regions(clean, marked, cleaned)
  local m = clean:numel() // 3
  local c, mk, cl = clean:reshape(3 * m):totable(), marked:reshape(3 * m):totable(), cleaned:reshape(3 * m):totable()
  for p = 1, m do
    local inside = false
    for ch = 0, 2 do
      if math.abs(mk[p + ch * m] - c[p + ch * m]) > 1 / 255 then inside = true end
    end
    for ch = 0, 2 do
      local i = p + ch * m
      local e1 = (cl[i] - c[i]) ^ 2
      if inside then
        region.se_in0, region.se_in1, region.n_in = region.se_in0 + (mk[i] - c[i]) ^ 2, region.se_in1 + e1,
          region.n_in + 1
      else
        region.se_out1, region.n_out = region.se_out1 + e1, region.n_out + 1
      end
    end
  end
end

-- Held-out photos, whole, at their own size.
L:say(T"\nHeld-out photos (unseen photos, unseen marks):")
local psnr0, psnr1, ssim0, ssim1, n = 0, 0, 0, 0, 0
local strong, faint = {}, {} -- PSNR gains where the mark was strong (before < 25 dB) and faint
local shown = { marked = {}, cleaned = {}, clean = {} }
local rows = { T"| photo | mark | PSNR before | PSNR after | SSIM before | SSIM after |", "|---|---:|---:|---:|---:|---:|" }
for _, photo in ipairs(test) do
  for k, marked in ipairs(photo.marked) do
    local cleaned = ae.image.apply(unmark, marked, { size = P })
    local pb, pa = ae.image.psnr(photo.clean, marked), ae.image.psnr(photo.clean, cleaned)
    local sb, sa = ae.image.ssim(photo.clean, marked), ae.image.ssim(photo.clean, cleaned)
    psnr0, psnr1, ssim0, ssim1, n = psnr0 + pb, psnr1 + pa, ssim0 + sb, ssim1 + sa, n + 1
    table.insert(pb < 25 and strong or faint, pa - pb)
    add_regions(photo.clean, marked, cleaned)
    rows[#rows + 1] = ae.i18n.fmt("| %s | %d | %.2f dB | %.2f dB | %.4f | %.4f |", photo.name, k, pb, pa, sb, sa)
    L:say(T"  %-12s mark %d: PSNR %.2f → %.2f dB, SSIM %.4f → %.4f", photo.name, k, pb, pa, sb, sa)
    if k == 1 then
      shown.marked[#shown.marked + 1], shown.cleaned[#shown.cleaned + 1] = marked, cleaned
      shown.clean[#shown.clean + 1] = photo.clean
    end
  end
end
psnr0, psnr1, ssim0, ssim1 = psnr0 / n, psnr1 / n, ssim0 / n, ssim1 / n
L:metric("psnr_marked", psnr0, T"PSNR (dB) of the watermarked held-out photos against the originals")
L:metric("psnr_cleaned", psnr1, T"PSNR (dB) after the autoencoder")
L:metric("ssim_marked", ssim0, T"SSIM of the watermarked held-out photos against the originals")
L:metric("ssim_cleaned", ssim1, T"SSIM after the autoencoder")
L:section(T"Held-out photos, each mark", table.concat(rows, "\n"))

-- One figure: a row per photo, each cut to its middle square (photos differ in width)
local side = math.huge
for _, t in ipairs(shown.clean) do
  local _, hh, ww = ae.image.dims(t)
  side = math.min(side, hh, ww)
end
local function stack(list) return ae.image.center_crops(list, side) end
L:figure("photos.png", T"Held-out photos: watermarked (unseen mark), cleaned by the autoencoder, original",
  ae.plot.comparison({ { T"watermarked", stack(shown.marked) }, { T"cleaned", stack(shown.cleaned) },
    { T"original", stack(shown.clean) } }, { out = L:path("photos.png"), max_width = 1400,
      title = T"Watermark removal on held-out photos" }))
L:figure("loss.png", T"Training and validation MSE per epoch",
  ae.plot.history({ { label = T"unmarker", history = h } }, { out = L:path("loss.png"),
    title = T"Watermark removal on patches", ylabel = T"MSE per value" }))

-- Each sentence is a template; its numbers and clauses come from this run.
local f = {}
f[#f + 1] = FN("- On %d held-out watermarked photo the PSNR against the original goes from %.2f dB to %.2f dB " ..
  "(%+.2f dB) and the SSIM from %.4f to %.4f.", "- On %d held-out watermarked photos the PSNR against the original " ..
  "goes from %.2f dB to %.2f dB (%+.2f dB) and the SSIM from %.4f to %.4f.", n, n, psnr0, psnr1, psnr1 - psnr0, ssim0,
  ssim1)
local mse_in0 = region.n_in > 0 and region.se_in0 / region.n_in or 0
local mse_in1 = region.n_in > 0 and region.se_in1 / region.n_in or 0
local mse_out1 = region.n_out > 0 and region.se_out1 / region.n_out or 0
local marked_share = region.n_in / (region.n_in + region.n_out)
L:metric("mse_mark_before", mse_in0, T"MSE on the pixels the watermark changed, before cleaning")
L:metric("mse_mark_after", mse_in1, T"MSE on the pixels the watermark changed, after cleaning")
L:metric("mse_unmarked_after", mse_out1, T"MSE the cleaning adds on the pixels the watermark left alone (0 before)")
L:metric("marked_share", marked_share, T"share of the held-out pixels the watermark changed")
f[#f + 1] = mse_in1 < mse_in0 and
  F("- Where the marks are (%.1f%% of the pixels) the MSE goes from %.5f to %.5f (the marks are %.0f%% fainter by " ..
    "squared error); on the rest, exact before, the cleaning adds an MSE of %.5f. Weighted by their share of the " ..
    "pixels, the whole photo's MSE changes by %+.5f on the marks and by %+.5f elsewhere.", 100 * marked_share,
    mse_in0, mse_in1, 100 * (1 - mse_in1 / mse_in0), mse_out1, marked_share * (mse_in1 - mse_in0),
    (1 - marked_share) * mse_out1) or
  F("- Where the marks are (%.1f%% of the pixels) the MSE goes from %.5f to %.5f (the marks are not made fainter); " ..
    "on the rest, exact before, the cleaning adds an MSE of %.5f. Weighted by their share of the pixels, the whole " ..
    "photo's MSE changes by %+.5f on the marks and by %+.5f elsewhere.", 100 * marked_share, mse_in0, mse_in1,
    mse_out1, marked_share * (mse_in1 - mse_in0), (1 - marked_share) * mse_out1)
if psnr1 <= psnr0 then
  f[#f + 1] = T("- The model made things worse on average. More epochs, a wider field of view or a model " ..
    "that adds its input back (a skip connection, which aelab's models do not have yet) are what to try next.")
end
if ssim1 < ssim0 then
  f[#f + 1] = psnr1 > psnr0 and
    F("- SSIM falls (%.4f → %.4f) on average even though PSNR rises: it weighs local structure and contrast over " ..
      "every window, and the unmarked %.1f%% of the pixels, exact before, now carry the error above — small in " ..
      "squared error, visible to SSIM.", ssim0, ssim1, 100 * (1 - marked_share)) or
    F("- SSIM falls (%.4f → %.4f) on average too: it weighs local structure and contrast over every window, and " ..
      "the unmarked %.1f%% of the pixels, exact before, now carry the error above — small in squared error, " ..
      "visible to SSIM.", ssim0, ssim1, 100 * (1 - marked_share))
end
local function avg(t)
  local v = 0
  for _, x in ipairs(t) do v = v + x end
  return #t > 0 and v / #t or 0 / 0
end
local parts = {} -- whole clauses, joined by "; "
if #strong > 0 then
  parts[#parts + 1] = FN("on the %d photo where it was strong (PSNR below 25 dB before) the gain averages %+.2f dB",
    "on the %d photos where it was strong (PSNR below 25 dB before) the gain averages %+.2f dB", #strong, #strong,
    avg(strong))
  L:metric("psnr_gain_strong", avg(strong), T"mean PSNR gain (dB) on photos whose mark was strong (below 25 dB before)")
end
if #faint > 0 then
  -- alone, the clause names what it counts; after the strong one, it is short
  parts[#parts + 1] = #parts == 0 and
    FN("on the %d photo where it was faint (PSNR of 25 dB or more before) the gain averages %+.2f dB",
      "on the %d photos where it was faint (PSNR of 25 dB or more before) the gain averages %+.2f dB", #faint, #faint,
      avg(faint)) or
    FN("on the %d where it was faint (25 dB or more), %+.2f dB",
      "on the %d where it was faint (25 dB or more), %+.2f dB", #faint, #faint, avg(faint))
  L:metric("psnr_gain_faint", avg(faint), T"mean PSNR gain (dB) on photos whose mark was faint (25 dB or more before)")
end
f[#f + 1] = F("- By the mark's strength: %s.", table.concat(parts, "; ")) .. " " .. T("A faint mark leaves little " ..
  "to gain, and the model's small errors over the rest of the photo can cost more than it removes.")
f[#f + 1] = F("- On the training patches' validation tenth the model's MSE is %.5f against %.5f for " ..
  "doing nothing (both on the correction's scale, half the pixel scale).", h.val_loss[epochs], identity_mse)
f[#f + 1] = T("- The test marks are texts and a logo shape that no training photo carries, so what the model " ..
  "removes it cannot remove as known letters: the 3×3 filters of four layers see 9×9 pixels, less than a letter, " ..
  "so it can only act on a lighter or darker overlay with edges.")
L:say(T"\nWhat the numbers say:\n%s", table.concat(f, "\n"))
L:section(T"What the numbers say", table.concat(f, "\n"))
L:section(T"Data and licences", F("Photos from mate-backgrounds (nature/, GPL-2+) and the photographs of " ..
  "plasma-workspace-wallpapers (GPL-2+), scikit-image's sample images from python3-skimage (astronaut and " ..
  "rocket: public domain; coffee and chelsea: CC0); watermarks made by scripts/prepare-images.py with fonts-dejavu-core " ..
  "(Bitstream Vera licence) and fonts-liberation (SIL OFL 1.1). Held out: %s.", (function()
    local t = {}
    for _, p in ipairs(test) do t[#t + 1] = p.name end
    return table.concat(t, ", ")
  end)()))
L:metric("epochs", epochs, T"epochs")
L:metric("samples_per_s", ae.median(h.samples_per_s), T"training patches per second (median over epochs)")
L:finish()
