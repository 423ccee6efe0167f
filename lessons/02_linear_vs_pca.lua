-- Lesson 02 — a linear autoencoder against PCA.
--
-- Question: an autoencoder with no activations, trained with the squared
-- error, can only find a linear subspace. Is it PCA's subspace? And what
-- does a non-linear (ReLU) encoder buy over it?
--
--   ./aelab lessons/02_linear_vs_pca.lua        (about a minute)
--   ./aelab --quick lessons/02_linear_vs_pca.lua
local ae = require "aelab"

local L = ae.Lesson.new {
  name = "02_linear_vs_pca",
  title = "Lesson 02 — a linear autoencoder against PCA",
  question = "A linear autoencoder trained with MSE spans the same subspace as PCA (the theory says so).\n" ..
    "Does it, in practice, and how far does a non-linear encoder go beyond it?",
}

local quick = ae.options.quick
local epochs = quick and 3 or 30

L:explain("The course: with linear activations and the squared error, an undercomplete autoencoder spans the same " ..
  "subspace as PCA (Pearson, 1901); non-linear activations go beyond PCA. PCA's k components give the smallest " ..
  "squared error any k-dimensional linear projection can reach, so a linear autoencoder can at best match it. " ..
  "Matching the error is not the same as finding the same axes: the autoencoder's code may be any invertible mix " ..
  "of PCA's components, so the lesson compares subspaces by their principal angles (0° everywhere: the same " ..
  "subspace). The exercise of the course (2): PCA and an autoencoder on the same data, both 2-D reductions on the " ..
  string.format("same canvas. Fashion-MNIST, codes of 2 and 32, MSE, Adam 1e-3, batch 256, %d epochs.", epochs))
local train, test = assert(ae.data.fashion_mnist(quick and { limit = 4000, test_limit = 1000 } or nil))
L:say("Fashion-MNIST: train %d, test %d images of 784 pixels.", train.x:size(1), test.x:size(1))

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

local results, rows_md = {}, { "| code size | model | test MSE per pixel | training seconds |", "|---:|---|---:|---:|" }
local angle_series = {}
local curves = {}
local sample = test.x:narrow(1, 1, 10)
local recon_rows = { { "original", sample } }

