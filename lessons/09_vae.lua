-- Lesson 09 — the variational autoencoder.
--
-- Question: a plain autoencoder with a 2-D code puts each digit somewhere
-- in the plane, leaves gaps between the classes, and nothing tells us what
-- a point of a gap decodes to. A VAE encodes each image as a Gaussian
-- N(μ, σ²) and pays, in its loss, the KL divergence from N(0, I): does that
-- fill the plane, so that any point of it — a draw from N(0, I), a walk from
-- one digit to another — decodes to something that looks like the data?
-- The model is the course's exercise (and Keras' VAE example):
--   encoder  784 → 256 (ReLU) → μ, log σ² (2 each)     z = μ + σ·ε, ε ~ N(0, I)
--   decoder  2 → 256 (ReLU) → 784 (sigmoid)
-- loss: binary cross-entropy summed over the 784 pixels (nats per image) + β·KL;
-- Adam (lr 1e-3), batch 256, 50 epochs, on MNIST and Fashion-MNIST.
--
--   ./aelab lessons/09_vae.lua [epochs]   (default 50 epochs per model, as the course)
--   ./aelab --quick lessons/09_vae.lua     (600 training images of each set, 3 epochs)
local WALK_STEPS = 8 -- images per leg of a walk (its ends included)
local ae = require "aelab"

local L = ae.Lesson.new {
  name = "09_vae",
  title = "Lesson 09 — the variational autoencoder (784-256-(2)/(2)-256-784)",
  question = "A plain autoencoder's 2-D codes leave gaps; a VAE's loss pulls every code towards N(0, I).\n" ..
    "Does its latent plane fill up, so that new samples and walks between digits decode to\n" ..
    "sensible images — and what does that cost in reconstruction (β = 0.5, 1, 4)?",
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 3 or 50)
local limit = quick and { limit = 600, test_limit = 300 } or nil
local LATENT, HIDDEN, BATCH = 2, 256, 256
local BETAS = { 0.5, 1, 4 }

local function vae()
  return ae.VAE { encoder = { ae.Dense(784, HIDDEN), ae.ReLU() }, latent = LATENT,
    decoder = { ae.Dense(LATENT, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, 784), ae.Sigmoid() } }
end

-- The plain autoencoder trained the same way: same layers, the 2-D code
-- linear (as the VAE's μ is), the same loss without the KL.
local function plain()
  return ae.Autoencoder { encoder = { ae.Dense(784, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, LATENT) },
    decoder = { ae.Dense(LATENT, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, 784), ae.Sigmoid() } }
end

local function train(net, label, x, xval, beta)
  net:compile { loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-3 } }
  L:say("  training the %s (%s parameters) for %d epochs...", label, ae.commas(net:param_count()), epochs)
  local every = math.max(1, epochs // 5)
  local h = net:fit(x, { epochs = epochs, batch = BATCH, validation = xval, beta = beta, verbose = false,
    on_epoch = function(e, hist)
      if e % every ~= 0 and e ~= epochs then return end
      if hist.kl then
        L:say("    epoch %2d: test reconstruction %.1f + KL %.2f nats per image (train %.1f + %.2f)",
          e, hist.val_reconstruction[e], hist.val_kl[e], hist.reconstruction[e], hist.kl[e])
      else
        L:say("    epoch %2d: test reconstruction %.1f nats per image (train %.1f)", e, hist.val_loss[e], hist.loss[e])
      end
    end })
  if h.warning then L:say("    warning: %s", h.warning) end
  L:save_model(net, label)
  return h
end

-- The images' own entropy, Σ −[x log x + (1−x) log(1−x)] over the pixels
-- (0·log 0 = 0), averaged over the images, in nats: the BCE of the images
-- against themselves, below which no reconstruction can go.
local function entropy_floor(x)
  local rows, total = x:totable(), 0
  for _, row in ipairs(rows) do
    for _, p in ipairs(row) do
      if p > 0 and p < 1 then total = total - (p * math.log(p) + (1 - p) * math.log(1 - p)) end
    end
  end
  return total / #rows
end

-- Gaps: each axis of the codes scaled to mean 0 and standard deviation 1,
-- then a 20×20 grid on N(0, I)'s quantiles (5%..95%, where the manifold
-- figure decodes); for each grid point the distance to the nearest test
-- code. Returns the share of grid points with no code within GAP_RADIUS,
-- and the largest such distance.
local GAP_RADIUS = 0.25
local function gaps(z)
  local n = z:size(1)
  local col = {}
  for d = 1, 2 do
    local v, s, s2 = {}, 0, 0
    for i = 1, n do v[i] = z:get(i, d); s = s + v[i] end
    local mean = s / n
    for i = 1, n do s2 = s2 + (v[i] - mean) ^ 2 end
    local sd = math.sqrt(s2 / n)
    for i = 1, n do v[i] = (v[i] - mean) / sd end
    col[d] = v
  end
  local q = {}
  for k = 1, 20 do q[k] = ae.plot.normal_quantile(0.05 + 0.9 * (k - 1) / 19) end
  local far, worst = 0, 0
  local xs, ys = col[1], col[2]
  for a = 1, 20 do
    for b = 1, 20 do
      local best = math.huge
      for i = 1, n do
        local dx, dy = xs[i] - q[a], ys[i] - q[b]
        local d2 = dx * dx + dy * dy
        if d2 < best then best = d2 end
      end
      best = math.sqrt(best)
      if best > GAP_RADIUS then far = far + 1 end
      if best > worst then worst = best end
    end
  end
  return far / 400, worst
