-- Lesson 06 — sparse autoencoders on an overcomplete code.
--
-- Question: a code wider than the image (784 → 1024) can copy the input
-- without learning anything. Penalizing the activations instead of the
-- weights — L1, λ·Σ|a|, or the KL sparsity of the course, β·Σ_j KL(ρ‖ρ̂_j)
-- with ρ̂_j the mean activation of unit j — makes most units quiet most of
-- the time. Do the mean activations settle at ρ, and what do the units learn?
--
--   ./aelab lessons/06_sparse.lua          (a few minutes)
--   ./aelab --quick lessons/06_sparse.lua  (seconds)
local ae = require "aelab"

local L = ae.Lesson.new {
  name = "06_sparse",
  title = "Lesson 06 — sparse autoencoders (784 → 1024 → 784)",
  question = "With more code units than pixels, can an activity penalty (L1 or KL sparsity) keep the\n" ..
    "code from being a copy? Do the mean activations sit at the target ρ, and what do the units detect?",
}

local quick = ae.options.quick
local bce = ae.bce -- per pixel, reconstructions against images
local train, test = assert(ae.data.fashion_mnist(quick and { limit = 4000, test_limit = 500 } or { limit = 20000, test_limit = 2000 }))
local epochs = quick and 4 or 20
local hidden = 1024
-- The reconstruction loss here is BCE averaged over the 784 pixels; the
-- course's β = 3 goes with a loss summed over pixels, so β = 3/784 here.
local beta = 3 / 784
local lambda = 3e-4
L:say("Fashion-MNIST, %d training and %d test images; 784-%d-784, sigmoid code and output, BCE,",
  train.x:size(1), test.x:size(1), hidden)
L:say("Adam 1e-3, batch 128, %d epochs. KL weight β = 3/784 (the course's β = 3 for a loss summed", epochs)
L:say("over pixels; ours is averaged over them); L1 weight λ = %g.", lambda)

local runs = {
  { key = "plain", name = "no penalty" },
  { key = "l1", name = string.format("L1, λ=%g", lambda), penalty = ae.penalty.l1 { lambda = lambda } },
  { key = "kl0.05", name = "KL, ρ=0.05", rho = 0.05, penalty = ae.penalty.kl_sparsity { rho = 0.05, beta = beta } },
  { key = "kl0.2", name = "KL, ρ=0.2", rho = 0.2, penalty = ae.penalty.kl_sparsity { rho = 0.2, beta = beta } },
}

local table_rows = { "| model | val. BCE | val. MSE | mean activation | units within 20% of ρ | active (> 0.5) per image | samples/s |",
  "|---|---:|---:|---:|---:|---:|---:|" }
for _, r in ipairs(runs) do
  ae.seed(ae.options.seed)
  r.net = ae.Autoencoder { encoder = { ae.Dense(784, hidden), ae.Sigmoid() },
    decoder = { ae.Dense(hidden, 784), ae.Sigmoid() } }
  L:say("\nTraining with %s ...", r.name)
  r.history = r.net:fit(train.x, { epochs = epochs, batch = 128, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 },
    penalty = r.penalty, verbose = false })
  L:save_model(r.net, r.name)
  local codes = r.net:encode(test.x)
  r.rho_hat = codes:mean(true) -- [1×1024]: mean activation of each unit over the test set
  local mean = r.rho_hat:mean()
  local within = 0
  if r.rho then
    for j = 1, hidden do if math.abs(r.rho_hat:get(1, j) - r.rho) <= 0.2 * r.rho then within = within + 1 end end
  end
  local active = 0
  for _, v in ipairs(codes:reshape(codes:numel()):totable()) do if v > 0.5 then active = active + 1 end end
  active = active / codes:size(1)
  local recon = r.net:reconstruct(test.x)
  r.bce, r.mse = bce(recon, test.x), ae.mse(recon, test.x)
  r.rate = ae.median(r.history.samples_per_s)
  L:say("  validation BCE %.4f, MSE %.4f; mean activation %.3f%s; %.0f of %d units above 0.5 per image",
    r.bce, r.mse, mean, r.rho and string.format(" (target %.2f; %d of %d units within 20%%)", r.rho, within, hidden) or "",
    active, hidden)
  table_rows[#table_rows + 1] = string.format("| %s | %.4f | %.4f | %.3f | %s | %.0f | %s |", r.name, r.bce, r.mse, mean,
    r.rho and string.format("%d of %d", within, hidden) or "—", active, ae.commas(math.floor(r.rate)))
  L:metric("val_bce_" .. r.key, r.bce, "validation BCE per pixel, " .. r.name)
  L:metric("val_mse_" .. r.key, r.mse, "validation MSE per pixel, " .. r.name)
  L:metric("mean_activation_" .. r.key, mean, "mean code activation on the test set, " .. r.name)
  L:metric("active_per_image_" .. r.key, active, "code units above 0.5 per test image, " .. r.name)
  if r.rho then L:metric("within20_" .. r.key, within / hidden, "fraction of units whose mean activation is within 20% of ρ, " .. r.name) end
  L:metric("samples_per_s_" .. r.key, r.rate, "training samples per second, " .. r.name)
end
L:section("The four models on the test set", table.concat(table_rows, "\n"))

-- Filters: each unit's 784 input weights as a 28×28 image, scaled to its own
-- range (the first 100 units).
local function filters(net, n)
  local W = net:layers()[1]:parameters()[1] -- (1024, 784)
  return ae.plot.stretch_rows(W:narrow(1, 1, n))
end

L:say("\nFigures:")
for _, r in ipairs(runs) do
  L:figure("activations_" .. r.key .. ".png", "Mean activation of each of the 1024 code units over the test set, " .. r.name ..
    (r.rho and " (the dashed line is ρ)" or ""),
    ae.plot.histogram(r.rho_hat, { out = L:path("activations_" .. r.key .. ".png"), bins = 100, range = { 0, 1 },
      xlabel = "mean activation of a unit over the test set", ylabel = "units", mark = r.rho,
      mark_label = r.rho and string.format("ρ = %g", r.rho) or nil, title = "Mean code activations: " .. r.name,
      size = { 700, 420 } }))
end
for _, r in ipairs(runs) do
  L:figure("filters_" .. r.key .. ".png", "Input weights of the first 100 code units as 28×28 images, " .. r.name,
    ae.plot.images(filters(r.net, 100), { out = L:path("filters_" .. r.key .. ".png"), ncol = 10, scale = 3,
      title = "Filters: " .. r.name }))
end
local rows = { { "original", test.x:narrow(1, 1, 10) } }
for _, r in ipairs(runs) do rows[#rows + 1] = { r.name, r.net:reconstruct(test.x:narrow(1, 1, 10)) } end
L:figure("reconstructions.png", "Test images and their reconstructions by each model",
  ae.plot.image_rows(rows, { out = L:path("reconstructions.png"), n = 10, left = 130, title = "Reconstructions" }))

L:metric("epochs", epochs, "epochs per model")
L:metric("hidden", hidden, "code units")
L:metric("val_loss", runs[3].bce, "validation BCE of the KL ρ=0.05 model")
L:finish()
