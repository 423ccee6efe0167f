-- Lesson 07 — contractive autoencoders.
--
-- Question: the contractive penalty λ·‖J_f(x)‖²_F asks the encoder to change
-- little when its input changes a little (J_f is the Jacobian of the code
-- with respect to the input). Against a plain and a denoising autoencoder of
-- the same size, is the contractive encoder really flatter around the data,
-- and what does it cost in reconstruction? Then the course's remark that
-- the contractive AE's gradient is deterministic, so L-BFGS applies: the
-- same model trained by L-BFGS (full batch) against Adam.
--
--   ./aelab lessons/07_contractive.lua          (a few minutes)
--   ./aelab --quick lessons/07_contractive.lua  (seconds)
local ae = require "aelab"
-- Messages in the chosen language (--lang es|pt|en; README "Languages").
local T, F, FN = ae.i18n.T, ae.i18n.F, ae.i18n.FN

local L = ae.Lesson.new {
  name = "07_contractive",
  title = T"Lesson 07 — contractive autoencoders",
  question = T("Does the contractive penalty make the code insensitive to small changes of the input,\n" ..
    "compared with plain and denoising autoencoders of the same size? At what cost in reconstruction?\n" ..
    "And does L-BFGS, on the whole set, train it better than Adam?"),
}

local quick = ae.options.quick
local bce = ae.bce -- per pixel, reconstructions against images
local train, test = assert(ae.data.fashion_mnist(quick and { limit = 4000, test_limit = 500 } or { limit = 20000, test_limit = 2000 }))
local epochs = quick and 4 or 20
local Hn, lambda, std = 256, 0.01, 0.3
L:say(T("Fashion-MNIST, %d training and %d test images; 784-%d-784 with a sigmoid code and output, BCE,\n" ..
  "Adam 1e-3, batch 128, %d epochs. Contractive λ = %g; the denoising AE sees Gaussian noise, std %g."),
  train.x:size(1), test.x:size(1), Hn, epochs, lambda, std)
L:say(T"For a Dense layer and a sigmoid, J = diag(h(1−h))·W, so ‖J‖²_F = Σ_j (h_j(1−h_j))² ‖W_j‖² exactly.")

-- `model`: the saved model's file name (the same in every language); `name`
-- and `short`: what the student reads.
local runs = {
  { key = "plain", model = "plain AE", name = T"plain AE", short = T"plain" },
  { key = "dae", model = string.format("denoising AE (std %g)", std), name = F("denoising AE (std %g)", std),
    short = T"denoising", noise = ae.noise.gaussian { std = std } },
  { key = "cae", model = string.format("contractive AE (λ=%g)", lambda), name = F("contractive AE (λ=%g)", lambda),
    short = T"contractive", penalty = ae.penalty.contractive { lambda = lambda } },
}

local function row_norms(t) -- [N×D] → [N×1] Euclidean norms of the rows
  return (t * t):matmul(ae.full(1, t:size(2), 1)):sqrt()
end

-- ‖J_f(x)‖_F of each row of x, in closed form (sigmoid code).
local function jacobian_norms(net, x)
  local h = net:encode(x)
  local s = h * (1 - h)
  local W = net:layers()[1]:parameters()[1] -- (H, 784)
  local wn = (W * W):matmul(ae.full(1, W:size(2), 1)) -- (H, 1): ‖W_j‖²
  return (s * s):matmul(wn):sqrt()
end

-- The same Jacobian norm of one sample by central differences (a check).
local function jacobian_norm_numeric(net, x1)
  local eps = 1e-2
  local D = x1:size(2)
  local plus, minus = ae.zeros(D, D), ae.zeros(D, D)
  for i = 1, D do
    plus:narrow(1, i, 1):copy(x1)
    minus:narrow(1, i, 1):copy(x1)
    plus:set(i, i, x1:get(1, i) + eps)
    minus:set(i, i, x1:get(1, i) - eps)
  end
  local d = (net:encode(plus) - net:encode(minus)) / (2 * eps)
  return math.sqrt((d * d):sum())
end

local table_rows = { T"| model | val. BCE | val. MSE | mean ‖J‖_F on test data | code change / input change at ‖δ‖≈8.4 | samples/s |",
  "|---|---:|---:|---:|---:|---:|" }
