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
--   ./aelab --quick lessons/09_vae.lua     (600 training images, 3 epochs)
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
    gap_vae = 0, gap_plain = 0 }
  r.gap_vae, r.worst_vae = gaps(mu)
  r.gap_plain, r.worst_plain = gaps(codes)
  R[ds.key] = r
  local k = ds.key .. "_"
  L:metric(k .. "entropy_floor", floor, ds.name .. ": test images' own entropy, nats per image (BCE floor)")
  L:metric(k .. "vae_reconstruction", r.rec, ds.name .. ": VAE test reconstruction (BCE, nats per image, decoding μ)")
  L:metric(k .. "vae_kl", r.kl, ds.name .. ": VAE test KL, nats per image")
  L:metric(k .. "vae_neg_elbo", r.rec + r.kl, ds.name .. ": VAE test reconstruction + KL (β = 1 loss)")
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
    ae.plot.interpolation(net, { walks = walks, labels = labels, steps = 8, out = L:path(k .. "walks.png"),
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
  "the same image. The plain codes spread over whatever range the encoder likes, in streaks with empty space " ..
  "between them; the VAE's means sit in a round cloud around 0 of about unit size, the classes side by side.",
  "- `*_manifold.png`: the VAE's decoder on a 20×20 grid placed on N(0, I)'s quantiles (5% to 95% on each " ..
  "axis), so every cell holds equal prior mass: each point decodes to a plausible image, and neighbours " ..
  "morph into one another.",
  "- `*_samples.png`: 100 new images, z drawn from N(0, I) and decoded. With a 2-D latent they are blurry: the " ..
  "decoder's output is a mean image for that z.",
  "- `*_loss.png`: the two parts of the loss on a log scale: reconstruction falls while the KL rises, as the " ..
  "encoder buys information about x with nats of KL.",
  "- `*_walks.png`: decodings along straight lines between the mean μ of each class on the test set (class " ..
  "means, not chosen test images); waypoints sit at 0, 1, 2 under the images.",
  "- `beta*_latent.png` and `beta_samples.png`: the same model with the KL weighted by β = 0.5, 1, 4: the codes' " ..
  "layout and samples decoded from N(0, I), one row per β.",
}, "\n"))

-- Where this lesson departs from the course's settings.
L:section("Departures from the course", table.concat({
  string.format("- Data: %s MNIST digits and as many Fashion-MNIST images for training (the workbench's sets), " ..
    "not 60,000; %d test images of each.", ae.commas(mnist_train.x:size(1)), mnist_test.x:size(1)),
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
findings[#findings + 1] = string.format("- Gaps: with each axis of the codes scaled to mean 0 and " ..
  "standard deviation 1, %.0f%% of the 400 points of the manifold's grid (N(0, I)'s quantiles) have no MNIST test " ..
  "code within %.2f for the plain autoencoder, %.0f%% for the VAE's means; the farthest grid point is %.2f and %.2f " ..
  "from a code (Fashion-MNIST: %.0f%% and %.0f%%, %.2f and %.2f): the VAE's codes %s.", 100 * m.gap_plain,
  GAP_RADIUS, 100 * m.gap_vae, m.worst_plain, m.worst_vae, 100 * f.gap_plain, 100 * f.gap_vae, f.worst_plain,
  f.worst_vae, (m.gap_vae < m.gap_plain and f.gap_vae < f.gap_plain) and "leave fewer holes where the prior puts " ..
  "its mass" or "do not leave fewer holes on both data sets in this run")
findings[#findings + 1] = string.format("- The price: on MNIST the VAE reconstructs its test images at %.1f nats " ..
  "(decoding μ), the plain autoencoder at %.1f, %s; the VAE also pays %.2f nats of KL, so its loss is %.1f nats " ..
  "per image.", m.rec, m.plain, m.rec > m.plain and string.format("%.1f nats worse", m.rec - m.plain) or
  string.format("%.1f nats better", m.plain - m.rec), m.kl, m.rec + m.kl)
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
  local rec_rises = lo.rec < mid.rec and mid.rec < hi.rec
  findings[#findings + 1] = string.format("- β: from β = %g to %g the test KL goes %.2f → %.2f → %.2f nats and " ..
    "the reconstruction %.1f → %.1f → %.1f: %s", lo.beta, hi.beta, lo.kl, mid.kl, hi.kl, lo.rec, mid.rec, hi.rec,
    (kl_falls and rec_rises) and "a larger β buys a code closer to the prior with worse reconstructions." or
    "not the clean trade-off (KL down, reconstruction up) one expects in this run; more epochs would tell.")
end
findings[#findings + 1] = string.format("- Active units: %d of %d on MNIST, %d of %d on Fashion-MNIST (a unit is " ..
  "active when its KL is above 0.01 nats).", m.active, LATENT, f.active, LATENT)
L:say("\nWhat the numbers say:\n%s", table.concat(findings, "\n"))
L:section("What the numbers say", table.concat(findings, "\n"))
L:metric("epochs", epochs, "epochs per model")
L:metric("train_images", mnist_train.x:size(1), "training images per data set")
L:finish()
