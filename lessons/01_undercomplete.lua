-- Lesson 01 — an undercomplete autoencoder.
--
-- Question: how much of a 28×28 image survives when it must pass through a
-- code of only 32 numbers? A dense 784-32-784 autoencoder (ReLU code, sigmoid
-- output) learns to copy Fashion-MNIST images through that bottleneck,
-- trained with binary cross-entropy and Adam, as in the Keras tutorial.
--
--   ./aelab lessons/01_undercomplete.lua [epochs]      (default 20 epochs)
--   ./aelab --quick lessons/01_undercomplete.lua       (a few seconds)
local ae = require "aelab"
-- Messages in the chosen language (--lang es|pt|en; README "Languages"):
-- T"text" translates, F(fmt, ...) translates and formats with the
-- language's decimal sign, L:say(T"fmt", ...) does the same when it prints.
local T, F = ae.i18n.T, ae.i18n.F

local L = ae.Lesson.new {
  name = "01_undercomplete",
  title = T"Lesson 01 — an undercomplete autoencoder (784 → 32 → 784)",
  question = T("How much of an image survives a 32-number bottleneck? The code is 24.5 times\n" ..
    "smaller than the image, so the network must learn what matters in clothing pictures."),
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 3 or 20)
local code_size, batch = 32, 256

L:explain(T("An autoencoder is trained to copy its input to its output through a code h: an encoder h = f(x), a " ..
  "decoder r = g(h), trained to minimize L(x, g(f(x))) — here binary cross-entropy, as the pixels lie in [0, 1]. " ..
  "It is self-supervised: the labels are the inputs. Copying is useless unless constrained; this one is " ..
  "undercomplete, its code (32 numbers) far smaller than the image (784), so it must keep what matters. The model " ..
  "is the course's first exercise, the Keras tutorial's 784 → 32 (ReLU) → 784 (sigmoid), trained with Adam; the " ..
  "course ran it on MNIST, this lesson on Fashion-MNIST (lesson 04 and lesson 15 use both)."))
L:explain(T("**Reading the loss.** BCE per pixel cannot reach 0 on grey images: its floor is the pixels' own entropy, " ..
  "−p log p − (1−p) log(1−p), the BCE of each image against itself. What the model loses is the distance above " ..
  "that floor."))

L:say(T"Loading Fashion-MNIST (Debian package dataset-fashion-mnist)...")
local train, test = assert(ae.data.fashion_mnist(quick and { limit = 6000, test_limit = 1000 } or nil))
L:say(T"  train %s, test %s, pixels scaled to [0, 1]", train.x:size(1), test.x:size(1))

local net = ae.Autoencoder {
  encoder = { ae.Dense(784, code_size), ae.ReLU() },
  decoder = { ae.Dense(code_size, 784), ae.Sigmoid() },
}
net:compile { loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 } }
L:say(T"\nThe model (Glorot-uniform weights, zero biases; Adam lr 1e-3; batch %d; BCE):", batch)
L:say(tostring(net))

L:say(T"\nTraining for %d epochs; the loss is binary cross-entropy per pixel.", epochs)
local history = net:fit(train.x, { epochs = epochs, batch = batch, validation = test.x })

local last = history.epochs
local median_rate = ae.median(history.samples_per_s)
-- The floor: no model can beat the pixels' own entropy, −p·log p − (1−p)·log(1−p),
-- which is the BCE of the images against themselves.
local floor = ae.bce(test.x, test.x)
L:say(T"\nAfter %d epochs: train loss %.4f, validation loss %.4f (the pixels' own entropy, %.3f, is the floor).",
  last, history.loss[last], history.val_loss[last], floor)

-- The numbers first: report.md and metrics.json are on disk before any figure is drawn.
local dataset_bytes = (train.x:numel() + test.x:numel() + train.y:numel() + test.y:numel()) * 4
local params = net:param_count()
L:metric("train_loss", history.loss[last], T"final training loss (BCE per pixel)")
L:metric("val_loss", history.val_loss[last], T"final validation loss (BCE per pixel)")
L:metric("entropy_floor", floor, T"pixel entropy of the test set (no model goes below)")
L:metric("epochs", last, T"epochs")
L:metric("seconds", history.total_seconds, T"training seconds (with validation)")
L:metric("samples_per_s", median_rate, T"training samples per second (median over epochs)")
L:metric("parameters", params, T"trainable parameters")
L:metric("train_samples", train.x:size(1), T"training images")
L:metric("dataset_bytes", dataset_bytes, T"bytes of data in memory (float32)")
L:metric("model_bytes", params * 4 * 4, T"bytes of model: weights, gradients, two Adam moments")
L:metric("peak_rss_bytes", ae.peak_rss(), T"peak resident memory of the process")
local rows = { T"| epoch | train loss | validation loss | samples/s |", "|---:|---:|---:|---:|" }
for e = 1, last do
  rows[#rows + 1] = ae.i18n.fmt("| %d | %.4f | %.4f | %s |", e, history.loss[e], history.val_loss[e],
    ae.i18n.int(history.samples_per_s[e] // 1))
end
L:section(T"Training by epoch", table.concat(rows, "\n"))
L:save()
L:save_model(net, "autoencoder", T"784-32-784 autoencoder on Fashion-MNIST")
L:say(T"\nFigures:")
L:figure("loss.png", T"Training and validation loss (BCE per pixel) by epoch",
  ae.plot.history(history, { out = L:path("loss.png"), title = T"784-32-784 autoencoder on Fashion-MNIST",
    ylabel = T"binary cross-entropy per pixel" }))
L:figure("reconstructions.png", T"Ten test images (top) and their reconstructions from 32 numbers (bottom)",
  ae.plot.reconstructions(test.x, net, { out = L:path("reconstructions.png"), n = 10,
    title = T"Test images and their reconstructions" }))
local codes = net:encode(test.x)
L:figure("latent.png", T"The 32-number codes of the test images, projected on their two principal directions, coloured by class",
  ae.plot.latent(codes, test.y, { out = L:path("latent.png"), classes = ae.i18n.Tlist(test.classes),
    title = T"Codes of the test set (first two principal directions)" }))

local gap = history.val_loss[last] - history.loss[last]
-- Each sentence is a template whose numbers and clauses come from this run.
local fell = last > 1 and history.val_loss[last - 1] - history.val_loss[last] or 0
local say = {
  F("- After %d epochs the validation BCE is %.4f, %.4f above the floor of %.4f (the images' own " ..
    "entropy): the 32-number code keeps most but not all of each image.", last, history.val_loss[last],
    history.val_loss[last] - floor, floor),
  gap >= 0 and F("- The validation loss exceeds the training loss by %.4f: %s.", gap,
    gap < 0.005 and F("no sign of overfitting with %s parameters and this many images", ae.i18n.int(params)) or
    T"the model has begun to fit its training images better than new ones")
  or F("- The validation loss is below the training loss by %.4f: %s.", -gap,
    -gap < 0.005 and F("no sign of overfitting with %s parameters and this many images", ae.i18n.int(params)) or
    T"the training loss is averaged over an epoch while the weights improved, so it trails"),
  last > 1 and fell > 0.001 and F("- In the last epoch the validation loss fell by %.4f — more epochs would still help.", fell)
    or F("- In the last epoch the validation loss fell by %.4f — training has nearly levelled off.", fell),
  T("- The reconstructions (figure below) keep each garment's outline and overall brightness and lose fine texture " ..
    "and print: that is what 32 numbers can carry."),
}
L:section(T"What the numbers say", table.concat(say, "\n"))
L:say(T"\nWhat the numbers say:\n%s", table.concat(say, "\n"))

L:finish()
