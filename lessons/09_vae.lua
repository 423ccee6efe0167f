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
-- Then Keras' convolutional VAE on Fashion-MNIST against the dense one:
--   encoder  Conv 32 (3×3, stride 2) → Conv 64 (3×3, stride 2) → Dense 16 (ReLU) → μ, log σ² (2 each)
--   decoder  Dense 7·7·64 (ReLU) → ConvTranspose 64, 32 (3×3, stride 2, ReLU) → ConvTranspose 1 (3×3, sigmoid)
-- trained for CONV_EPOCHS epochs (10: an epoch of it costs many of the dense model's).
--
--   ./aelab lessons/09_vae.lua [epochs]   (default 50 epochs per dense model, as the course)
--   ./aelab --quick lessons/09_vae.lua     (600 training images of each set, 3 epochs; 1 for the conv VAE)
local WALK_STEPS = 8 -- images per leg of a walk (its ends included)
local ae = require "aelab"
-- Messages in the chosen language (--lang es|pt|en; README "Languages").
local T, F, FN = ae.i18n.T, ae.i18n.F, ae.i18n.FN

local L = ae.Lesson.new {
  name = "09_vae",
  title = T"Lesson 09 — the variational autoencoder (784-256-(2)/(2)-256-784)",
  question = T("A plain autoencoder's 2-D codes leave gaps; a VAE's loss pulls every code towards N(0, I).\n" ..
    "Does its latent plane fill up, so that new samples and walks between digits decode to\n" ..
    "sensible images — and what does that cost in reconstruction (β = 0.5, 1, 4)? And does\n" ..
    "Keras' convolutional VAE do better than the dense one on Fashion-MNIST?"),
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 3 or 50)
local limit = quick and { limit = 600, test_limit = 300 } or nil
local LATENT, HIDDEN, BATCH = 2, 256, 256
local BETAS = { 0.5, 1, 4 }
-- The convolutional VAE's epochs: 50 of them on 60,000 images would take
-- 40 minutes to two hours on two cores (370 to 1,200 samples/s measured,
-- the machine shared), so fewer (said in the report).
local CONV_EPOCHS = quick and 1 or math.min(epochs, 10)
local function epochs_text(n) return FN("%d epoch", "%d epochs", n, n) end
local function minutes(m)
  m = math.max(1, math.floor(m + 0.5))
  return FN("%s minute", "%s minutes", m, ae.i18n.int(m))
end

local function vae()
  return ae.VAE { encoder = { ae.Dense(784, HIDDEN), ae.ReLU() }, latent = LATENT,
    decoder = { ae.Dense(LATENT, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, 784), ae.Sigmoid() } }
end

-- Keras' VAE example's convolutional model (its encoder and decoder as
-- written there), on 1×28×28 images.
local function conv_vae()
  local function up(cin, cout, stride) return ae.ConvTranspose2D(cin, cout, 3, { stride = stride, padding = "same" }) end
  return ae.VAE { input = { 1, 28, 28 }, latent = LATENT,
    encoder = { ae.Conv2D(1, 32, 3, { stride = 2, padding = "same" }), ae.ReLU(),
      ae.Conv2D(32, 64, 3, { stride = 2, padding = "same" }), ae.ReLU(), ae.Flatten(), ae.Dense(7 * 7 * 64, 16), ae.ReLU() },
    decoder = { ae.Dense(LATENT, 7 * 7 * 64), ae.ReLU(), ae.Reshape { 64, 7, 7 }, up(64, 64, 2), ae.ReLU(),
      up(64, 32, 2), ae.ReLU(), up(32, 1, 1), ae.Sigmoid() } }
end

-- The plain autoencoder trained the same way: same layers, the 2-D code
-- linear (as the VAE's μ is), the same loss without the KL.
local function plain()
  return ae.Autoencoder { encoder = { ae.Dense(784, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, LATENT) },
    decoder = { ae.Dense(LATENT, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, 784), ae.Sigmoid() } }
end

-- `model` names the saved file (the same in every language), `label` is
-- what the student reads.
local function train(net, model, label, x, xval, beta, n_epochs)
  n_epochs = n_epochs or epochs
  net:compile { loss = "bce_sum", optimizer = ae.optim.Adam { lr = 1e-3 } }
  L:say(T"  training the %s (%s parameters) for %s...", label, ae.i18n.int(net:param_count()), epochs_text(n_epochs))
  local every = math.max(1, n_epochs // 5)
  local h = net:fit(x, { epochs = n_epochs, batch = BATCH, validation = xval, beta = beta, verbose = false,
    on_epoch = function(e, hist)
      if e % every ~= 0 and e ~= n_epochs then return end
      if hist.kl then
        L:say(T"    epoch %2d: test reconstruction %.1f + KL %.2f nats per image (train %.1f + %.2f)",
          e, hist.val_reconstruction[e], hist.val_kl[e], hist.reconstruction[e], hist.kl[e])
      else
        L:say(T"    epoch %2d: test reconstruction %.1f nats per image (train %.1f)", e, hist.val_loss[e], hist.loss[e])
      end
    end })
  -- a warning of fit (a collapsed posterior) is already said, by fit, and in the report's training notes
  L:save_model(net, model, label) -- the file keeps its English name; the report says label
  return h
end

-- The images' own entropy, Σ −[x log x + (1−x) log(1−x)] over the pixels
-- (0·log 0 = 0), averaged over the images, in nats: the BCE of the images
-- against themselves, below which no reconstruction can go.
local function entropy_floor(x)
  local n, total, CHUNK = x:size(1), 0, 500 -- a chunk of rows as Lua numbers at a time, not the whole set
  for r0 = 1, n, CHUNK do
    for _, row in ipairs(x:narrow(1, r0, math.min(CHUNK, n - r0 + 1)):totable()) do
      for _, p in ipairs(row) do
        if p > 0 and p < 1 then total = total - (p * math.log(p) + (1 - p) * math.log(1 - p)) end
      end
    end
  end
  return total / n
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
    if sd == 0 then sd = 1 end -- every code the same (a collapsed axis): centred, not divided by 0
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

-- On the scale of the prior N(0, I) that `sample` draws from: each axis's
-- mean within 1 and its spread within 2.5.
local function on_prior(st)
  return math.abs(st[1].mean) <= 1 and math.abs(st[2].mean) <= 1 and st[1].sd <= 2.5 and st[2].sd <= 2.5
end

local function describe(st)
  return F("mean (%.1f, %.1f), standard deviation (%.1f, %.1f), range [%.1f, %.1f] × [%.1f, %.1f]",
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
  return L:figure(file, F("%s: the loss split into reconstruction (BCE summed over pixels) and KL, per epoch", name),
    ae.plot.series({ { label = T"reconstruction, train", y = col(h.reconstruction) },
      { label = T"reconstruction, test", y = col(h.val_reconstruction) },
      { label = T"KL, train", y = col(h.kl) }, { label = T"KL, test", y = col(h.val_kl) } },
      { out = L:path(file), title = F("%s: VAE loss = reconstruction + KL", name), xlabel = T"epoch",
        ylabel = T"nats per image (log scale)", logscale = "y", key = "center right", points = epochs <= 20 }))
end

local datasets = {
  { key = "mnist", name = "MNIST", load = ae.data.mnist },
  { key = "fashion", name = "Fashion-MNIST", load = ae.data.fashion_mnist },
}

local R = {} -- per dataset key: this run's numbers
local mnist_train, mnist_test, mnist_vae, mnist_h
local fashion_train, fashion_test, fashion_vae
for _, ds in ipairs(datasets) do
  L:say(T"\n%s:", ds.name)
  local tr, te = assert(ds.load(limit))
  local classes = ae.i18n.Tlist(te.classes)
  L:say(T"  train %d, test %d images", tr.x:size(1), te.x:size(1))
  local floor = entropy_floor(te.x)
  L:say(T"  the test images' own entropy (the floor of BCE summed over pixels): %.1f nats per image", floor)
  local net = vae()
  local h = train(net, ds.name .. " VAE", F("%s VAE", ds.name), tr.x, te.x, 1)
  local ref = plain()
  local hp = train(ref, ds.name .. " plain autoencoder", F("%s plain autoencoder", ds.name), tr.x, te.x)
  if ds.key == "mnist" then mnist_train, mnist_test, mnist_vae, mnist_h = tr, te, net, h
  else fashion_train, fashion_test, fashion_vae = tr, te, net end

  local mu, codes = net:encode(te.x), ref:encode(te.x)
  local r = { floor = floor, rec = h.val_reconstruction[epochs], kl = h.val_kl[epochs],
    plain = hp.val_loss[epochs], active = h.active_units[epochs],
    gap_vae = 0, gap_plain = 0, ntrain = tr.x:size(1), ntest = te.x:size(1), h = h }
  r.gap_vae, r.worst_vae = gaps(mu)
  r.gap_plain, r.worst_plain = gaps(codes)
  r.spread_vae, r.spread_plain = spread(mu), spread(codes)
  L:say(T"  test codes: VAE μ %s\n              plain %s", describe(r.spread_vae), describe(r.spread_plain))
  R[ds.key] = r
  local k = ds.key .. "_"
  L:metric(k .. "entropy_floor", floor, F("%s: test images' own entropy, nats per image (BCE floor)", ds.name))
  L:metric(k .. "vae_reconstruction", r.rec, F("%s: VAE test reconstruction (BCE, nats per image, decoding μ)", ds.name))
  L:metric(k .. "vae_kl", r.kl, F("%s: VAE test KL, nats per image", ds.name))
  L:metric(k .. "vae_neg_elbo", r.rec + r.kl, F("%s: VAE test reconstruction (decoding μ, slightly optimistic " ..
    "against the ELBO's sampled z) + KL", ds.name))
  L:metric(k .. "plain_reconstruction", r.plain, F("%s: plain 2-D autoencoder test BCE, nats per image", ds.name))
  L:metric(k .. "active_units", r.active, F("%s: VAE latent units with KL above 0.01 nats", ds.name))
  L:metric(k .. "gaps_vae", r.gap_vae, F("%s: VAE μ, standardized: share of a 20×20 normal-quantile grid " ..
    "with no test code within 0.25", ds.name))
  L:metric(k .. "gaps_plain", r.gap_plain, F("%s: plain codes, standardized: the same share", ds.name))
  L:metric(k .. "gap_max_vae", r.worst_vae, F("%s: VAE μ: largest distance from a grid point to a test code", ds.name))
  L:metric(k .. "gap_max_plain", r.worst_plain, F("%s: plain codes: the same largest distance", ds.name))
  L:save()

  L:figure(k .. "latent.png", F("%s: the test images' VAE means μ (left) and the plain autoencoder's 2-D " ..
    "codes (right), coloured by class", ds.name),
    ae.plot.compare(mu, codes, te.y, { out = L:path(k .. "latent.png"), classes = classes, axes = { "μ", T"code" },
      names = { T"VAE: μ of each test image", T"plain autoencoder: its code" },
      title = FN("%s: test set in the 2-D latent space after %d epoch", "%s: test set in the 2-D latent space after " ..
        "%d epochs", epochs, ds.name, epochs) }))
  L:figure(k .. "manifold.png", F("%s: the VAE's decoder on a 20×20 grid of N(0, I)'s quantiles (5%%..95%%)", ds.name),
    ae.plot.manifold(net, { quantiles = true, n = 20, out = L:path(k .. "manifold.png"),
      title = F("%s: decoded latent plane (grid on the normal's quantiles)", ds.name) }))
  L:figure(k .. "samples.png", F("%s: 100 new images, decodings of z drawn from N(0, I)", ds.name),
    ae.plot.samples(net:sample(100), { out = L:path(k .. "samples.png"),
      title = F("%s: 100 samples decoded from z ~ N(0, I)", ds.name) }))
  loss_figure(k .. "loss.png", ds.name, h)

  local means = class_means(mu, te.y)
  -- each walk as class indices; its waypoints are those classes' mean μ
  local routes = ds.key == "mnist" and { { 0, 3, 1 }, { 1, 9, 7 } } or { { 0, 1 }, { 5, 9 } }
  local walks, labels, names = {}, {}, {}
  for w, route in ipairs(routes) do
    walks[w], names[w] = {}, {}
    for j, c in ipairs(route) do
      walks[w][j] = means[c]
      names[w][j] = classes[c + 1]
    end
    labels[w] = table.concat(names[w], " → ")
  end
  L:figure(k .. "walks.png", F("%s: straight walks in the latent plane between class means of μ (%s); the " ..
    "waypoints framed in red and named", ds.name, table.concat(labels, ", ")),
    ae.plot.interpolation(net, { walks = walks, labels = labels, waypoints = names, steps = WALK_STEPS, left = 200,
      out = L:path(k .. "walks.png"), title = F("%s: walks between the classes' mean codes (waypoints framed)", ds.name) }))
end

-- The convolutional VAE on Fashion-MNIST, against the dense one above.
L:say(T"\nThe convolutional VAE (Keras' example) on Fashion-MNIST, %s:", epochs_text(CONV_EPOCHS))
local conv = conv_vae()
local hc = train(conv, "Fashion-MNIST conv VAE", T"Fashion-MNIST conv VAE", fashion_train.x, fashion_test.x, 1, CONV_EPOCHS)
local C
do
  local hd = R.fashion.h
  local function at(h, e) return { rec = h.val_reconstruction[e], kl = h.val_kl[e],
    sps = ae.median(h.samples_per_s), sec = ae.median(h.seconds) } end
  C = { conv = at(hc, CONV_EPOCHS), dense_same = at(hd, CONV_EPOCHS), dense = at(hd, epochs),
    params = conv:param_count(), dense_params = fashion_vae:param_count(), h = hc }
  C.conv.active = hc.active_units[CONV_EPOCHS]
  C.spread = spread(conv:encode(fashion_test.x)) -- where its μ lie, against the prior N(0, I) that samples come from
  L:say(T"  test reconstruction + KL after %s: conv %.1f + %.2f = %.1f, dense %.1f + %.2f = %.1f (dense after %d: %.1f)",
    epochs_text(CONV_EPOCHS), C.conv.rec, C.conv.kl, C.conv.rec + C.conv.kl, C.dense_same.rec, C.dense_same.kl,
    C.dense_same.rec + C.dense_same.kl, epochs, C.dense.rec + C.dense.kl)
  L:metric("fashion_conv_reconstruction", C.conv.rec, T("Fashion-MNIST: conv VAE test reconstruction (BCE summed, " ..
    "nats per image, decoding μ)"))
  L:metric("fashion_conv_kl", C.conv.kl, T"Fashion-MNIST: conv VAE test KL, nats per image")
  L:metric("fashion_conv_neg_elbo", C.conv.rec + C.conv.kl, T"Fashion-MNIST: conv VAE test reconstruction + KL")
  L:metric("fashion_conv_epochs", CONV_EPOCHS, T"Fashion-MNIST: epochs of the conv VAE")
  L:metric("fashion_conv_parameters", C.params, T"Fashion-MNIST: conv VAE parameters")
  L:metric("fashion_conv_samples_per_s", C.conv.sps, T"Fashion-MNIST: conv VAE training samples/s (median epoch)")
  L:metric("fashion_conv_active_units", C.conv.active, T"Fashion-MNIST: conv VAE units with KL above 0.01 nats")
  L:metric("fashion_dense_neg_elbo_at_conv_epochs", C.dense_same.rec + C.dense_same.kl,
    F("Fashion-MNIST: dense VAE test reconstruction + KL after %s (the conv VAE's)", epochs_text(CONV_EPOCHS)))
  L:save()
  local rows = { T"| model | parameters | epochs | test reconstruction | test KL | reconstruction + KL | samples/s |",
    "|---|---:|---:|---:|---:|---:|---:|" }
  local function row(name, p, e, r)
    rows[#rows + 1] = ae.i18n.fmt("| %s | %s | %d | %.1f | %.2f | %.1f | %s |", name, ae.i18n.int(p), e, r.rec, r.kl,
      r.rec + r.kl, ae.i18n.int(math.floor(r.sps)))
  end
  row(T"convolutional (Keras' example)", C.params, CONV_EPOCHS, C.conv)
  row(T"dense 784-256-(2)", C.dense_params, CONV_EPOCHS, C.dense_same)
  if epochs ~= CONV_EPOCHS then row(T"dense 784-256-(2)", C.dense_params, epochs, C.dense) end
  L:section(T"Convolutional against dense VAE on Fashion-MNIST (test set, nats per image)", table.concat(rows, "\n") ..
    "\n\n" .. F("The images' own entropy, the floor of the reconstruction, is %.1f nats per image.", R.fashion.floor))

  local n = math.min(1000, fashion_test.x:size(1)) -- enough points to see the classes, few enough to see the gaps
  local xs, ys = fashion_test.x:narrow(1, 1, n), fashion_test.y:narrow(1, 1, n)
  L:figure("fashion_conv_latent.png", F("Fashion-MNIST: the first %d test images' μ under the dense VAE " ..
    "(%s) and the convolutional one (%s), coloured by class, on the same axes; 36 samples from " ..
    "N(0, I) decoded by each underneath", n, epochs_text(epochs), epochs_text(CONV_EPOCHS)),
    ae.plot.latent_panels({ { name = F("dense VAE, %s", epochs_text(epochs)), z = fashion_vae:encode(xs),
      labels = ys, images = fashion_vae:sample(36) },
      { name = F("convolutional VAE, %s", epochs_text(CONV_EPOCHS)), z = conv:encode(xs), labels = ys,
        images = conv:sample(36) } },
      { out = L:path("fashion_conv_latent.png"), classes = ae.i18n.Tlist(fashion_test.classes), axes = "μ",
        title = T"Fashion-MNIST: μ of test images by class, and samples, dense against convolutional VAE" }))
  local x10 = fashion_test.x:narrow(1, 1, 10)
  L:figure("fashion_conv_reconstructions.png", T("Fashion-MNIST: ten test images, the dense VAE's reconstructions " ..
    "and the convolutional VAE's (both decoding μ)"),
    ae.plot.image_rows({ { T"original", x10 }, { T"dense VAE", fashion_vae:reconstruct(x10) },
      { T"conv VAE", conv:reconstruct(x10) } }, { out = L:path("fashion_conv_reconstructions.png"),
      title = T"Fashion-MNIST: reconstructions through a 2-D latent" }))
  local function sum(h, e_max)
    local t = {}
    for e = 1, e_max do t[e] = h.val_reconstruction[e] + h.val_kl[e] end
    return t
  end
  L:figure("fashion_conv_loss.png", T("Fashion-MNIST: test reconstruction + KL per epoch, dense against " ..
    "convolutional VAE, with the images' own entropy (the floor)"),
    ae.plot.series({ { label = T"dense VAE", y = sum(hd, epochs) }, { label = T"convolutional VAE", y = sum(hc, CONV_EPOCHS) },
      { label = T"floor: the images' own entropy", x = { 1, epochs }, y = { R.fashion.floor, R.fashion.floor } } },
      { out = L:path("fashion_conv_loss.png"), title = T"Fashion-MNIST: test loss (reconstruction + KL) per epoch",
        xlabel = T"epoch", ylabel = T"nats per image", key = "top right", points = epochs <= 20 }))
end

-- β: the KL's weight. β = 1 is the model above; 0.5 and 4 are trained the same way.
L:say(T"\nβ on MNIST: 0.5, 1 (the model above) and 4")
local beta_rows = { T"| β | test reconstruction | test KL | reconstruction + β·KL | reconstruction + KL | active units |",
  "|---:|---:|---:|---:|---:|---:|" }
local B, panels = {}, {}
for _, beta in ipairs(BETAS) do
  local net, h = mnist_vae, mnist_h
  if beta ~= 1 then
    net = vae()
    h = train(net, string.format("MNIST VAE beta %g", beta), F("MNIST VAE beta %g", beta), mnist_train.x, mnist_test.x,
      beta)
  end
  local rec, kl = h.val_reconstruction[epochs], h.val_kl[epochs]
  B[#B + 1] = { beta = beta, rec = rec, kl = kl }
  beta_rows[#beta_rows + 1] = ae.i18n.fmt("| %g | %.1f | %.2f | %.1f | %.1f | %d |", beta, rec, kl, rec + beta * kl,
    rec + kl, h.active_units[epochs])
  L:metric(string.format("beta%g_reconstruction", beta), rec, F("β = %g: MNIST test reconstruction", beta))
  L:metric(string.format("beta%g_kl", beta), kl, F("β = %g: MNIST test KL", beta))
  panels[#panels + 1] = { name = ae.i18n.fmt("β = %g", beta), z = net:encode(mnist_test.x), labels = mnist_test.y,
    images = net:sample(36) }
end
L:figure("beta.png", T("β = 0.5, 1, 4 side by side: the MNIST test set's μ coloured by digit (same axes in every " ..
  "column) above, 36 samples from N(0, I) decoded by that model below"),
  ae.plot.latent_panels(panels, { out = L:path("beta.png"), classes = ae.i18n.Tlist(mnist_test.classes), axes = "μ",
    title = T"MNIST: μ of the test images by digit, and samples, for β = 0.5, 1, 4" }))
L:section(T"β: the reconstruction/KL trade-off on MNIST (test set, nats per image)", table.concat(beta_rows, "\n"))

-- What the figures show, in words.
-- (from this run's spreads: the layout of the codes is not assumed)
local function layout(name, r)
  local v, p = r.spread_vae, r.spread_plain
  local args = { name, p[1].sd, p[2].sd, p[1].mean, p[2].mean, v[1].sd, v[2].sd, v[1].mean, v[2].mean }
  if on_prior(v) then
    return F("on %s the plain codes' standard deviations are (%.1f, %.1f) around (%.1f, %.1f), the " ..
      "VAE's means' (%.1f, %.1f) around (%.1f, %.1f), on the prior's scale", table.unpack(args))
  end
  return F("on %s the plain codes' standard deviations are (%.1f, %.1f) around (%.1f, %.1f), the " ..
    "VAE's means' (%.1f, %.1f) around (%.1f, %.1f), not yet on the prior's scale", table.unpack(args))
end
L:section(T"What the figures show", table.concat({
  F("- `*_latent.png`: left, each test image's mean code μ under the VAE; right, the plain " ..
    "autoencoder's code of the same image, both coloured by class. The plain codes lie wherever its encoder put " ..
    "them, the VAE's are pulled towards N(0, I): %s; %s. Their ranges and the gaps are under \"What the numbers " ..
    "say\".", layout("MNIST", R.mnist), layout("Fashion-MNIST", R.fashion)),
  T("- `*_manifold.png`: the VAE's decoder on a 20×20 grid placed on N(0, I)'s quantiles (5% to 95% on each " ..
  "axis), so every cell holds equal prior mass; neighbouring cells decode nearby z. Cells far from every test " ..
  "image's μ (compare `*_latent.png`) are where the prior draws codes that no real image has."),
  T("- `*_samples.png`: 100 new images, z drawn from N(0, I) and decoded. With a 2-D latent they are blurry: the " ..
  "decoder's output is a mean image for that z."),
  F("- `*_loss.png`: the two parts of the loss on a log scale, train and test. On MNIST the test " ..
    "reconstruction went from %.1f nats at epoch 1 to %.1f at epoch %d while the KL went from %.2f to %.2f " ..
    "(Fashion-MNIST: %.1f → %.1f, KL %.2f → %.2f): the encoder buys information about x with nats of KL.",
    R.mnist.h.val_reconstruction[1], R.mnist.rec, epochs, R.mnist.h.val_kl[1], R.mnist.kl,
    R.fashion.h.val_reconstruction[1], R.fashion.rec, R.fashion.h.val_kl[1], R.fashion.kl),
  F("- `*_walks.png`: decodings along straight lines between the mean μ of each class on the test set (class " ..
  "means, not chosen test images), %d images per leg. Each row is named by its route on the left; " ..
  "the images decoded at the waypoints themselves are framed in red with their class underneath (on MNIST the " ..
  "first, middle and last of a row, on Fashion-MNIST the first and last); the images between them are the walk.",
  WALK_STEPS),
  F("- `fashion_conv_latent.png`: the dense VAE (left) and the convolutional one (right) on Fashion-MNIST: the first " ..
  "%s test images' μ coloured by class on the same axes, and " ..
  "36 samples from N(0, I) decoded by each below. " ..
  "A sample looks like the data only where the prior's draws fall among the codes of real images; compare the " ..
  "spread of each model's μ with N(0, I)'s (most draws within ±2 on each axis).",
  ae.i18n.int(math.min(1000, fashion_test.x:size(1)))),
  T("- `fashion_conv_reconstructions.png`: ten test garments, then what each VAE decodes from their μ: what two " ..
  "numbers per image keep of each garment (the table above gives what they lose, in nats)."),
  T("- `fashion_conv_loss.png`: test reconstruction + KL per epoch of both models, with the images' own entropy as " ..
  "the floor neither can go below."),
  T("- `beta.png`: the same dense model with the KL weighted by β = 0.5, 1, 4, one column each: the test images' μ " ..
  "by digit on the same axes in every column (a larger β pulls the codes closer to the prior), and 36 samples " ..
  "from N(0, I) decoded by that model underneath."),
}, "\n"))

-- Where this lesson departs from the course's settings.
L:section(T"Departures from the course", table.concat({
  F("- Data: %s MNIST training digits (the workbench's subset; the course has 60,000) and %s test " ..
    "digits; Fashion-MNIST %s training and %s test images.", ae.i18n.int(R.mnist.ntrain), ae.i18n.int(R.mnist.ntest),
    ae.i18n.int(R.fashion.ntrain), ae.i18n.int(R.fashion.ntest)),
  epochs == 50 and F("- Epochs: %d (the course's 50).", epochs) or
    quick and F("- Epochs: %d (--quick; the course trains 50).", epochs) or
    F("- Epochs: %d (given on the command line; the course trains 50).", epochs),
  T("- The loss is Keras' VAE example's (BCE summed over pixels + KL); the deck shows no loss. β = 0.5 and 4 " ..
    "are this lesson's own: no deck gives a KL weight."),
  T"- The walks go between the classes' mean μ on the test set; the slides do not say how they chose their ends.",
  F("- The convolutional VAE (Keras' VAE example's model; the course names no convolutional VAE) trains " ..
    "for %s, not 50: it trained at %s samples/s against the dense model's %s in this run (%.0f times slower), " ..
    "and 50 epochs on %s images would take about %s. Keras' example trains it on MNIST with batch " ..
    "128; here it is Fashion-MNIST with the dense model's batch (256) and optimizer, so that only the model " ..
    "differs. Its table compares it with the dense VAE after as many epochs and after all of the dense one's.",
    epochs_text(CONV_EPOCHS), ae.i18n.int(math.floor(C.conv.sps)), ae.i18n.int(math.floor(C.dense.sps)),
    C.dense.sps / C.conv.sps, ae.i18n.int(fashion_train.x:size(1)),
    minutes(50 * fashion_train.x:size(1) / C.conv.sps / 60)),
  T("- The plain autoencoder is this lesson's own reference: the same layers with a linear 2-D code, the same " ..
    "loss without the KL, the same optimizer, batch and epochs."),
}, "\n"))

-- The answer, from this run's numbers. Each sentence is a template whose
-- numbers and clauses come from this run; a choice picks a whole clause.
local m, f = R.mnist, R.fashion
local findings = {}
-- The VAE's holes against the plain codes' on MNIST (a clause), then on
-- Fashion-MNIST (the clause that follows it).
local function holes_first(r)
  return r.gap_vae < r.gap_plain and T"the VAE's means leave fewer holes than the plain codes on MNIST"
    or r.gap_vae > r.gap_plain and T"the VAE's means leave more holes than the plain codes on MNIST"
    or T"the VAE's means leave as many holes as the plain codes on MNIST"
end
local function holes_second(r)
  return r.gap_vae < r.gap_plain and T"fewer on Fashion-MNIST"
    or r.gap_vae > r.gap_plain and T"more on Fashion-MNIST" or T"as many on Fashion-MNIST"
end
findings[#findings + 1] = F("- Gaps: with each axis of the codes scaled to mean 0 and standard deviation " ..
  "1, the share of the 400 points of the manifold's grid (N(0, I)'s quantiles) with no test code within %.2f is, " ..
  "plain against VAE, %.0f%% and %.0f%% on MNIST (farthest grid point %.2f and %.2f from a code), %.0f%% and " ..
  "%.0f%% on Fashion-MNIST (%.2f and %.2f): once scaled, %s and %s.", GAP_RADIUS, 100 * m.gap_plain, 100 * m.gap_vae,
  m.worst_plain, m.worst_vae, 100 * f.gap_plain, 100 * f.gap_vae, f.worst_plain, f.worst_vae, holes_first(m),
  holes_second(f))
for _, d in ipairs { { "MNIST", m }, { "Fashion-MNIST", f } } do
  local name, r = d[1], d[2]
  local v = r.spread_vae
  if on_prior(v) then
    findings[#findings + 1] = F("- Where the codes are, %s: the VAE's means have %s — on the scale of the prior " ..
      "N(0, I) that `sample` draws from; the plain autoencoder's codes have %s, a place and scale its loss says " ..
      "nothing about, so one cannot know where to draw new codes without measuring them first.", name, describe(v),
      describe(r.spread_plain))
  else
    findings[#findings + 1] = F("- Where the codes are, %s: the VAE's means have %s — not yet on the scale of the " ..
      "prior N(0, I) that `sample` draws from (each axis's mean within 1 and spread within 2.5 would be); the plain " ..
      "autoencoder's codes have %s, a place and scale its loss says nothing about, so one cannot know where to draw " ..
      "new codes without measuring them first.", name, describe(v), describe(r.spread_plain))
  end
end
findings[#findings + 1] = m.rec > m.plain and F("- Reconstruction: on MNIST the VAE's test reconstruction (decoding " ..
  "μ) is %.1f nats per image, the plain autoencoder's %.1f: the VAE's is %.1f nats worse; on top of it the VAE pays " ..
  "%.2f nats of KL (loss %.1f). On Fashion-MNIST: %.1f against %.1f, KL %.2f.", m.rec, m.plain,
  math.abs(m.rec - m.plain), m.kl, m.rec + m.kl, f.rec, f.plain, f.kl)
  or F("- Reconstruction: on MNIST the VAE's test reconstruction (decoding μ) is %.1f nats per image, the plain " ..
  "autoencoder's %.1f: the VAE's is %.1f nats better; on top of it the VAE pays %.2f nats of KL (loss %.1f). On " ..
  "Fashion-MNIST: %.1f against %.1f, KL %.2f.", m.rec, m.plain, math.abs(m.rec - m.plain), m.kl, m.rec + m.kl, f.rec,
  f.plain, f.kl)
findings[#findings + 1] = (f.rec - f.floor) < (m.rec - m.floor) and F("- Fashion-MNIST against its floor: its test " ..
  "images' own entropy is %.1f nats per image (MNIST's %.1f), so no model's BCE goes below it. The VAE reaches %.1f " ..
  "on Fashion-MNIST and %.1f on MNIST: %.1f and %.1f nats above each floor. Read against the floors, " ..
  "Fashion-MNIST's %.0f is closer to what is possible than MNIST's, not %.1f times as bad.", f.floor, m.floor, f.rec,
  m.rec, f.rec - f.floor, m.rec - m.floor, f.rec, f.rec / m.rec)
  or F("- Fashion-MNIST against its floor: its test images' own entropy is %.1f nats per image (MNIST's %.1f), so no " ..
  "model's BCE goes below it. The VAE reaches %.1f on Fashion-MNIST and %.1f on MNIST: %.1f and %.1f nats above each " ..
  "floor. Read against the floors, Fashion-MNIST's %.0f is %.1f times MNIST's distance from what is possible, not " ..
  "%.1f times as bad.", f.floor, m.floor, f.rec, m.rec, f.rec - f.floor, m.rec - m.floor, f.rec,
  (f.rec - f.floor) / (m.rec - m.floor), f.rec / m.rec)
do
  local lo, mid, hi = B[1], B[2], B[3]
  local kl_falls = lo.kl > mid.kl and mid.kl > hi.kl
  local first = kl_falls and F("- β: from β = %g to %g to %g the test KL goes %.2f → %.2f → %.2f nats (falling as β " ..
    "grows: the codes pulled closer to the prior) and the reconstruction %.1f → %.1f → %.1f.", lo.beta, mid.beta,
    hi.beta, lo.kl, mid.kl, hi.kl, lo.rec, mid.rec, hi.rec)
    or F("- β: from β = %g to %g to %g the test KL goes %.2f → %.2f → %.2f nats (not falling steadily with β) and " ..
    "the reconstruction %.1f → %.1f → %.1f.", lo.beta, mid.beta, hi.beta, lo.kl, mid.kl, hi.kl, lo.rec, mid.rec, hi.rec)
  -- the larger β against β = 1: less KL, and the reconstruction it buys
  local d, kl = hi.rec - mid.rec, mid.kl - hi.kl
  local larger = math.abs(d) < 1 and F("Against β = 1, β = %g reconstructs within %.1f nats of it for %.2f nats " ..
    "less KL;", hi.beta, math.abs(d), kl)
    or d > 0 and F("Against β = 1, β = %g reconstructs %.1f nats worse for %.2f nats less KL;", hi.beta, d, kl)
    or F("Against β = 1, β = %g reconstructs %.1f nats better for %.2f nats less KL;", hi.beta, -d, kl)
  -- the smaller β against β = 1: more KL
  d, kl = lo.rec - mid.rec, lo.kl - mid.kl
  local smaller = math.abs(d) < 1 and F("β = %g reconstructs within %.1f nats of it for %.2f nats more KL.", lo.beta,
    math.abs(d), kl)
    or d > 0 and F("β = %g reconstructs %.1f nats worse for %.2f nats more KL.", lo.beta, d, kl)
    or F("β = %g reconstructs %.1f nats better for %.2f nats more KL.", lo.beta, -d, kl)
  findings[#findings + 1] = first .. " " .. larger .. " " .. smaller
end
do
  local c, d, ds = C.conv, C.dense, C.dense_same
  local cs, dss, dsum = c.rec + c.kl, ds.rec + ds.kl, d.rec + d.kl
  -- against the dense VAE after all its epochs (when it trained longer): a parenthesis
  local longer = ""
  if epochs ~= CONV_EPOCHS then
    longer = math.abs(cs - dsum) < 0.5 and F(" (and the same as (within %.1f nats) its %.1f after %s)",
      math.abs(cs - dsum), dsum, epochs_text(epochs))
      or cs < dsum and F(" (and %.1f nats lower than its %.1f after %s)", dsum - cs, dsum, epochs_text(epochs))
      or F(" (and %.1f nats higher than its %.1f after %s)", cs - dsum, dsum, epochs_text(epochs))
  end
  local above = (epochs ~= CONV_EPOCHS and dsum or dss) - R.fashion.floor
  local rest = { R.fashion.floor, cs - R.fashion.floor, above, ae.i18n.int(C.params), ae.i18n.int(C.dense_params),
    ae.i18n.int(math.floor(c.sps)), ae.i18n.int(math.floor(ds.sps)) }
  local gap = math.abs(cs - dss)
  -- TRANSLATORS: the three sentences differ only in "the same as / lower than / higher than"; the %s after
  -- "as many epochs" is an optional parenthesis, " (and ... its 190.2 after 3 epochs)", or nothing.
  findings[#findings + 1] = gap < 0.5 and F("- Convolutional against dense on Fashion-MNIST: after %s the " ..
    "convolutional VAE's test reconstruction + KL is %.1f + %.2f = %.1f nats per image, the same as (within %.1f " ..
    "nats) the dense VAE's %.1f after as many epochs%s. Above the floor of %.1f nats that is %.1f against %.1f. The " ..
    "convolutional model has %s parameters against %s and trained at %s samples/s against %s.",
    epochs_text(CONV_EPOCHS), c.rec, c.kl, cs, gap, dss, longer, table.unpack(rest))
    or cs < dss and F("- Convolutional against dense on Fashion-MNIST: after %s the convolutional VAE's test " ..
    "reconstruction + KL is %.1f + %.2f = %.1f nats per image, %.1f nats lower than the dense VAE's %.1f after as " ..
    "many epochs%s. Above the floor of %.1f nats that is %.1f against %.1f. The convolutional model has %s " ..
    "parameters against %s and trained at %s samples/s against %s.", epochs_text(CONV_EPOCHS), c.rec, c.kl, cs, gap,
    dss, longer, table.unpack(rest))
    or F("- Convolutional against dense on Fashion-MNIST: after %s the convolutional VAE's test reconstruction + KL " ..
    "is %.1f + %.2f = %.1f nats per image, %.1f nats higher than the dense VAE's %.1f after as many epochs%s. Above " ..
    "the floor of %.1f nats that is %.1f against %.1f. The convolutional model has %s parameters against %s and " ..
    "trained at %s samples/s against %s.", epochs_text(CONV_EPOCHS), c.rec, c.kl, cs, gap, dss, longer,
    table.unpack(rest))
end
do
  local sp = C.spread
  local narrow = math.min(sp[1].sd, sp[2].sd) < 0.5
  local axis = sp[1].sd < sp[2].sd and 1 or 2
  findings[#findings + 1] = narrow and F("- Where the convolutional VAE's codes are: its μ on the test set have %s. " ..
    "On axis %d they fill only a band of the prior (standard deviation %.2f against the prior's 1), so most draws " ..
    "z ~ N(0, I) land where no test image's μ lies: its samples in `fashion_conv_latent.png` are decoded from there, " ..
    "its reconstructions from the μ of real images. After %s its codes do not cover the prior, and its samples say " ..
    "less about what it learned than its reconstructions.", describe(sp), axis, sp[axis].sd, epochs_text(CONV_EPOCHS))
    or F("- Where the convolutional VAE's codes are: its μ on the test set have %s. They spread over the prior on " ..
    "both axes (standard deviations of 0.5 or more), so its samples come from where its codes are.", describe(sp))
end
local function units(n) return n == 0 and F("0 of %d (posterior collapse: the decoder ignores z)", LATENT)
  or F("%d of %d", n, LATENT) end
findings[#findings + 1] = F("- Active units: %s on MNIST, %s on Fashion-MNIST, %s for the convolutional VAE after %s " ..
  "(a unit is active when its KL is above 0.01 nats).", units(m.active), units(f.active), units(C.conv.active),
  epochs_text(CONV_EPOCHS))
L:say(T"\nWhat the numbers say:\n%s", table.concat(findings, "\n"))
L:section(T"What the numbers say", table.concat(findings, "\n"))
L:metric("epochs", epochs, T"epochs per model")
L:metric("mnist_train_images", R.mnist.ntrain, T"MNIST training images")
L:metric("fashion_train_images", R.fashion.ntrain, T"Fashion-MNIST training images")
-- CPU time, all threads: unlike seconds_total, it does not grow when other
-- work shares the machine (tests hold the quick run to it)
L:metric("cpu_seconds", os.clock(), T"CPU seconds of the whole process, all threads")
L:finish()