local sizes = { 0.01, 0.03, 0.1, 0.3, 0.6, 1.0 } -- per-pixel std of the perturbation
local moves, ratios = {}, {}
ae.seed(1)
local perturb = ae.randn(test.x:size(1), 784) -- one direction per image, scaled below
local dnorm = row_norms(perturb):mean()
for _, r in ipairs(runs) do
  ae.seed(ae.options.seed)
  r.net = ae.Autoencoder { encoder = { ae.Dense(784, Hn), ae.Sigmoid() }, decoder = { ae.Dense(Hn, 784), ae.Sigmoid() } }
  L:say(T"\nTraining the %s ...", r.name)
  r.history = r.net:fit(train.x, { epochs = epochs, batch = 128, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 },
    noise = r.noise, penalty = r.penalty, verbose = false })
  L:save_model(r.net, r.model, r.name) -- the file keeps its English name; the report says r.name
  local recon = r.net:reconstruct(test.x)
  r.bce, r.mse = bce(recon, test.x), ae.mse(recon, test.x)
  r.jnorms = jacobian_norms(r.net, test.x)
  r.jnorm = r.jnorms:mean()
  local check = jacobian_norm_numeric(r.net, test.x:narrow(1, 1, 1))
  local closed = jacobian_norms(r.net, test.x:narrow(1, 1, 1)):get(1, 1)
  local h0 = r.net:encode(test.x)
  r.code_norm = row_norms(h0):mean() -- the scale the code moves against
  local move = { label = r.name, x = {}, y = {} }
  local ratio = { label = r.name, x = {}, y = {} }
  for k, s in ipairs(sizes) do
    local change = row_norms(r.net:encode(test.x + perturb * s) - h0):mean()
    move.x[k], move.y[k] = s * dnorm, change
    ratio.x[k], ratio.y[k] = s * dnorm, change / (s * dnorm)
  end
  moves[#moves + 1], ratios[#ratios + 1] = move, ratio
  r.rate = ae.median(r.history.samples_per_s)
  L:say(T("  validation BCE %.4f, MSE %.4f; mean ‖J‖_F on test data %.3f (first image: closed form %.4f,\n" ..
    "  finite differences %.4f); code moves %.3f for an input step of norm %.2f (codes have norm %.2f)"), r.bce,
    r.mse, r.jnorm, closed, check, move.y[4], move.x[4], r.code_norm)
  table_rows[#table_rows + 1] = ae.i18n.fmt("| %s | %.4f | %.4f | %.3f | %.4f | %s |", r.name, r.bce, r.mse, r.jnorm,
    ratio.y[4], ae.i18n.int(math.floor(r.rate)))
  L:metric("val_bce_" .. r.key, r.bce, F("validation BCE per pixel, %s", r.name))
  L:metric("val_mse_" .. r.key, r.mse, F("validation MSE per pixel, %s", r.name))
  L:metric("jacobian_" .. r.key, r.jnorm, F("mean Frobenius norm of the encoder Jacobian on test data, %s", r.name))
  L:metric("jacobian_check_" .. r.key, math.abs(check - closed) / closed,
    F("relative gap between the closed-form and finite-difference Jacobian norm (one image), %s", r.name))
  L:metric("contraction_" .. r.key, ratio.y[4], F("code change over input change at ‖δ‖ ≈ 8.4, %s", r.name))
  L:metric("code_norm_" .. r.key, r.code_norm, F("mean norm of the test codes, %s", r.name))
  L:metric("samples_per_s_" .. r.key, r.rate, F("training samples per second, %s", r.name))
end
L:section(T"The three encoders on the test set", table.concat(table_rows, "\n"))

L:say(T"\nFigures:")
local RATIO, JNORM = "‖f(x+δ) − f(x)‖ / ‖δ‖", "‖J_f(x)‖_F" -- formulas, the same in every language
L:figure("code_change.png", T"How far the code moves, ‖f(x+δ) − f(x)‖, for random input perturbations δ of growing norm",
  ae.plot.series(moves, { out = L:path("code_change.png"), xlabel = T"‖δ‖ (input perturbation, Euclidean norm)",
    ylabel = T"mean ‖f(x+δ) − f(x)‖", logscale = "x", title = T"Code change under small input perturbations" }))
L:figure("contraction.png", T"Contraction ratio ‖f(x+δ) − f(x)‖ / ‖δ‖: below the others means a flatter encoder",
  ae.plot.series(ratios, { out = L:path("contraction.png"), xlabel = T"‖δ‖ (input perturbation, Euclidean norm)",
    ylabel = RATIO, key = "center right", logscale = "x", title = T"Contraction ratio of each encoder" }))
L:figure("jacobian_hist.png", T"‖J_f(x)‖_F over the test images, contractive AE",
  ae.plot.histogram(runs[3].jnorms, { out = L:path("jacobian_hist.png"), bins = 40,
    xlabel = JNORM, ylabel = T"test images", title = T"Jacobian norms of the contractive encoder",
    size = { 700, 420 } }))
local rows = { { T"original", test.x:narrow(1, 1, 10) } }
for _, r in ipairs(runs) do rows[#rows + 1] = { r.short, r.net:reconstruct(test.x:narrow(1, 1, 10)) } end
L:figure("reconstructions.png", T"Test images and their reconstructions by each model",
  ae.plot.image_rows(rows, { out = L:path("reconstructions.png"), n = 10, left = 110, title = T"Reconstructions" }))

-- The course: the contractive penalty's gradient is deterministic (no noise
-- to draw), so second-order methods such as L-BFGS apply. The same
-- contractive AE trained on one fixed set by L-BFGS (full batch) and by
-- Adam (batches of 128), each judged on the full objective (BCE + λ‖J‖²)
-- over that set, against seconds and against gradient passes over it.
local NS = quick and 1000 or 5000
local LB_ITERS, AD_EPOCHS = quick and 15 or 150, quick and 4 or 40
local sub = train.x:narrow(1, 1, NS)
L:say(T"\nThe contractive AE by L-BFGS against Adam, on %d training images (the objective BCE + λ‖J‖²_F over them):", NS)
local function cae() return ae.Autoencoder { encoder = { ae.Dense(784, Hn), ae.Sigmoid() }, decoder = { ae.Dense(Hn, 784), ae.Sigmoid() } } end
local opt_runs = {}
-- Why L-BFGS stopped: the minimizer says it in English (core/minimize.c); its
-- usual reasons in the student's language, any other as it came.
local function stopped(why)
  local n, rest = why:match("^iteration budget: (%d+) iterations(.*)$")
  if n then return FN("iteration budget: %d iteration", "iteration budget: %d iterations", tonumber(n), tonumber(n)) .. rest end
  local tol
  tol, rest = why:match("^converged: |gradient| ≤ gtol·max%(1, |w|%) %(gtol = (%S+)%)(.*)$")
  if tol and tonumber(tol) then
    return F("converged: |gradient| ≤ gtol·max(1, |w|) (gtol = %g)", tonumber(tol)) .. rest
  end
  tol, rest = why:match("^converged: the loss fell by less than ftol = (%S+) %(relative%) in an iteration(.*)$")
  if tol and tonumber(tol) then
    return F("converged: the loss fell by less than ftol = %g (relative) in an iteration", tonumber(tol)) .. rest
  end
  return why
end
do
  ae.seed(ae.options.seed)
  local net = cae()
  local h = net:fit(sub, { epochs = LB_ITERS, loss = "bce", optimizer = ae.optim.LBFGS {},
    penalty = ae.penalty.contractive { lambda = lambda }, verbose = false })
  local passes = {}
  for i = 1, h.epochs do passes[i] = h.evals[i] end
  opt_runs[#opt_runs + 1] = { name = "L-BFGS", net = net, obj = h.loss, seconds = h.elapsed, passes = passes,
    why = stopped(h.why), total = h.total_seconds }
end
do
  ae.seed(ae.options.seed)
  local net = cae()
  local obj, seconds, passes, t = {}, {}, {}, 0
  local h = net:fit(sub, { epochs = AD_EPOCHS, batch = 128, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 },
    penalty = ae.penalty.contractive { lambda = lambda }, verbose = false,
    on_epoch = function(e, hist)
      obj[e] = net:gradient(sub, sub) -- the penalty is attached during fit: BCE + λ‖J‖² over the set
      t = t + hist.seconds[e]
      seconds[e], passes[e] = t, e
    end })
  opt_runs[#opt_runs + 1] = { name = "Adam", net = net, obj = obj, seconds = seconds, passes = passes,
    why = FN("%d epoch", "%d epochs", h.epochs, h.epochs), total = t }