end

-- Mean and standard deviation of each axis of the codes, and their range.
local function spread(z)
  local st = {}
  for d = 1, 2 do
    local n, s1, s2, lo, hi = z:size(1), 0, 0, math.huge, -math.huge
    for i = 1, n do
      local v = z:get(i, d)
      s1, s2, lo, hi = s1 + v, s2 + v * v, math.min(lo, v), math.max(hi, v)
    end
    local mean = s1 / n
    st[d] = { mean = mean, sd = math.sqrt(math.max(0, s2 / n - mean * mean)), lo = lo, hi = hi }
  end
  return st
end

local function describe(st)
  return string.format("mean (%.1f, %.1f), standard deviation (%.1f, %.1f), range [%.1f, %.1f] × [%.1f, %.1f]",
    st[1].mean, st[2].mean, st[1].sd, st[2].sd, st[1].lo, st[1].hi, st[2].lo, st[2].hi)
end

-- The mean μ of each class (a table of LATENT numbers), key = class index 0..9.
local function class_means(mu, y)
  local sum, count = {}, {}
  for i = 1, mu:size(1) do
    local c = math.floor(y:get(i))
    sum[c] = sum[c] or { 0, 0 }
    count[c] = (count[c] or 0) + 1
    for d = 1, LATENT do sum[c][d] = sum[c][d] + mu:get(i, d) end
  end
  for c, s in pairs(sum) do for d = 1, LATENT do s[d] = s[d] / count[c] end end
  return sum
end

local function loss_figure(file, name, h)
  local function col(t) local c = {} for e = 1, #t do c[e] = t[e] end return c end
  return L:figure(file, name .. ": the loss split into reconstruction (BCE summed over pixels) and KL, per epoch",
    ae.plot.series({ { label = "reconstruction, train", y = col(h.reconstruction) },
      { label = "reconstruction, test", y = col(h.val_reconstruction) },
      { label = "KL, train", y = col(h.kl) }, { label = "KL, test", y = col(h.val_kl) } },
      { out = L:path(file), title = name .. ": VAE loss = reconstruction + KL", xlabel = "epoch",
        ylabel = "nats per image (log scale)", logscale = "y", key = "center right", points = epochs <= 20 }))
end

