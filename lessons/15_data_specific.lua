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

local L = ae.Lesson.new {
  name = "15_data_specific",
  title = "Lesson 15 — autoencoders are data-specific (MNIST ↔ Fashion-MNIST)",
  question = "An autoencoder trained on digits, shown clothes (and the reverse): how much worse does it\n" ..
    "reconstruct images unlike its training data, and what does it draw instead?",
}

local quick = ae.options.quick
local epochs = quick and 3 or 20
local n_train = quick and 2000 or 8000 -- the same for both (MNIST here has 8,000 training images)
local n_test = quick and 500 or 2000
local code = 32

L:explain("The decks list three properties of autoencoders: they are data-specific (they compress well only data " ..
  "like what they were trained on), lossy, and learned from examples. This lesson checks the first: lesson 01's " ..
  string.format("784-%d-784 autoencoder (ReLU code, sigmoid output, BCE, Adam 1e-3, batch 256, %d epochs) is ", code,
    epochs) ..
  string.format("trained on %d MNIST digits and, separately, on %d Fashion-MNIST images; each is tested on %d ",
    n_train, n_train, n_test) ..
  "test images of both sets.")
L:explain("**Comparing errors across data sets.** BCE per pixel cannot go below the images' own entropy (the BCE of " ..
  "an image against itself), and that floor differs: MNIST is nearly black and white, Fashion-MNIST grey. So the " ..
  "table gives, beside BCE, the excess over the floor of the test set and the mean squared error (MSE), both 0 for " ..
  "a perfect copy; errors compare down a column (the same test images), and the ratio says how much worse the " ..
  "stranger does than the native model.")

local sets = {
  { key = "mnist", name = "MNIST", load = ae.data.mnist },
  { key = "fashion", name = "Fashion-MNIST", load = ae.data.fashion_mnist },
}
for _, s in ipairs(sets) do
  s.train, s.test = assert(s.load { limit = n_train, test_limit = n_test })
  s.floor = ae.bce(s.test.x, s.test.x)
  L:say("%s: %d training, %d test images; its test images' own entropy (the BCE floor) %.4f", s.name,
    s.train.x:size(1), s.test.x:size(1), s.floor)
end

for _, s in ipairs(sets) do
  ae.seed(ae.options.seed)
  s.net = ae.Autoencoder { encoder = { ae.Dense(784, code), ae.ReLU() }, decoder = { ae.Dense(code, 784), ae.Sigmoid() } }
  L:say("\nTraining on %s for %d epochs ...", s.name, epochs)
  s.history = s.net:fit(s.train.x, { epochs = epochs, batch = 256, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 },
    validation = s.test.x, verbose = false })
  L:say("  validation BCE %.4f (%.0f s)", s.history.val_loss[epochs], s.history.total_seconds)
  L:save_model(s.net, "trained on " .. s.key)
end

-- the 2×2 table: model (row) × test set (column)
local err = {}
local rows = { "| trained on ↓ / tested on → | MNIST: BCE | excess over floor | MSE | Fashion-MNIST: BCE | " ..
  "excess over floor | MSE |", "|---|---:|---:|---:|---:|---:|---:|" }
for _, m in ipairs(sets) do
  err[m.key] = {}
  local cells = {}
  for _, t in ipairs(sets) do
    local r = m.net:reconstruct(t.test.x)
    local e = { bce = ae.bce(r, t.test.x), mse = ae.mse(r, t.test.x) }
    e.excess = e.bce - t.floor
    err[m.key][t.key] = e
    cells[#cells + 1] = string.format("%.4f | %.4f | %.4f", e.bce, e.excess, e.mse)
    L:metric(string.format("%s_on_%s_mse", m.key, t.key), e.mse, string.format("model trained on %s, test MSE on %s",
      m.name, t.name))
    L:metric(string.format("%s_on_%s_bce", m.key, t.key), e.bce, string.format("model trained on %s, test BCE on %s",
      m.name, t.name))
  end
  rows[#rows + 1] = string.format("| %s | %s |", m.name, table.concat(cells, " | "))
end
rows[#rows + 1] = string.format("| (floor: the images' own entropy) | %.4f | 0 | 0 | %.4f | 0 | 0 |", sets[1].floor,
  sets[2].floor)
L:section("Test error of each model on each test set", table.concat(rows, "\n"))
L:say("\nTest MSE (rows: trained on; columns: tested on MNIST, Fashion-MNIST):")
for _, m in ipairs(sets) do
  L:say("  %-14s %.4f  %.4f", m.name, err[m.key].mnist.mse, err[m.key].fashion.mse)
end

L:say("\nFigures:")
for _, t in ipairs(sets) do
  local sample = t.test.x:narrow(1, 1, 10)
  L:figure(t.key .. "_tested.png", string.format("%s test images, reconstructed by the model trained on MNIST and by " ..
    "the one trained on Fashion-MNIST", t.name),
    ae.plot.image_rows({ { "original", sample }, { "MNIST model", sets[1].net:reconstruct(sample) },
      { "Fashion model", sets[2].net:reconstruct(sample) } },
      { out = L:path(t.key .. "_tested.png"), left = 150, title = t.name .. " test images through both autoencoders" }))
end
L:figure("loss.png", "Training and validation loss of both models (each validated on its own kind of image)",
  ae.plot.history({ { label = "MNIST", history = sets[1].history }, { label = "Fashion-MNIST", history = sets[2].history } },
    { out = L:path("loss.png"), title = "784-32-784 on each data set", ylabel = "binary cross-entropy per pixel" }))

local mm, mf, fm, ff = err.mnist.mnist, err.mnist.fashion, err.fashion.mnist, err.fashion.fashion
local say = {
  string.format("- On digits, the model trained on clothes has a test MSE of %.4f, %.1f× the digit model's %.4f " ..
    "(excess BCE over the floor %.4f against %.4f).", fm.mse, fm.mse / mm.mse, mm.mse, fm.excess, mm.excess),
  string.format("- On clothes, the model trained on digits has a test MSE of %.4f, %.1f× the clothes model's %.4f " ..
    "(excess BCE %.4f against %.4f).", mf.mse, mf.mse / ff.mse, ff.mse, mf.excess, ff.excess),
  string.format("- %s The figures below show what each model draws instead: compare, for each test image, whether " ..
    "the stranger keeps its shape or pulls it toward %s.",
    (fm.mse / mm.mse > 1.2 and mf.mse / ff.mse > 1.2) and
    "Both ways the stranger does worse: the 32 numbers of the code describe the training data's kind of image, as " ..
    "the decks say." or
    string.format("The penalty is not the same both ways (%.1f× and %.1f×): a model trained on the richer images " ..
      "can carry over more.", fm.mse / mm.mse, mf.mse / ff.mse),
    "its own kind of image (digit-like blobs where the digit model is shown clothes, garment-like shapes — a shirt, " ..
    "a pair of trousers — where the clothes model is shown digits)"),
}
L:section("What the numbers say", table.concat(say, "\n"))
L:say("\nWhat the numbers say:\n%s", table.concat(say, "\n"))
L:metric("epochs", epochs, "epochs per model")
L:metric("val_loss", mm.bce, "test BCE of the MNIST model on MNIST")
L:finish()
