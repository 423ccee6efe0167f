-- Lesson 02 — a linear autoencoder against PCA.
--
-- Question: an autoencoder with no activations, trained with the squared
-- error, can only find a linear subspace. Is it PCA's subspace? And what
-- does a non-linear (ReLU) encoder buy over it?
--
--   ./aelab lessons/02_linear_vs_pca.lua        (about a minute)
--   ./aelab --quick lessons/02_linear_vs_pca.lua
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt), FN picks a plural.
local T, F, FN, num = ae.i18n.T, ae.i18n.F, ae.i18n.FN, ae.i18n.num

local L = ae.Lesson.new {
  name = "02_linear_vs_pca",
  title = T"Lesson 02 — a linear autoencoder against PCA",
  question = T("A linear autoencoder trained with MSE spans the same subspace as PCA (the theory says so).\n" ..
    "Does it, in practice, and how far does a non-linear encoder go beyond it?"),
}

local quick = ae.options.quick
local epochs = quick and 3 or 30

L:explain(T("The course: with linear activations and the squared error, an undercomplete autoencoder spans the same " ..
  "subspace as PCA (Pearson, 1901); non-linear activations go beyond PCA. PCA's k components give the smallest " ..
  "squared error any k-dimensional linear projection can reach, so a linear autoencoder can at best match it. " ..
  "Matching the error is not the same as finding the same axes: the autoencoder's code may be any invertible mix " ..
  "of PCA's components, so the lesson compares subspaces by their principal angles (0° everywhere: the same " ..
  "subspace). The exercise of the course (2): PCA and an autoencoder on the same data, both 2-D reductions on the " ..
  "same canvas.") .. " " .. FN("Fashion-MNIST, codes of 2 and 32, MSE, Adam 1e-3, batch 256, %d epoch.",
  "Fashion-MNIST, codes of 2 and 32, MSE, Adam 1e-3, batch 256, %d epochs.", epochs, epochs))
local train, test = assert(ae.data.fashion_mnist(quick and { limit = 4000, test_limit = 1000 } or nil))
L:say(T"Fashion-MNIST: train %d, test %d images of 784 pixels.", train.x:size(1), test.x:size(1))

local mse = ae.mse -- per pixel of a reconstruction

local function linear_ae(k)
  return ae.Autoencoder { encoder = { ae.Dense(784, k) }, decoder = { ae.Dense(k, 784) } }
end

local function relu_ae(k)
  return ae.Autoencoder {
    encoder = { ae.Dense(784, 256), ae.ReLU(), ae.Dense(256, k) },
    decoder = { ae.Dense(k, 256), ae.ReLU(), ae.Dense(256, 784), ae.Sigmoid() },
  }
end

local results, rows_md = {}, { T"| code size | model | test MSE per pixel | training seconds |", "|---:|---|---:|---:|" }
local angle_series = {}
local curves = {}
local sample = test.x:narrow(1, 1, 10)
local recon_rows = { { T"original", sample } }