local datasets = {
  { key = "mnist", name = "MNIST", load = ae.data.mnist },
  { key = "fashion", name = "Fashion-MNIST", load = ae.data.fashion_mnist },
}

local R = {} -- per dataset key: this run's numbers
local mnist_train, mnist_test, mnist_vae, mnist_h
for _, ds in ipairs(datasets) do
  L:say("\n%s:", ds.name)
  local tr, te = assert(ds.load(limit))
  L:say("  train %d, test %d images", tr.x:size(1), te.x:size(1))
  local floor = entropy_floor(te.x)
  L:say("  the test images' own entropy (the floor of BCE summed over pixels): %.1f nats per image", floor)
  local net = vae()
  local h = train(net, ds.name .. " VAE", tr.x, te.x, 1)
  local ref = plain()
  local hp = train(ref, ds.name .. " plain autoencoder", tr.x, te.x)
  if ds.key == "mnist" then mnist_train, mnist_test, mnist_vae, mnist_h = tr, te, net, h end

  local mu, codes = net:encode(te.x), ref:encode(te.x)
  local r = { floor = floor, rec = h.val_reconstruction[epochs], kl = h.val_kl[epochs],
    plain = hp.val_loss[epochs], active = h.active_units[epochs],
    gap_vae = 0, gap_plain = 0, ntrain = tr.x:size(1), ntest = te.x:size(1), h = h }
  r.gap_vae, r.worst_vae = gaps(mu)
  r.gap_plain, r.worst_plain = gaps(codes)
  r.spread_vae, r.spread_plain = spread(mu), spread(codes)
  L:say("  test codes: VAE μ %s", describe(r.spread_vae))
  L:say("              plain %s", describe(r.spread_plain))
  R[ds.key] = r
  local k = ds.key .. "_"
  L:metric(k .. "entropy_floor", floor, ds.name .. ": test images' own entropy, nats per image (BCE floor)")
  L:metric(k .. "vae_reconstruction", r.rec, ds.name .. ": VAE test reconstruction (BCE, nats per image, decoding μ)")
  L:metric(k .. "vae_kl", r.kl, ds.name .. ": VAE test KL, nats per image")
  L:metric(k .. "vae_neg_elbo", r.rec + r.kl, ds.name .. ": VAE test reconstruction (decoding μ, slightly optimistic against the ELBO's sampled z) + KL")
  L:metric(k .. "plain_reconstruction", r.plain, ds.name .. ": plain 2-D autoencoder test BCE, nats per image")
  L:metric(k .. "active_units", r.active, ds.name .. ": VAE latent units with KL above 0.01 nats")
  L:metric(k .. "gaps_vae", r.gap_vae, ds.name .. ": VAE μ, standardized: share of a 20×20 normal-quantile grid " ..
    "with no test code within 0.25")
  L:metric(k .. "gaps_plain", r.gap_plain, ds.name .. ": plain codes, standardized: the same share")
  L:metric(k .. "gap_max_vae", r.worst_vae, ds.name .. ": VAE μ: largest distance from a grid point to a test code")
  L:metric(k .. "gap_max_plain", r.worst_plain, ds.name .. ": plain codes: the same largest distance")
  L:save()

  L:figure(k .. "latent.png", ds.name .. ": the test images' VAE means μ (left) and the plain autoencoder's 2-D " ..
    "codes (right), coloured by class",
    ae.plot.compare(mu, codes, te.y, { out = L:path(k .. "latent.png"), classes = te.classes, axes = { "μ", "code" },
      names = { "VAE: μ of each test image", "plain autoencoder: its code" },
      title = ds.name .. ": test set in the 2-D latent space after " .. epochs .. " epochs" }))
  L:figure(k .. "manifold.png", ds.name .. ": the VAE's decoder on a 20×20 grid of N(0, I)'s quantiles (5%..95%)",
    ae.plot.manifold(net, { quantiles = true, n = 20, out = L:path(k .. "manifold.png"),
      title = ds.name .. ": decoded latent plane (grid on the normal's quantiles)" }))
  L:figure(k .. "samples.png", ds.name .. ": 100 new images, decodings of z drawn from N(0, I)",
    ae.plot.samples(net:sample(100), { out = L:path(k .. "samples.png"),
      title = ds.name .. ": 100 samples decoded from z ~ N(0, I)" }))
  loss_figure(k .. "loss.png", ds.name, h)

  local means = class_means(mu, te.y)
  local walks, labels
  if ds.key == "mnist" then
    walks = { { means[0], means[3], means[1] }, { means[1], means[9], means[7] } }
    labels = { "0 → 3 → 1", "1 → 9 → 7" }
  else
    local c = te.classes
    walks = { { means[0], means[1] }, { means[5], means[9] } }
    labels = { c[1] .. " → " .. c[2], c[6] .. " → " .. c[10] }
  end
  L:figure(k .. "walks.png", ds.name .. ": straight walks in the latent plane between class means of μ (" ..
    table.concat(labels, ", ") .. ")",
    ae.plot.interpolation(net, { walks = walks, labels = labels, steps = WALK_STEPS, left = 200, out = L:path(k .. "walks.png"),
      title = ds.name .. ": walks between the classes' mean codes" }))
