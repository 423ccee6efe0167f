-- Lesson 15 — autoencoders are data-specific.
--
-- Question: the decks say an autoencoder "compresses only data like its
-- training data" and is "bad for other inputs". The same 784-32-784
-- autoencoder (lesson 01's) is trained once on MNIST digits and once on
-- Fashion-MNIST clothes, and each is tested on both test sets: how much worse
-- is it on the other kind of image, and what does it make of it?
--
--   ./aelab lessons/15_data_specific.lua          (about a minute)
--   ./aelab --quick lessons/15_data_specific.lua  (seconds)
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt).
local T, F = ae.i18n.T, ae.i18n.F

local L = ae.Lesson.new {
  name = "15_data_specific",
  title = T"Lesson 15 — autoencoders are data-specific (MNIST ↔ Fashion-MNIST)",
  question = T("An autoencoder trained on digits, shown clothes (and the reverse): how much worse does it\n" ..
    "reconstruct images unlike its training data, and what does it draw instead?"),
}

local quick = ae.options.quick
local epochs = quick and 3 or 20
local n_train = quick and 2000 or 8000 -- the same for both (MNIST here has 8,000 training images)
local n_test = quick and 500 or 2000
local code = 32

L:explain(F("The decks list three properties of autoencoders: they are data-specific (they compress well only data " ..
  "like what they were trained on), lossy, and learned from examples. This lesson checks the first: lesson 01's " ..
  "784-%d-784 autoencoder (ReLU code, sigmoid output, BCE, Adam 1e-3, batch 256, %d epochs) is " ..
  "trained on %d MNIST digits and, separately, on %d Fashion-MNIST images; each is tested on %d " ..
  "test images of both sets.", code, epochs, n_train, n_train, n_test))
L:explain(T("**Comparing errors across data sets.** BCE per pixel cannot go below the images' own entropy (the BCE of " ..
  "an image against itself), and that floor differs: MNIST is nearly black and white, Fashion-MNIST grey. So the " ..
  "table gives, beside BCE, the excess over the floor of the test set and the mean squared error (MSE), both 0 for " ..
  "a perfect copy; errors compare down a column (the same test images), and the ratio says how much worse the " ..
  "stranger does than the native model."))

local sets = {
  { key = "mnist", name = "MNIST", load = ae.data.mnist },
  { key = "fashion", name = "Fashion-MNIST", load = ae.data.fashion_mnist },
}
for _, s in ipairs(sets) do
  s.train, s.test = assert(s.load { limit = n_train, test_limit = n_test })
  s.floor = ae.bce(s.test.x, s.test.x)
  L:say(T"%s: %d training, %d test images; its test images' own entropy (the BCE floor) %.4f", s.name,
    s.train.x:size(1), s.test.x:size(1), s.floor)
end

for _, s in ipairs(sets) do
  ae.seed(ae.options.seed)
  s.net = ae.Autoencoder { encoder = { ae.Dense(784, code), ae.ReLU() }, decoder = { ae.Dense(code, 784), ae.Sigmoid() } }
  L:say(T"\nTraining on %s for %d epochs ...", s.name, epochs)
  s.history = s.net:fit(s.train.x, { epochs = epochs, batch = 256, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 },
    validation = s.test.x, verbose = false })
  L:say(T"  validation BCE %.4f (%.0f s)", s.history.val_loss[epochs], s.history.total_seconds)
  L:save_model(s.net, "trained on " .. s.key, F("784-%d-784 autoencoder trained on %s", code, s.name))
end

-- the 2×2 table: model (row) × test set (column)
local err = {}
local rows = { T("| trained on ↓ / tested on → | MNIST: BCE | excess over floor | MSE | Fashion-MNIST: BCE | " ..
  "excess over floor | MSE |"), "|---|---:|---:|---:|---:|---:|---:|" }