for _, k in ipairs { 2, 32 } do
  L:say(T"\n— code size %d —", k)
  local t0 = ae.clock()
  local pca = ae.PCA(train.x, k)
  local pca_seconds = ae.clock() - t0
  local pca_test = mse(pca:inverse_transform(pca:transform(test.x)), test.x)
  L:say(T"PCA with %d components: %.1f%% of the variance, test MSE %.5f (fit in %.2f s)", k,
    100 * pca:explained_variance_ratio():sum(), pca_test, pca_seconds)

  local lin = linear_ae(k)
  lin:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 1e-3 } }
  L:say(T"Linear autoencoder 784-%d-784 (no activations, MSE, Adam 1e-3, batch 256, %d epochs):", k, epochs)
  local h = lin:fit(train.x, { epochs = epochs, batch = 256, validation = test.x, summary_every = 10 })
  local lin_test = lin:loss(test.x)
  L:save_model(lin, "linear k" .. k, F("linear autoencoder 784-%d-784", k))
  -- the decoder's weight is 784×k: its columns span the reconstructions
  local layers = lin:layers()
  local W = layers[2]:parameters()[1]
  local angles = ae.linalg.principal_angles(W, pca:components():t())
  L:say(T"  test MSE %.5f (PCA: %.5f, %.2f%% above the optimum)", lin_test, pca_test, 100 * (lin_test / pca_test - 1))
  L:say(T"  principal angles between its decoder's column space and PCA's subspace: smallest %.2f°, median %.2f°, largest %.2f°",
    angles[1], angles[(#angles + 1) // 2], angles[#angles])
  if angles[#angles] > 10 then
    L:say(T("  (the large angles belong to PCA directions whose variances are nearly equal: mixing them\n" ..
      "   hardly changes the error, so gradient descent has little reason to sort them out)"))
  end
  angle_series[#angle_series + 1] = { label = F("code size %d", k), y = angles }

  local nl = relu_ae(k)
  nl:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 1e-3 } }
  L:say(T"Non-linear autoencoder 784-256-%d-256-784 (ReLU, sigmoid output, MSE):", k)
  local hn = nl:fit(train.x, { epochs = epochs, batch = 256, validation = test.x, summary_every = 10 })
  local nl_test = nl:loss(test.x)
  L:save_model(nl, "relu k" .. k, F("ReLU autoencoder 784-256-%d-256-784", k))
  L:say(nl_test < pca_test and T"  test MSE %.5f: %.1f%% lower than PCA" or T"  test MSE %.5f: %.1f%% higher than PCA",
    nl_test, math.abs(100 * (1 - nl_test / pca_test)))

  curves[#curves + 1] = { label = F("linear, k=%d", k), history = h }
  curves[#curves + 1] = { label = F("ReLU, k=%d", k), history = hn }
  rows_md[#rows_md + 1] = F("| %d | PCA | %.5f | %.2f |", k, pca_test, pca_seconds)
  rows_md[#rows_md + 1] = F("| %d | linear AE | %.5f | %.1f |", k, lin_test, h.total_seconds)
  rows_md[#rows_md + 1] = F("| %d | ReLU AE | %.5f | %.1f |", k, nl_test, hn.total_seconds)
  recon_rows[#recon_rows + 1] = { F("PCA, k=%d", k), pca:inverse_transform(pca:transform(sample)) }
  recon_rows[#recon_rows + 1] = { F("linear AE, k=%d", k), lin:reconstruct(sample) }
  recon_rows[#recon_rows + 1] = { F("ReLU AE, k=%d", k), nl:reconstruct(sample) }
  results[k] = { pca = pca, lin = lin, nl = nl, pca_test = pca_test, lin_test = lin_test, nl_test = nl_test,
    angles = angles }
  L:metric("pca_mse_k" .. k, pca_test, F("PCA test MSE per pixel, %d components", k))
  L:metric("linear_mse_k" .. k, lin_test, F("linear AE test MSE per pixel, code %d", k))
  L:metric("relu_mse_k" .. k, nl_test, F("ReLU AE test MSE per pixel, code %d", k))
  L:metric("max_angle_k" .. k, angles[#angles], F("largest principal angle (degrees), code %d", k))
  L:metric("median_angle_k" .. k, angles[(#angles + 1) // 2], F("median principal angle (degrees), code %d", k))
end

L:say(T"\nFigures:")
local r2 = results[2]
-- the axes' "PC 1", "code 1": the plots' own words (po/<lang>.po)
local axes = { T"PC", T"code" }
local classes = ae.i18n.Tlist(test.classes)
L:figure("pca_vs_linear.png", T"PCA's 2-D projection and the linear autoencoder's 2-D codes of the test set, side by side",
  ae.plot.compare(r2.pca:transform(test.x), r2.lin:encode(test.x), test.y, { out = L:path("pca_vs_linear.png"),
    names = { T"PCA, 2 components", T"linear autoencoder, code of 2" }, axes = axes, classes = classes,
    title = T"Fashion-MNIST test set: PCA against a linear autoencoder" }))
L:figure("pca_vs_relu.png", T"PCA's 2-D projection and the ReLU autoencoder's 2-D codes, side by side",
  ae.plot.compare(r2.pca:transform(test.x), r2.nl:encode(test.x), test.y, { out = L:path("pca_vs_relu.png"),
    names = { T"PCA, 2 components", T"ReLU autoencoder, code of 2" }, axes = axes, classes = classes,
    title = T"Fashion-MNIST test set: PCA against a non-linear autoencoder" }))
L:figure("angles.png", T"Principal angles between the linear autoencoder's decoder subspace and PCA's",
  ae.plot.series(angle_series, { out = L:path("angles.png"), xlabel = T"principal angle number",
    ylabel = T"angle (degrees)", title = T"How far the linear autoencoder's subspace is from PCA's" }))
L:figure("reconstructions.png", T"Test images reconstructed by PCA, the linear and the ReLU autoencoder, with codes of 2 and 32",
  ae.plot.image_rows(recon_rows, { out = L:path("reconstructions.png"), left = 160,
    title = T"Reconstructions: PCA, linear AE, ReLU AE" }))
L:figure("loss.png", T"Validation and training MSE of the four autoencoders",
  ae.plot.history(curves, { out = L:path("loss.png"), title = T"Autoencoders trained with MSE", ylabel = T"MSE per pixel",
    logscale = true }))
L:section(T"Test reconstruction error", table.concat(rows_md, "\n"))
local arows = { T"| code size | angles (degrees, smallest to largest) |", "|---:|---|" }
for _, k in ipairs { 2, 32 } do
  local t = {}
  for i, a in ipairs(results[k].angles) do t[i] = num(a, "%.1f") end
  -- "; " between the angles: a decimal comma would make ", " ambiguous
  arows[#arows + 1] = string.format("| %d | %s |", k, table.concat(t, ae.i18n.decimal == "," and "; " or ", "))
end
L:section(T"Principal angles between the subspaces", table.concat(arows, "\n"))
-- Each sentence is a template; its numbers and clauses come from this run.
local say = {}
for _, k in ipairs { 2, 32 } do
  local r = results[k]
  local a = r.angles
  local how = a[#a] < 5 and T"is nearly PCA's" or a[(#a + 1) // 2] < 10 and T"is mostly, but not wholly, PCA's" or
    T"is not yet PCA's"
  local lower = F("- Code of %d: PCA's test MSE is %.5f; the linear autoencoder's %.5f (%.2f%% above), the ReLU " ..
    "autoencoder's %.5f (%.1f%% lower than PCA). The linear autoencoder's subspace %s: principal angles " ..
    "from %.1f° to %.1f°, median %.1f°.", k, r.pca_test, r.lin_test, 100 * (r.lin_test / r.pca_test - 1),
    r.nl_test, math.abs(100 * (1 - r.nl_test / r.pca_test)), how, a[1], a[#a], a[(#a + 1) // 2])
  local higher = F("- Code of %d: PCA's test MSE is %.5f; the linear autoencoder's %.5f (%.2f%% above), the ReLU " ..
    "autoencoder's %.5f (%.1f%% higher than PCA). The linear autoencoder's subspace %s: principal angles " ..
    "from %.1f° to %.1f°, median %.1f°.", k, r.pca_test, r.lin_test, 100 * (r.lin_test / r.pca_test - 1),
    r.nl_test, math.abs(100 * (1 - r.nl_test / r.pca_test)), how, a[1], a[#a], a[(#a + 1) // 2])
  say[#say + 1] = r.nl_test < r.pca_test and lower or higher
end
local lin_above = results[2].lin_test >= results[2].pca_test * 0.999 and results[32].lin_test >= results[32].pca_test * 0.999
local nl_verdict = (results[2].nl_test < results[2].pca_test and results[32].nl_test < results[32].pca_test) and
    T"beats PCA at both code sizes" or results[2].nl_test < results[2].pca_test and
    T"beats PCA with a code of 2, where a curved map helps most, but not with 32" or
    T"does not beat PCA in this run (it needs more training than a linear map)"
say[#say + 1] = lin_above and
  F("- So the theory holds as far as %d epochs of Adam get: the linear autoencoder approaches PCA's error from " ..
    "above and never beats it; the non-linear one %s.", epochs, nl_verdict) or
  F("- So the theory holds as far as %d epochs of Adam get: the linear autoencoder approaches PCA's error from " ..
    "above and never beats it (it is slightly below here: PCA's error is the optimum on the training set, not on " ..
    "the test set); the non-linear one %s.", epochs, nl_verdict)
L:section(T"What the numbers say", table.concat(say, "\n"))
L:say(T"\nWhat the numbers say:\n%s", table.concat(say, "\n"))
L:metric("epochs", epochs, T"epochs per autoencoder")
L:metric("val_loss", results[32].lin_test, T"test MSE per pixel of the linear AE, code 32 (PCA's optimum: pca_mse_k32)")
L:finish()