end

-- β: the KL's weight. β = 1 is the model above; 0.5 and 4 are trained the same way.
L:say("\nβ on MNIST: 0.5, 1 (the model above) and 4")
local beta_rows = { "| β | test reconstruction | test KL | reconstruction + β·KL | reconstruction + KL | active units |",
  "|---:|---:|---:|---:|---:|---:|" }
local B, sample_rows = {}, {}
for _, beta in ipairs(BETAS) do
  local net, h = mnist_vae, mnist_h
  if beta ~= 1 then
    net = vae()
    h = train(net, string.format("MNIST VAE beta %g", beta), mnist_train.x, mnist_test.x, beta)
  end
  local rec, kl = h.val_reconstruction[epochs], h.val_kl[epochs]
  B[#B + 1] = { beta = beta, rec = rec, kl = kl }
  beta_rows[#beta_rows + 1] = string.format("| %g | %.1f | %.2f | %.1f | %.1f | %d |", beta, rec, kl, rec + beta * kl,
    rec + kl, h.active_units[epochs])
  L:metric(string.format("beta%g_reconstruction", beta), rec, string.format("β = %g: MNIST test reconstruction", beta))
  L:metric(string.format("beta%g_kl", beta), kl, string.format("β = %g: MNIST test KL", beta))
  local file = string.format("beta%g_latent.png", beta)
  L:figure(file, string.format("β = %g: the MNIST test set's μ, coloured by digit", beta),
    ae.plot.latent(net:encode(mnist_test.x), mnist_test.y, { out = L:path(file), classes = mnist_test.classes,
      title = string.format("MNIST, β = %g: μ of the test images", beta) }))
  sample_rows[#sample_rows + 1] = { string.format("β = %g", beta), net:sample(12) }
end
L:figure("beta_samples.png", "Twelve samples from N(0, I) decoded by each β's model (one row per β)",
  ae.plot.image_rows(sample_rows, { out = L:path("beta_samples.png"), n = 12, left = 110,
    title = "MNIST: samples decoded from z ~ N(0, I), by β" }))
L:section("β: the reconstruction/KL trade-off on MNIST (test set, nats per image)", table.concat(beta_rows, "\n"))

-- What the figures show, in words.
L:section("What the figures show", table.concat({
  "- `*_latent.png`: left, each test image's mean code μ under the VAE; right, the plain autoencoder's code of " ..
  "the same image, both coloured by class. The plain codes lie wherever its encoder put them, on scales tens of " ..
  "units wide, classes stretched into arms with empty wedges between them (clearest on Fashion-MNIST); the VAE's " ..
  "means are pulled around 0 on the prior's scale, the classes packed side by side. Their means and spreads are " ..
  "under \"What the numbers say\".",
  "- `*_manifold.png`: the VAE's decoder on a 20×20 grid placed on N(0, I)'s quantiles (5% to 95% on each " ..
  "axis), so every cell holds equal prior mass: each point decodes to a plausible image, and neighbours " ..
  "morph into one another.",
  "- `*_samples.png`: 100 new images, z drawn from N(0, I) and decoded. With a 2-D latent they are blurry: the " ..
  "decoder's output is a mean image for that z.",
  string.format("- `*_loss.png`: the two parts of the loss on a log scale, train and test. On MNIST the test " ..
    "reconstruction went from %.1f nats at epoch 1 to %.1f at epoch %d while the KL went from %.2f to %.2f " ..
    "(Fashion-MNIST: %.1f → %.1f, KL %.2f → %.2f): the encoder buys information about x with nats of KL.",
    R.mnist.h.val_reconstruction[1], R.mnist.rec, epochs, R.mnist.h.val_kl[1], R.mnist.kl,
    R.fashion.h.val_reconstruction[1], R.fashion.rec, R.fashion.h.val_kl[1], R.fashion.kl),
  "- `*_walks.png`: decodings along straight lines between the mean μ of each class on the test set (class " ..
  "means, not chosen test images), " .. WALK_STEPS .. " images per leg: on MNIST the waypoints are the first, middle and last " ..
  "images of each row, on Fashion-MNIST the first and last.",
  "- `beta*_latent.png` and `beta_samples.png`: the same model with the KL weighted by β = 0.5, 1, 4: the codes' " ..
  "layout and samples decoded from N(0, I), one row per β.",
}, "\n"))

-- Where this lesson departs from the course's settings.
L:section("Departures from the course", table.concat({
  string.format("- Data: %s MNIST training digits (the workbench's subset; the course has 60,000) and %s test " ..
    "digits; Fashion-MNIST %s training and %s test images.", ae.commas(R.mnist.ntrain), ae.commas(R.mnist.ntest),
    ae.commas(R.fashion.ntrain), ae.commas(R.fashion.ntest)),
  string.format("- Epochs: %d%s.", epochs, epochs == 50 and " (the course's 50)" or
    (quick and " (--quick; the course trains 50)" or " (given on the command line; the course trains 50)")),
  "- The loss is Keras' VAE example's (BCE summed over pixels + KL); the deck shows no loss. β = 0.5 and 4 " ..
    "are this lesson's own: no deck gives a KL weight.",
  "- The walks go between the classes' mean μ on the test set; the slides do not say how they chose their ends.",
  "- The plain autoencoder is this lesson's own reference: the same layers with a linear 2-D code, the same " ..
    "loss without the KL, the same optimizer, batch and epochs.",
}, "\n"))

-- The answer, from this run's numbers.
local m, f = R.mnist, R.fashion
local findings = {}
local function fewer(r) return r.gap_vae < r.gap_plain and "fewer" or (r.gap_vae > r.gap_plain and "more" or "as many") end
findings[#findings + 1] = string.format("- Gaps: with each axis of the codes scaled to mean 0 and standard deviation " ..
  "1, the share of the 400 points of the manifold's grid (N(0, I)'s quantiles) with no test code within %.2f is, " ..
  "plain against VAE, %.0f%% and %.0f%% on MNIST (farthest grid point %.2f and %.2f from a code), %.0f%% and " ..
  "%.0f%% on Fashion-MNIST (%.2f and %.2f): once scaled, the VAE's means leave %s holes than the plain codes on " ..
  "MNIST and %s on Fashion-MNIST.", GAP_RADIUS, 100 * m.gap_plain, 100 * m.gap_vae, m.worst_plain, m.worst_vae,
  100 * f.gap_plain, 100 * f.gap_vae, f.worst_plain, f.worst_vae, fewer(m), fewer(f))
for _, d in ipairs { { "MNIST", m }, { "Fashion-MNIST", f } } do
  local name, r = d[1], d[2]
  local v = r.spread_vae
  local near = math.abs(v[1].mean) <= 1 and math.abs(v[2].mean) <= 1 and v[1].sd <= 2.5 and v[2].sd <= 2.5
  findings[#findings + 1] = string.format("- Where the codes are, %s: the VAE's means have %s — %s; the plain " ..
    "autoencoder's codes have %s, a place and scale its loss says nothing about, so one cannot know where to draw " ..
    "new codes without measuring them first.", name, describe(v), near and
    "on the scale of the prior N(0, I) that `sample` draws from" or
    "not yet on the scale of the prior N(0, I) that `sample` draws from (each axis's mean within 1 and spread " ..
    "within 2.5 would be)", describe(r.spread_plain))
end
findings[#findings + 1] = string.format("- Reconstruction: on MNIST the VAE's test reconstruction (decoding μ) is " ..
  "%.1f nats per image, the plain autoencoder's %.1f: the VAE's is %.1f nats %s; on top of it the VAE pays %.2f nats " ..
  "of KL (loss %.1f). On Fashion-MNIST: %.1f against %.1f, KL %.2f.", m.rec, m.plain, math.abs(m.rec - m.plain),
  m.rec > m.plain and "worse" or "better", m.kl, m.rec + m.kl, f.rec, f.plain, f.kl)
findings[#findings + 1] = string.format("- Fashion-MNIST against its floor: its test images' own entropy is %.1f " ..
  "nats per image (MNIST's %.1f), so no model's BCE goes below it. The VAE reaches %.1f on Fashion-MNIST and " ..
  "%.1f on MNIST: %.1f and %.1f nats above each floor. Read against the floors, Fashion-MNIST's %.0f is %s, " ..
  "not %.1f times as bad.", f.floor, m.floor, f.rec, m.rec, f.rec - f.floor, m.rec - m.floor, f.rec,
  (f.rec - f.floor) < (m.rec - m.floor) and "closer to what is possible than MNIST's" or
  string.format("%.1f times MNIST's distance from what is possible", (f.rec - f.floor) / (m.rec - m.floor)),
  f.rec / m.rec)
do
  local lo, mid, hi = B[1], B[2], B[3]
  local kl_falls = lo.kl > mid.kl and mid.kl > hi.kl
  local function diff(x, y)
    local d = y - x
    if math.abs(d) < 1 then return string.format("within %.1f nats of it", math.abs(d)) end
    return string.format("%.1f nats %s", math.abs(d), d > 0 and "worse" or "better")
  end
  findings[#findings + 1] = string.format("- β: from β = %g to %g to %g the test KL goes %.2f → %.2f → %.2f nats " ..
    "(%s) and the reconstruction %.1f → %.1f → %.1f. Against β = 1, β = %g reconstructs %s for %.2f nats less KL; " ..
    "β = %g reconstructs %s for %.2f nats more KL.", lo.beta, mid.beta, hi.beta, lo.kl, mid.kl, hi.kl,
    kl_falls and "falling as β grows: the codes pulled closer to the prior" or "not falling steadily with β",
    lo.rec, mid.rec, hi.rec, hi.beta, diff(mid.rec, hi.rec), mid.kl - hi.kl, lo.beta, diff(mid.rec, lo.rec),
    lo.kl - mid.kl)
end
findings[#findings + 1] = string.format("- Active units: %d of %d on MNIST, %d of %d on Fashion-MNIST (a unit is " ..
  "active when its KL is above 0.01 nats).", m.active, LATENT, f.active, LATENT)
L:say("\nWhat the numbers say:\n%s", table.concat(findings, "\n"))
L:section("What the numbers say", table.concat(findings, "\n"))
L:metric("epochs", epochs, "epochs per model")
L:metric("mnist_train_images", R.mnist.ntrain, "MNIST training images")
L:metric("fashion_train_images", R.fashion.ntrain, "Fashion-MNIST training images")
L:finish()