for _, k in ipairs { 2, 32 } do
  L:say("\n— code size %d —", k)
  local t0 = ae.clock()
  local pca = ae.PCA(train.x, k)
  local pca_seconds = ae.clock() - t0
  local pca_test = mse(pca:inverse_transform(pca:transform(test.x)), test.x)
  L:say("PCA with %d components: %.1f%% of the variance, test MSE %.5f (fit in %.2f s)", k,
    100 * pca:explained_variance_ratio():sum(), pca_test, pca_seconds)

  local lin = linear_ae(k)
  lin:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 1e-3 } }
  L:say("Linear autoencoder 784-%d-784 (no activations, MSE, Adam 1e-3, batch 256, %d epochs):", k, epochs)
  local h = lin:fit(train.x, { epochs = epochs, batch = 256, validation = test.x, summary_every = 10 })
  local lin_test = lin:loss(test.x)
  L:save_model(lin, "linear k" .. k)
  -- the decoder's weight is 784×k: its columns span the reconstructions
  local layers = lin:layers()
  local W = layers[2]:parameters()[1]
  local angles = ae.linalg.principal_angles(W, pca:components():t())
  L:say("  test MSE %.5f (PCA: %.5f, %.2f%% above the optimum)", lin_test, pca_test, 100 * (lin_test / pca_test - 1))
  L:say("  principal angles between its decoder's column space and PCA's subspace: smallest %.2f°, median %.2f°, largest %.2f°",
    angles[1], angles[(#angles + 1) // 2], angles[#angles])
  if angles[#angles] > 10 then
    L:say("  (the large angles belong to PCA directions whose variances are nearly equal: mixing them\n" ..
      "   hardly changes the error, so gradient descent has little reason to sort them out)")
  end
  angle_series[#angle_series + 1] = { label = string.format("code size %d", k), y = angles }

  local nl = relu_ae(k)
  nl:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 1e-3 } }
  L:say("Non-linear autoencoder 784-256-%d-256-784 (ReLU, sigmoid output, MSE):", k)
  local hn = nl:fit(train.x, { epochs = epochs, batch = 256, validation = test.x, summary_every = 10 })
  local nl_test = nl:loss(test.x)
  L:save_model(nl, "relu k" .. k)
  L:say("  test MSE %.5f: %.1f%% %s than PCA", nl_test, math.abs(100 * (1 - nl_test / pca_test)),
    nl_test < pca_test and "lower" or "higher")

  curves[#curves + 1] = { label = "linear, k=" .. k, history = h }
  curves[#curves + 1] = { label = "ReLU, k=" .. k, history = hn }
  rows_md[#rows_md + 1] = string.format("| %d | PCA | %.5f | %.2f |", k, pca_test, pca_seconds)
  rows_md[#rows_md + 1] = string.format("| %d | linear AE | %.5f | %.1f |", k, lin_test, h.total_seconds)
  rows_md[#rows_md + 1] = string.format("| %d | ReLU AE | %.5f | %.1f |", k, nl_test, hn.total_seconds)
  recon_rows[#recon_rows + 1] = { "PCA, k=" .. k, pca:inverse_transform(pca:transform(sample)) }
  recon_rows[#recon_rows + 1] = { "linear AE, k=" .. k, lin:reconstruct(sample) }
  recon_rows[#recon_rows + 1] = { "ReLU AE, k=" .. k, nl:reconstruct(sample) }
  results[k] = { pca = pca, lin = lin, nl = nl, pca_test = pca_test, lin_test = lin_test, nl_test = nl_test,
    angles = angles }
  L:metric("pca_mse_k" .. k, pca_test, string.format("PCA test MSE per pixel, %d components", k))
  L:metric("linear_mse_k" .. k, lin_test, string.format("linear AE test MSE per pixel, code %d", k))
  L:metric("relu_mse_k" .. k, nl_test, string.format("ReLU AE test MSE per pixel, code %d", k))
  L:metric("max_angle_k" .. k, angles[#angles], string.format("largest principal angle (degrees), code %d", k))
  L:metric("median_angle_k" .. k, angles[(#angles + 1) // 2], string.format("median principal angle (degrees), code %d", k))
end

L:say("\nFigures:")
local r2 = results[2]
L:figure("pca_vs_linear.png", "PCA's 2-D projection and the linear autoencoder's 2-D codes of the test set, side by side",
  ae.plot.compare(r2.pca:transform(test.x), r2.lin:encode(test.x), test.y, { out = L:path("pca_vs_linear.png"),
    names = { "PCA, 2 components", "linear autoencoder, code of 2" }, axes = { "PC", "code" }, classes = test.classes,
    title = "Fashion-MNIST test set: PCA against a linear autoencoder" }))
L:figure("pca_vs_relu.png", "PCA's 2-D projection and the ReLU autoencoder's 2-D codes, side by side",
  ae.plot.compare(r2.pca:transform(test.x), r2.nl:encode(test.x), test.y, { out = L:path("pca_vs_relu.png"),
    names = { "PCA, 2 components", "ReLU autoencoder, code of 2" }, axes = { "PC", "code" }, classes = test.classes,
    title = "Fashion-MNIST test set: PCA against a non-linear autoencoder" }))
L:figure("angles.png", "Principal angles between the linear autoencoder's decoder subspace and PCA's",
  ae.plot.series(angle_series, { out = L:path("angles.png"), xlabel = "principal angle number",
    ylabel = "angle (degrees)", title = "How far the linear autoencoder's subspace is from PCA's" }))
L:figure("reconstructions.png", "Test images reconstructed by PCA, the linear and the ReLU autoencoder, with codes of 2 and 32",
  ae.plot.image_rows(recon_rows, { out = L:path("reconstructions.png"), left = 160,
    title = "Reconstructions: PCA, linear AE, ReLU AE" }))
L:figure("loss.png", "Validation and training MSE of the four autoencoders",
  ae.plot.history(curves, { out = L:path("loss.png"), title = "Autoencoders trained with MSE", ylabel = "MSE per pixel",
    logscale = true }))
L:section("Test reconstruction error", table.concat(rows_md, "\n"))
local arows = { "| code size | angles (degrees, smallest to largest) |", "|---:|---|" }
for _, k in ipairs { 2, 32 } do
  local t = {}
  for i, a in ipairs(results[k].angles) do t[i] = string.format("%.1f", a) end
  arows[#arows + 1] = string.format("| %d | %s |", k, table.concat(t, ", "))
end
L:section("Principal angles between the subspaces", table.concat(arows, "\n"))
local say = {}
for _, k in ipairs { 2, 32 } do
  local r = results[k]
  local a = r.angles
  say[#say + 1] = string.format("- Code of %d: PCA's test MSE is %.5f; the linear autoencoder's %.5f (%.2f%% above), " ..
    "the ReLU autoencoder's %.5f (%.1f%% %s than PCA). The linear autoencoder's subspace is %s PCA's: principal " ..
    "angles from %.1f° to %.1f°, median %.1f°.", k, r.pca_test, r.lin_test, 100 * (r.lin_test / r.pca_test - 1),
    r.nl_test, math.abs(100 * (1 - r.nl_test / r.pca_test)), r.nl_test < r.pca_test and "lower" or "higher",
    a[#a] < 5 and "nearly" or a[(#a + 1) // 2] < 10 and "mostly, but not wholly," or "not yet", a[1], a[#a],
    a[(#a + 1) // 2])
end
say[#say + 1] = string.format("- So the theory holds as far as %d epochs of Adam get: the linear autoencoder " ..
  "approaches PCA's error from above and never beats it%s; the non-linear one %s.", epochs,
  (results[2].lin_test >= results[2].pca_test * 0.999 and results[32].lin_test >= results[32].pca_test * 0.999) and ""
    or " (it is slightly below here: PCA's error is the optimum on the training set, not on the test set)",
  (results[2].nl_test < results[2].pca_test and results[32].nl_test < results[32].pca_test) and
    "beats PCA at both code sizes" or results[2].nl_test < results[2].pca_test and
    "beats PCA with a code of 2, where a curved map helps most, but not with 32" or
    "does not beat PCA in this run (it needs more training than a linear map)")
L:section("What the numbers say", table.concat(say, "\n"))
L:say("\nWhat the numbers say:\n%s", table.concat(say, "\n"))
L:metric("epochs", epochs, "epochs per autoencoder")
L:metric("val_loss", results[32].lin_test, "test MSE per pixel of the linear AE, code 32 (PCA's optimum: pca_mse_k32)")
L:finish()