for _, m in ipairs(sets) do
  err[m.key] = {}
  local cells = {}
  for _, t in ipairs(sets) do
    local r = m.net:reconstruct(t.test.x)
    local e = { bce = ae.bce(r, t.test.x), mse = ae.mse(r, t.test.x) }
    e.excess = e.bce - t.floor
    err[m.key][t.key] = e
    cells[#cells + 1] = ae.i18n.fmt("%.4f | %.4f | %.4f", e.bce, e.excess, e.mse)
    L:metric(string.format("%s_on_%s_mse", m.key, t.key), e.mse, F("model trained on %s, test MSE on %s",
      m.name, t.name))
    L:metric(string.format("%s_on_%s_bce", m.key, t.key), e.bce, F("model trained on %s, test BCE on %s",
      m.name, t.name))
  end
  rows[#rows + 1] = string.format("| %s | %s |", m.name, table.concat(cells, " | "))
end
rows[#rows + 1] = F("| (floor: the images' own entropy) | %.4f | 0 | 0 | %.4f | 0 | 0 |", sets[1].floor,
  sets[2].floor)
L:section(T"Test error of each model on each test set", table.concat(rows, "\n"))
L:say(T"\nTest MSE (rows: trained on; columns: tested on MNIST, Fashion-MNIST):")
for _, m in ipairs(sets) do
  -- numbers only: the language's decimal sign, no words to translate
  L:say(ae.i18n.fmt("  %-14s %.4f  %.4f", m.name, err[m.key].mnist.mse, err[m.key].fashion.mse))
end

L:say(T"\nFigures:")
for _, t in ipairs(sets) do
  local sample = t.test.x:narrow(1, 1, 10)
  L:figure(t.key .. "_tested.png", F("%s test images, reconstructed by the model trained on MNIST and by " ..
    "the one trained on Fashion-MNIST", t.name),
    ae.plot.image_rows({ { T"original", sample }, { T"MNIST model", sets[1].net:reconstruct(sample) },
      { T"Fashion model", sets[2].net:reconstruct(sample) } },
      { out = L:path(t.key .. "_tested.png"), left = 150, title = F("%s test images through both autoencoders", t.name) }))
end
L:figure("loss.png", T"Training and validation loss of both models (each validated on its own kind of image)",
  ae.plot.history({ { label = "MNIST", history = sets[1].history }, { label = "Fashion-MNIST", history = sets[2].history } },
    { out = L:path("loss.png"), title = T"784-32-784 on each data set", ylabel = T"binary cross-entropy per pixel" }))

-- Whether a stranger keeps the input's shape or draws its own kind: the mean
-- correlation, over test images, of each reconstruction with its input and
-- with the mean image of the model's training set (the input's own
-- correlation with that mean image beside it, as the baseline).
local function corr(a, b)
  local n, sa, sb = #a, 0, 0
  for i = 1, n do sa, sb = sa + a[i], sb + b[i] end
  local ma, mb, sab, saa, sbb = sa / n, sb / n, 0, 0, 0
  for i = 1, n do
    local da, db = a[i] - ma, b[i] - mb
    sab, saa, sbb = sab + da * db, saa + da * da, sbb + db * db
  end
  return (saa > 0 and sbb > 0) and sab / math.sqrt(saa * sbb) or 0
end
local n_corr = math.min(200, n_test)
for _, m in ipairs(sets) do m.mean_image = m.train.x:mean(true):reshape(784):totable() end
local pull = {}
for _, m in ipairs(sets) do
  pull[m.key] = {}
  for _, t in ipairs(sets) do
    local x = t.test.x:narrow(1, 1, n_corr)
    local r = m.net:reconstruct(x)
    local c = { input = 0, own = 0, base = 0 }
    for i = 1, n_corr do
      local xi, ri = x:narrow(1, i, 1):reshape(784):totable(), r:narrow(1, i, 1):reshape(784):totable()
      c.input = c.input + corr(ri, xi) / n_corr
      c.own = c.own + corr(ri, m.mean_image) / n_corr
      c.base = c.base + corr(xi, m.mean_image) / n_corr
    end
    pull[m.key][t.key] = c
    L:metric(string.format("%s_on_%s_corr_input", m.key, t.key), c.input, F("mean correlation of the " ..
      "%s model's reconstructions of %s test images with the images", m.name, t.name))
    L:metric(string.format("%s_on_%s_corr_own_mean", m.key, t.key), c.own, F("mean correlation of the " ..
      "%s model's reconstructions of %s test images with the mean %s training image", m.name, t.name, m.name))
  end
end

local mm, mf, fm, ff = err.mnist.mnist, err.mnist.fashion, err.fashion.mnist, err.fashion.fashion
-- one sentence per stranger, from its correlations
local function drawn(m, t)
  local c, native = pull[m.key][t.key], pull[t.key][t.key]
  local toward = c.own - c.base
  local args = { t.name, m.name, c.input, t.name, native.input, m.name, c.own, c.base }
  -- three whole clauses, one per verdict
  if toward > 0.1 then
    return F("shown %s, the %s model's reconstructions correlate with the images at r = %.2f (the %s " ..
      "model's at %.2f) and with the mean %s training image at %.2f, where the images themselves correlate with " ..
      "that mean at %.2f: it pulls them toward its own kind of image", table.unpack(args))
  elseif toward < -0.1 then
    return F("shown %s, the %s model's reconstructions correlate with the images at r = %.2f (the %s " ..
      "model's at %.2f) and with the mean %s training image at %.2f, where the images themselves correlate with " ..
      "that mean at %.2f: it does not pull them toward its own kind of image", table.unpack(args))
  end
  return F("shown %s, the %s model's reconstructions correlate with the images at r = %.2f (the %s " ..
    "model's at %.2f) and with the mean %s training image at %.2f, where the images themselves correlate with " ..
    "that mean at %.2f: little pull toward its own kind of image either way", table.unpack(args))
end
local say = {
  F("- On digits, the model trained on clothes has a test MSE of %.4f, %.1f× the digit model's %.4f " ..
    "(excess BCE over the floor %.4f against %.4f).", fm.mse, fm.mse / mm.mse, mm.mse, fm.excess, mm.excess),
  F("- On clothes, the model trained on digits has a test MSE of %.4f, %.1f× the clothes model's %.4f " ..
    "(excess BCE %.4f against %.4f).", mf.mse, mf.mse / ff.mse, ff.mse, mf.excess, ff.excess),
  (fm.mse / mm.mse > 1.2 and mf.mse / ff.mse > 1.2) and
    F"- Both ways the stranger does worse (by more than 20%% in MSE), as the decks say an autoencoder is data-specific." or
    F("- The stranger's penalty is not the same both ways (%.1f× on digits, %.1f× on clothes; above " ..
      "1.2× counts here as clearly worse): %s.", fm.mse / mm.mse, mf.mse / ff.mse,
      (fm.mse / mm.mse > 1.2) and T"only on digits is the clothes model clearly worse" or
      (mf.mse / ff.mse > 1.2) and T"only on clothes is the digit model clearly worse" or
      T"neither stranger is clearly worse in this run"),
  F("- What each stranger draws (figures below; correlations over the first %d test images): %s; %s.", n_corr,
    drawn(sets[2], sets[1]), drawn(sets[1], sets[2])),
}
L:section(T"What the numbers say", table.concat(say, "\n"))
L:say(T"\nWhat the numbers say:\n%s", table.concat(say, "\n"))
L:metric("epochs", epochs, T"epochs per model")
L:metric("val_loss", mm.bce, T"test BCE of the MNIST model on MNIST")
L:finish()