end
local orows = { T"| optimizer | objective on the training set | passes over the set (gradients) | seconds | test BCE | mean ‖J‖_F on test data | stopped |",
  "|---|---:|---:|---:|---:|---:|---|" }
local oseries, pseries = {}, {}
for k, r in ipairs(opt_runs) do
  r.bce = bce(r.net:reconstruct(test.x), test.x)
  r.jnorm = jacobian_norms(r.net, test.x):mean()
  r.final = r.obj[#r.obj]
  L:say(T"  %-7s objective %.4f after %d passes, %.1f s; test BCE %.4f, mean ‖J‖_F %.3f (%s)", r.name, r.final,
    r.passes[#r.passes], r.total, r.bce, r.jnorm, r.why)
  orows[#orows + 1] = ae.i18n.fmt("| %s | %.4f | %d | %.1f | %.4f | %.3f | %s |", r.name, r.final, r.passes[#r.passes],
    r.total, r.bce, r.jnorm, r.why)
  oseries[k] = { label = r.name, x = r.seconds, y = r.obj }
  pseries[k] = { label = r.name, x = r.passes, y = r.obj }
  L:metric("cae_" .. (k == 1 and "lbfgs" or "adam") .. "_objective", r.final,
    F("contractive AE's objective on %d images, %s", NS, r.name))
  L:metric("cae_" .. (k == 1 and "lbfgs" or "adam") .. "_seconds", r.total, F("its training seconds, %s", r.name))
end
L:section(F("The contractive AE by L-BFGS and by Adam (%d training images)", NS), table.concat(orows, "\n") ..
  "\n\n" .. T("A pass is one gradient over the whole set: one L-BFGS evaluation, or one Adam epoch of batches of 128. " ..
  "The objective is BCE per pixel plus λ‖J‖²_F, over the training images; seconds are wall time on a shared machine."))
local OBJECTIVE = "BCE + λ‖J‖²_F" -- a formula, the same in every language
L:figure("cae_optimizers.png", T"The contractive AE's objective against seconds, L-BFGS (full batch) and Adam (batches of 128)",
  ae.plot.series(oseries, { out = L:path("cae_optimizers.png"), xlabel = T"seconds", ylabel = OBJECTIVE,
    logscale = "y", key = "top right", points = not not quick, title = T"Contractive AE: L-BFGS against Adam" }))
local lb, ad = opt_runs[1], opt_runs[2]
-- Each sentence a template whose numbers and clauses come from this run.
local verdict
if lb.final < ad.final then
  verdict = F("- The contractive AE by L-BFGS and Adam on %d images: L-BFGS ends lower (%.4f against %.4f) in " ..
    "%.1f s against Adam's %.1f s.", NS, lb.final, ad.final, lb.total, ad.total)
else
  verdict = F("- The contractive AE by L-BFGS and Adam on %d images: Adam ends lower (%.4f against %.4f) in " ..
    "%.1f s against L-BFGS's %.1f s: one pass of batches makes %d updates, one L-BFGS iteration makes one.", NS,
    ad.final, lb.final, ad.total, lb.total, math.ceil(NS / 128))
end
L:section(T"What the numbers say", table.concat({ verdict .. " " .. F("On the test images L-BFGS's model reaches " ..
  "BCE %.4f with mean ‖J‖_F %.3f, Adam's %.4f with %.3f.", lb.bce, lb.jnorm, ad.bce, ad.jnorm),
  F("- Contractive against plain and denoising (Adam, %d epochs): mean ‖J‖_F %.3f against %.3f and %.3f, at a " ..
  "validation BCE of %.4f against %.4f and %.4f.", epochs, runs[3].jnorm, runs[1].jnorm, runs[2].jnorm, runs[3].bce,
  runs[1].bce, runs[2].bce) }, "\n"))

L:metric("epochs", epochs, T"epochs per model")
L:metric("val_loss", runs[3].bce, T"validation BCE of the contractive AE")
L:finish()
