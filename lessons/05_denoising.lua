-- Lesson 05 — denoising autoencoders.
--
-- Question: if an autoencoder sees a corrupted input x̃ and must give back
-- the clean x, minimizing L(x, g(f(x̃))), does it learn to remove noise — and
-- how does that depend on the noise it was trained with? First on the 7×5
-- letters as the course ran its exercise 1.b: hidden layers 25-15-10 and a
-- latent of 10 (35-25-15-10-10 and back), a fixed set of 5 or 20 noisy copies
-- of each letter (drawn once, not every epoch), levels 0.2 and 0.5, tested on
-- the noise it was trained with and on another kind, with the stacks 25,
-- 25-15 and 25-15-10 compared. Then on Fashion-MNIST, with a sweep over
-- levels, other kinds of noise, and a noise schedule.
--
-- The course's "level": the slides give no formula. We read it as the
-- course's own Keras example reads its "noise factor": x̃ = clip(x + level·N(0, 1),
-- 0, 1), Gaussian noise of standard deviation = level, clipped to [0, 1]
-- (ae.noise.gaussian{std = level, clip = {0, 1}}). On the 0/1 letters, seen
-- through a threshold at 0.5, it flips a pixel with probability
-- P(N(0,1) > 0.5/level): 0.6% at 0.2, 15.9% at 0.5. The other kind is
-- salt-and-pepper with p = level (ae.noise.salt_pepper: a pixel set to 0 or 1
-- at random with probability p, so flipped with probability p/2: 10% and 25%).
--
--   ./aelab lessons/05_denoising.lua          (a few minutes)
--   ./aelab --quick lessons/05_denoising.lua  (seconds)
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt); fmt and num format
-- numbers only.
local T, F = ae.i18n.T, ae.i18n.F
local fmt, num = ae.i18n.fmt, ae.i18n.num

local L = ae.Lesson.new {
  name = "05_denoising",
  title = T"Lesson 05 — denoising autoencoders",
  question = T("Trained to map corrupted inputs back to clean ones, does an autoencoder remove noise?\n" ..
    "How well at each noise level, and on noise it was not trained with?"),
}

L:explain(T("A denoising autoencoder (DAE) is trained on corrupted inputs x̃ against the clean x, minimizing " ..
  "L(x, g(f(x̃))). It cannot learn the identity: it must learn what the data look like, and project a noisy " ..
  "neighbourhood back onto them. Part 1 follows the course's exercise 1.b on the 7×5 letter font: hidden layers " ..
  "25-15-10 and a latent of 10 (35-25-15-10-10 and back), a fixed set of 5 or 20 noisy copies of every letter " ..
  "(drawn once; the network never sees fresh noise while training), levels 0.2 and 0.5, the stacks 25, 25-15 and " ..
  "25-15-10 compared, tested on fresh noise of the kind it was trained with and on another kind. The course's " ..
  "slides trained with about 25 iterations of their optimizer; here every model gets the same number of full-batch " ..
  "Adam steps, so 5 and 20 copies are compared at equal training."))
L:explain(T("**The course's noise level, in our terms.** The slides do not write the formula. We read the level like " ..
  "the course's own Keras example reads its \"noise factor\": x̃ = clip(x + level·N(0, 1), 0, 1), Gaussian noise " ..
  "whose standard deviation is the level, clipped to [0, 1] — `ae.noise.gaussian{std = level, clip = {0, 1}}`. On " ..
  "the 0/1 letters, looked at through a threshold at 0.5, it flips a pixel with probability P(N(0,1) > 0.5/level): " ..
  "0.6% at 0.2 and 15.9% at 0.5. The other kind is salt-and-pepper with p = level (`ae.noise.salt_pepper{p = " ..
  "level}`: a pixel is set to 0 or 1 at random with probability p, so flipped with probability p/2). Errors are " ..
  "counted as wrong pixels per letter after thresholding the output at 0.5."))
L:explain(T("Part 2 is ours, not the course's: Fashion-MNIST with a 784-256-784 autoencoder, DAEs trained at Gaussian " ..
  "0.2, 0.5 and a schedule 0.1→0.5 (fresh noise every batch here), a sweep of test levels, and noise of other kinds " ..
  "(salt-and-pepper, masking) it never saw."))

local quick = ae.options.quick
local levels = { 0.2, 0.5 }          -- the course's two training levels
local sweep = { 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 } -- test levels

-- MSE against the clean images, and PSNR = 10·log10(range² / MSE) with range 1.
local mse = ae.mse
local function psnr(e) return 10 * math.log(1 / math.max(e, 1e-12), 10) end

-- The same corrupted test set for every model: noise drawn from a fixed seed.
local function corrupted(x, noise, level, seed)
  ae.seed(seed)
  return noise:apply(x, level)
end

---------------------------------------------------------------------------
-- Part 1: the letters, as the course ran them
---------------------------------------------------------------------------
local letters = ae.data.letters()
local lx = letters.x
local NL = lx:size(1)
local steps = quick and 400 or 3000 -- full-batch Adam steps, the same for every training set
local test_copies = 20              -- fresh noisy copies per letter for testing, never trained on
local gauss = ae.noise.gaussian { std = 0.5, clip = { 0, 1 } }
local saltpepper = ae.noise.salt_pepper { p = 0.2 }
L:say(T"Part 1 — the %d letters of the 7×5 font, as the course's exercise 1.b.", NL)
L:say(T"The course's noise level = the standard deviation of Gaussian noise added to each pixel, clipped to [0, 1]")
L:say(T"(like its Keras example's noise factor); the other kind, for testing, is salt-and-pepper with p = level.")
L:say(T"Each model: Tanh hidden layers, a linear latent, sigmoid output, BCE, Adam 3e-3, %d full-batch steps,", steps)
L:say(T"trained on a FIXED set of noisy copies of every letter (inputs) against the clean letters (targets).")

-- `copies` copies of the font, one under the other
local function repeat_font(copies)
  local big = ae.zeros(copies * NL, 35)
  for c = 1, copies do big:narrow(1, (c - 1) * NL + 1, NL):copy(lx) end
  return big
end

-- 35 → hidden… → latent and back, as lesson 03 builds the letters' models
local function letter_net(hidden, latent)
  local enc, dec, prev = {}, {}, 35
  for _, n in ipairs(hidden) do
    enc[#enc + 1] = ae.Dense(prev, n); enc[#enc + 1] = ae.Tanh(); prev = n
  end
  enc[#enc + 1] = ae.Dense(prev, latent)
  prev = latent
  for i = #hidden, 1, -1 do
    dec[#dec + 1] = ae.Dense(prev, hidden[i]); dec[#dec + 1] = ae.Tanh(); prev = hidden[i]
  end
  dec[#dec + 1] = ae.Dense(prev, 35); dec[#dec + 1] = ae.Sigmoid()
  return ae.Autoencoder { encoder = enc, decoder = dec }
end

-- wrong pixels after thresholding at 0.5, per letter
local function wrong_pixels(r, clean)
  local n = 0
  local rt, xt = r:totable(), clean:totable()
  for i = 1, #rt do
    for j = 1, 35 do if (rt[i][j] > 0.5 and 1 or 0) ~= xt[i][j] then n = n + 1 end end
  end
  return n / #rt
end

-- the test sets, the same for every model: for each level, fresh copies under
-- the training kind (Gaussian) and the other kind (salt-and-pepper)
local test_clean = repeat_font(test_copies)
local tests = {}
for k, level in ipairs(levels) do
  tests[level] = { gauss = corrupted(test_clean, gauss, level, 500 + k), sp = corrupted(test_clean, saltpepper, level, 520 + k) }
end

local arch = {
  { name = "25", hidden = { 25 } },
  { name = "25-15", hidden = { 25, 15 } },
  { name = "25-15-10", hidden = { 25, 15, 10 } },
}
local runs = {}
local function letter_run(a, latent, copies, level)
  local clean = repeat_font(copies)
  local noisy = level > 0 and corrupted(clean, gauss, level, 400 + 10 * copies + math.floor(level * 10)) or clean
  ae.seed(ae.options.seed)
  local net = letter_net(a.hidden, latent)
  local t0 = ae.clock()
  local h = net:fit(noisy, { target = clean, epochs = steps, batch = noisy:size(1), loss = "bce",
    optimizer = ae.optim.Adam { lr = 3e-3 }, verbose = false })
  local r = { arch = a.name, latent = latent, copies = copies, level = level, net = net, seconds = ae.clock() - t0,
    train_loss = h.loss[steps], train_wrong = wrong_pixels(net:reconstruct(noisy), clean),
    clean_wrong = wrong_pixels(net:reconstruct(lx), lx), same = {}, other = {} }
  for _, tl in ipairs(levels) do
    r.same[tl] = wrong_pixels(net:reconstruct(tests[tl].gauss), test_clean)
    r.other[tl] = wrong_pixels(net:reconstruct(tests[tl].sp), test_clean)
  end
  runs[#runs + 1] = r
  local tl = level > 0 and level or 0.5 -- the plain AE is shown at 0.5
  if level > 0 then
    L:say(T("  35-%s-%d, %2d copies, level %.1f: training wrong px/letter %.2f; on fresh noise %.1f: %.2f, on " ..
      "salt-and-pepper %.1f: %.2f; clean letters %.2f  (%.1f s)"), a.name, latent, copies, level, r.train_wrong,
      tl, r.same[tl], tl, r.other[tl], r.clean_wrong, r.seconds)
  else
    L:say(T("  35-%s-%d, plain AE on the clean letters: training wrong px/letter %.2f; on fresh noise %.1f: %.2f, on " ..
      "salt-and-pepper %.1f: %.2f; clean letters %.2f  (%.1f s)"), a.name, latent, r.train_wrong,
      tl, r.same[tl], tl, r.other[tl], r.clean_wrong, r.seconds)
  end
  return r
end

L:say(T"\nTraining (wrong pixels per letter after thresholding at 0.5; %d test copies per letter):", test_copies)
-- models this small gain nothing from threads: their steps would be spent meeting
local threads_before = ae.threads()
ae.threads(1)
for _, a in ipairs(arch) do
  for _, copies in ipairs { 5, 20 } do
    for _, level in ipairs(levels) do letter_run(a, 10, copies, level) end
  end
end
-- the course also says more latent units help: the same stack with a latent of 2 (lesson 03's)
for _, level in ipairs(levels) do letter_run(arch[3], 2, 20, level) end
-- and a plain autoencoder of the course's shape, trained on the clean letters only
local plain = letter_run(arch[3], 10, 1, 0)
ae.threads(threads_before)

local baseline = {}
for _, tl in ipairs(levels) do
  baseline[tl] = { same = wrong_pixels(tests[tl].gauss, test_clean), other = wrong_pixels(tests[tl].sp, test_clean) }
end
for _, tl in ipairs(levels) do
  -- metrics.json's keys stay English whatever the language
  L:metric(string.format("letters_input_gauss%.1f", tl), baseline[tl].same, F("letters: wrong px/letter " ..
    "of the noisy input itself, Gaussian %.1f", tl))
  L:metric(string.format("letters_plain_gauss%.1f", tl), plain.same[tl], F("letters: wrong px/letter, " ..
    "plain AE 25-15-10 (latent 10) trained on clean letters, Gaussian %.1f", tl))
end
local rows = { T("| hidden layers | latent | noisy copies per letter | trained at | training set | test: Gaussian 0.2 | " ..
  "test: Gaussian 0.5 | test: salt-and-pepper 0.2 | test: salt-and-pepper 0.5 | clean letters | seconds |"),
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  F("| (the noisy input itself) | | | | | %.2f | %.2f | %.2f | %.2f | 0 | |", baseline[0.2].same,
    baseline[0.5].same, baseline[0.2].other, baseline[0.5].other) }
for _, r in ipairs(runs) do
  rows[#rows + 1] = fmt("| %s | %d | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f |", r.arch,
    r.latent, r.level > 0 and tostring(r.copies) or T"— (clean)", r.level > 0 and num(r.level, "%.1f") or T"plain AE",
    r.train_wrong, r.same[0.2], r.same[0.5], r.other[0.2], r.other[0.5], r.clean_wrong, r.seconds)
  if r.level > 0 then
    local key = string.format("letters_%s_l%d_c%d_n%.1f", r.arch, r.latent, r.copies, r.level)
    L:metric(key .. "_same", r.same[r.level], F("letters 35-%s-%d, %d copies, trained at %.1f: wrong " ..
      "px/letter on fresh Gaussian noise of its level", r.arch, r.latent, r.copies, r.level))
    L:metric(key .. "_other", r.other[r.level], F("letters 35-%s-%d, %d copies, trained at %.1f: wrong " ..
      "px/letter on salt-and-pepper of its level", r.arch, r.latent, r.copies, r.level))
  end
end
L:section(T"Letters: the course's runs — wrong pixels per letter after thresholding at 0.5", table.concat(rows, "\n") ..
  "\n\n" .. T("The noise is the course's level read as Gaussian noise of that standard deviation, clipped to [0, 1] (the " ..
  "course's Keras example calls it the noise factor); thresholded at 0.5 it flips 0.6% of a letter's pixels at " ..
  "0.2 and 15.9% at 0.5. Salt-and-pepper p sets a pixel to 0 or 1 at random with probability p (flips p/2 of them).") ..
  " " .. F("Every model trains for %d full-batch Adam steps on a fixed set of noisy copies (5 copies: %d inputs; " ..
  "20 copies: %d), against the clean letters; tests use %d fresh noisy copies of each letter.", steps, 5 * NL, 20 * NL,
  test_copies))

-- figure: for each level, original / noisy / denoised by 25-15-10 (20 copies) / plain AE
local function find(arch_name, latent, copies, level)
  for _, r in ipairs(runs) do
    if r.arch == arch_name and r.latent == latent and r.copies == copies and r.level == level then return r end
  end
end
local show = lx:narrow(1, 2, 16) -- a..p
local frows = { { T"original", show } }
for k, level in ipairs(levels) do
  local noisy = corrupted(show, gauss, level, 600 + k)
  frows[#frows + 1] = { F("noisy %.1f", level), noisy }
  frows[#frows + 1] = { F("DAE %.1f", level), find("25-15-10", 10, 20, level).net:reconstruct(noisy) }
  frows[#frows + 1] = { T"plain AE", plain.net:reconstruct(noisy) }
end
for k, level in ipairs(levels) do
  local noisy = corrupted(show, saltpepper, level, 620 + k)
  frows[#frows + 1] = { F("s&p %.1f", level), noisy }
  frows[#frows + 1] = { F("DAE %.1f", level), find("25-15-10", 10, 20, level).net:reconstruct(noisy) }
end
for k, level in ipairs(levels) do
  L:save_model(find("25-15-10", 10, 20, level).net, string.format("letters DAE 25-15-10 latent 10 20 copies level %.1f", level),
    F("letters DAE 25-15-10, latent 10, 20 copies, noise level %.1f", level))
end

L:say(T"\nFigures:")
L:figure("letters_denoised.png", T("Letters: originals; for Gaussian noise 0.2 and 0.5 the noisy input, the 25-15-10 " ..
  "DAE (latent 10, 20 copies) trained at that level, and a plain autoencoder of the same shape; then salt-and-pepper " ..
  "0.2 and 0.5 (noise it never saw) and the same DAEs"),
  ae.plot.image_rows(frows, { out = L:path("letters_denoised.png"), image = { 7, 5 }, n = 16, invert = true,
    scale = 12, left = 130, background = 0.0, title = T"Letters: original, noisy, denoised" }))

-- bars for the student: wrong pixels on fresh noise of the training level, by stack and copies
local bar_series = {}
for _, copies in ipairs { 5, 20 } do
  for _, level in ipairs(levels) do
    local c = { label = F("%d copies, level %.1f", copies, level), x = {}, y = {} }
    for i, a in ipairs(arch) do
      c.x[i], c.y[i] = i, find(a.name, 10, copies, level).same[level]
    end
    bar_series[#bar_series + 1] = c
  end
end
L:figure("letters_layers.png", T("Wrong pixels per letter on fresh noise of the training level, for the stacks 25, 25-15 " ..
  "and 25-15-10 (x = 1, 2, 3), latent 10"),
  ae.plot.series(bar_series, { out = L:path("letters_layers.png"), xlabel = T"hidden layers: 1 = 25, 2 = 25-15, 3 = 25-15-10",
    ylabel = T"wrong pixels per letter", title = T"Letters: denoising by stack, copies and level" }))

---------------------------------------------------------------------------
-- Part 2: Fashion-MNIST
---------------------------------------------------------------------------
local train, test = assert(ae.data.fashion_mnist(quick and { limit = 4000, test_limit = 500 } or { limit = 20000, test_limit = 2000 }))
local epochs = quick and 3 or 15
L:say(T"\nPart 2 — Fashion-MNIST (%d training, %d test images), a 784-256-784 autoencoder (ReLU code,",
  train.x:size(1), test.x:size(1))
L:say(T"sigmoid out, BCE, Adam 1e-3, batch 128, %d epochs) for each training noise.", epochs)

local function fashion_net()
  return ae.Autoencoder { encoder = { ae.Dense(784, 256), ae.ReLU() }, decoder = { ae.Dense(256, 784), ae.Sigmoid() } }
end

-- validation: the test images under Gaussian noise 0.5, against the clean ones
local val_noisy = corrupted(test.x, ae.noise.gaussian { std = 0.5 }, 0.5, 999)
-- `file`: the model's file name, English in every language; `name`: what the
-- student reads
local function train_fashion(file, name, noise)
  ae.seed(ae.options.seed)
  local net = fashion_net()
  L:say(T"  %s ...", name)
  local h = net:fit(train.x, { epochs = epochs, batch = 128, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 },
    noise = noise, validation = { x = val_noisy, target = test.x }, verbose = false })
  L:save_model(net, "fashion " .. file, F("Fashion-MNIST 784-256-784: %s", name))
  return { name = name, net = net, history = h }
end

local models = {
  train_fashion("plain AE", T"plain AE", nil),
  train_fashion("DAE, Gaussian 0.2", T"DAE, Gaussian 0.2", ae.noise.gaussian { std = 0.2 }),
  train_fashion("DAE, Gaussian 0.5", T"DAE, Gaussian 0.5", ae.noise.gaussian { std = 0.5 }),
  train_fashion("DAE, schedule 0.1→0.5", T"DAE, schedule 0.1→0.5", ae.noise.gaussian { std = ae.schedule.linear { from = 0.1, to = 0.5,
    epochs = epochs } }),
}

-- sweep: error of every model on the same noisy test sets
local curves, psnr_curves = {}, {}
local sweep_rows = { T"| test std | noisy input |" .. " " .. table.concat((function()
  local t = {} for i, m in ipairs(models) do t[i] = m.name end return t end)(), " | ") .. " |",
  "|---:|---:|" .. string.rep("---:|", #models) }
local input_curve = { label = T"noisy input itself", x = {}, y = {} }
for i, m in ipairs(models) do
  curves[i] = { label = m.name, x = {}, y = {} }
  psnr_curves[i] = { label = m.name, x = {}, y = {} }
end
for k, level in ipairs(sweep) do
  local noisy = corrupted(test.x, ae.noise.gaussian { std = 0.5 }, level, 700 + k)
  local e_in = mse(noisy, test.x)
  input_curve.x[k], input_curve.y[k] = level, e_in
  local cells = { num(level, "%.1f"), fmt("%.4f (%.1f dB)", e_in, psnr(e_in)) }
  for i, m in ipairs(models) do
    local e = mse(m.net:reconstruct(noisy), test.x)
    curves[i].x[k], curves[i].y[k] = level, e
    psnr_curves[i].x[k], psnr_curves[i].y[k] = level, psnr(e)
    cells[#cells + 1] = fmt("%.4f (%.1f dB)", e, psnr(e))
  end
  sweep_rows[#sweep_rows + 1] = "| " .. table.concat(cells, " | ") .. " |"
end
L:section(T"Fashion-MNIST: test MSE against the clean images (PSNR) by test noise level (Gaussian std)",
  table.concat(sweep_rows, "\n"))
for i, m in ipairs(models) do
  local key = ({ "plain", "dae0.2", "dae0.5", "schedule" })[i]
  L:metric("fashion_mse_" .. key .. "_test0.2", curves[i].y[3], F("Fashion-MNIST test MSE at noise 0.2, %s", m.name))
  L:metric("fashion_mse_" .. key .. "_test0.5", curves[i].y[6], F("Fashion-MNIST test MSE at noise 0.5, %s", m.name))
  L:metric("fashion_mse_" .. key .. "_clean", curves[i].y[1], F("Fashion-MNIST test MSE on clean inputs, %s", m.name))
end
L:metric("fashion_mse_noisy_input_0.5", input_curve.y[6], T"MSE of the noisy input itself at noise 0.5")

-- other kinds of noise, never seen in training
local others = { { T"salt-and-pepper p=0.2", ae.noise.salt_pepper { p = 0.2 } },
  { T"masking p=0.5", ae.noise.masking { p = 0.5 } } }
local other_rows = { T"| test noise | noisy input |" .. " " .. table.concat((function()
  local t = {} for i, m in ipairs(models) do t[i] = m.name end return t end)(), " | ") .. " |",
  "|---|---:|" .. string.rep("---:|", #models) }
for k, o in ipairs(others) do
  local noisy = corrupted(test.x, o[2], nil, 800 + k)
  local cells = { o[1], num(mse(noisy, test.x), "%.4f") }
  o.input, o.err = mse(noisy, test.x), {}
  for i, m in ipairs(models) do
    local e = mse(m.net:reconstruct(noisy), test.x)
    o.err[i] = e
    cells[#cells + 1] = num(e, "%.4f")
    if i == 1 or i == 3 then
      L:metric(string.format("fashion_mse_%s_%s", i == 1 and "plain" or "dae0.5", k == 1 and "saltpepper0.2" or "masking0.5"),
        e, F("test MSE under %s, %s", o[1], m.name))
    end
  end
  other_rows[#other_rows + 1] = "| " .. table.concat(cells, " | ") .. " |"
  -- "; " between the numbers where a decimal comma would make ", " ambiguous
  L:say(T"  %s (not seen in training): %s", o[1], table.concat(cells, ae.i18n.decimal == "," and "; " or ", ", 2))
end
L:section(T"Fashion-MNIST: test MSE under noise of another kind than the training noise", table.concat(other_rows, "\n"))

L:say(T"\n  Test MSE against the clean images, by test noise level (std):")
for k, level in ipairs(sweep) do
  local t = {}
  for i = 1, #models do t[i] = num(curves[i].y[k], "%.4f") end
  L:say(T"    %.1f   input %.4f   %s", level, input_curve.y[k], table.concat(t, "  "))
end

local sample = test.x:narrow(1, 1, 10)
local frows = { { T"original", sample } }
for k, level in ipairs(levels) do
  local noisy = corrupted(sample, ae.noise.gaussian { std = 0.5 }, level, 900 + k)
  frows[#frows + 1] = { F("noisy %.1f", level), noisy }
  frows[#frows + 1] = { F("DAE %.1f", level), models[k + 1].net:reconstruct(noisy) }
  frows[#frows + 1] = { T"plain AE", models[1].net:reconstruct(noisy) }
end
L:figure("fashion_denoised.png", T("Fashion-MNIST: originals; for noise 0.2 and 0.5 the noisy input, the DAE trained at that " ..
  "level, and the plain autoencoder on the same input"),
  ae.plot.image_rows(frows, { out = L:path("fashion_denoised.png"), n = 10, left = 130,
    title = T"Fashion-MNIST: original, noisy, denoised" }))
local all = { input_curve }
for _, c in ipairs(curves) do all[#all + 1] = c end
L:figure("error_vs_noise.png", T"Test MSE against the clean images as the test noise grows, one curve per training noise",
  ae.plot.series(all, { out = L:path("error_vs_noise.png"), xlabel = T"test noise (Gaussian std)",
    ylabel = T"MSE against the clean image", logscale = "y", title = T"Reconstruction error against noise level" }))
L:figure("psnr_vs_noise.png", T"The same as PSNR (dB, higher is better)",
  ae.plot.series(psnr_curves, { out = L:path("psnr_vs_noise.png"), xlabel = T"test noise (Gaussian std)",
    ylabel = T"PSNR (dB)", key = "top right", title = T"PSNR of the reconstruction against noise level" }))
local sched = models[4]
L:figure("schedule_loss.png", T("Training loss (BCE on noisy inputs, dashed) and validation loss (test images with noise " ..
  "0.5 against the clean ones, solid) of the fixed-0.5 DAE and the scheduled one"),
  ae.plot.history({ { label = T"fixed 0.5", history = models[3].history }, { label = T"schedule 0.1→0.5", history = sched.history } },
    { out = L:path("schedule_loss.png"), title = T"Noise schedule against a fixed level", ylabel = T"BCE per pixel" }))


---------------------------------------------------------------------------
-- What the numbers say (from this run's numbers)
---------------------------------------------------------------------------
local say = {}
local function avg(t) local s = 0 for _, v in ipairs(t) do s = s + v end return s / #t end
-- copies: 5 against 20, each stack and level, on fresh noise of the training level
local better20, pairs_n, e5, e20 = 0, 0, {}, {}
for _, a in ipairs(arch) do
  for _, level in ipairs(levels) do
    local r5, r20 = find(a.name, 10, 5, level), find(a.name, 10, 20, level)
    pairs_n = pairs_n + 1
    if r20.same[level] < r5.same[level] then better20 = better20 + 1 end
    e5[#e5 + 1], e20[#e20 + 1] = r5.same[level], r20.same[level]
  end
end
-- Each sentence is a template; its numbers and clauses come from this run.
say[#say + 1] = better20 >= pairs_n - 1 and F("- Noisy copies: with 20 copies per letter instead of 5 the error on " ..
    "fresh noise of the training level is lower in %d of %d cases (stacks × levels), %.2f against %.2f wrong pixels " ..
    "per letter on average — the course's \"more copies help\" holds.", better20, pairs_n, avg(e20), avg(e5))
  or better20 <= 1 and F("- Noisy copies: with 20 copies per letter instead of 5 the error on fresh noise of the " ..
    "training level is lower in %d of %d cases (stacks × levels), %.2f against %.2f wrong pixels per letter on " ..
    "average — the opposite of the course's \"more copies help\".", better20, pairs_n, avg(e20), avg(e5))
  or F("- Noisy copies: with 20 copies per letter instead of 5 the error on fresh noise of the training level is " ..
    "lower in %d of %d cases (stacks × levels), %.2f against %.2f wrong pixels per letter on average.", better20,
    pairs_n, avg(e20), avg(e5))
-- memorizing a fixed set of noisy copies
local tr_err, fresh_err = {}, {}
for _, r in ipairs(runs) do
  if r.level > 0 then tr_err[#tr_err + 1], fresh_err[#fresh_err + 1] = r.train_wrong, r.same[r.level] end
end
say[#say + 1] = F("- A fixed set of noisy copies can be memorized: on their own training copies the DAEs " ..
  "leave %.2f wrong pixels per letter on average, on fresh noise of the same level %.2f. The fewer the copies, the " ..
  "easier to memorize their particular noise instead of the letters — which is why more copies help.", avg(tr_err),
  avg(fresh_err))
-- what the course's DAE answers: its own letter, another letter of the font, or no letter
local font = lx:totable()
local function answers(net, noisy)
  local out = net:reconstruct(noisy):totable()
  local own, other = 0, 0
  for i, row in ipairs(out) do
    local truth = (i - 1) % NL + 1
    for k = 1, NL do
      local same = true
      for j = 1, 35 do
        if (row[j] > 0.5 and 1 or 0) ~= font[k][j] then same = false; break end
      end
      if same then
        if k == truth then own = own + 1 else other = other + 1 end
        break
      end
    end
  end
  return own / #out, other / #out
end
local ans = {}
for _, level in ipairs(levels) do
  local own, other = answers(find("25-15-10", 10, 20, level).net, tests[level].gauss)
  ans[level] = { own = own, other = other }
  L:metric(string.format("letters_snapped_other_%.1f", level), other, F("letters: share of noisy test " ..
    "letters (Gaussian %.1f) the 25-15-10 DAE (20 copies) turns into another letter of the font, exactly", level))
end
say[#say + 1] = F("- What the DAE answers (25-15-10, 20 copies, fresh Gaussian noise of its level): at " ..
  "0.2 it gives back exactly the right letter for %.0f%% of the noisy letters and exactly another letter of the " ..
  "font for %.0f%%; at 0.5, %.0f%% and %.0f%% (the rest are not letters of the font). A DAE projects onto what it " ..
  "learned: a letter it turns into another letter of the font is denoised cleanly, but wrongly (see the figure).",
  100 * ans[0.2].own, 100 * ans[0.2].other, 100 * ans[0.5].own, 100 * ans[0.5].other)
-- layers
local by_arch = {}
for i, a in ipairs(arch) do
  local t = {}
  for _, copies in ipairs { 5, 20 } do
    for _, level in ipairs(levels) do t[#t + 1] = find(a.name, 10, copies, level).same[level] end
  end
  by_arch[i] = avg(t)
end
local best_i = 1
for i = 2, #arch do if by_arch[i] < by_arch[best_i] then best_i = i end end
say[#say + 1] = F("- Layers: averaged over copies and levels, the stacks 25, 25-15 and 25-15-10 leave " ..
  "%.2f, %.2f and %.2f wrong pixels per letter; the best here is %s.", by_arch[1], by_arch[2], by_arch[3],
  arch[best_i].name) .. " " .. (best_i == 3 and T"That agrees with the course (more layers help)." or
  by_arch[3] > by_arch[1] and F("The course found that more layers help; with %d Adam steps the deeper stacks here " ..
  "do worse — they have more to fit from the same few examples, and the course also found that no single number " ..
  "of layers is right.", steps) or
  F("The course found that more layers help; with %d Adam steps the deeper stacks here do no better — they have " ..
  "more to fit from the same few examples, and the course also found that no single number of layers is right.",
  steps))
-- latent
local l2, l10 = {}, {}
for _, level in ipairs(levels) do
  l2[#l2 + 1] = find("25-15-10", 2, 20, level).same[level]
  l10[#l10 + 1] = find("25-15-10", 10, 20, level).same[level]
end
say[#say + 1] = avg(l10) < avg(l2) and F("- Latent units: 25-15-10 with 20 copies leaves %.2f wrong pixels per " ..
    "letter with a latent of 10 against %.2f with lesson 03's latent of 2 (mean of both levels): more latent units " ..
    "help, as the course says.", avg(l10), avg(l2))
  or F("- Latent units: 25-15-10 with 20 copies leaves %.2f wrong pixels per letter with a latent of 10 against " ..
    "%.2f with lesson 03's latent of 2 (mean of both levels).", avg(l10), avg(l2))
-- levels
local r2, r5 = find("25-15-10", 10, 20, 0.2), find("25-15-10", 10, 20, 0.5)
say[#say + 1] = F("- More noise hurts: the 25-15-10 DAE (20 copies) trained and tested at 0.2 leaves %.2f " ..
  "wrong pixels per letter, trained and tested at 0.5 %.2f (its input had %.2f and %.2f).", r2.same[0.2], r5.same[0.5],
  baseline[0.2].same, baseline[0.5].same) .. " " .. (r5.same[0.5] < r2.same[0.5] and
  F("Tested at 0.5, the one trained at 0.5 does better than the one trained at 0.2 (%.2f against %.2f); on clean " ..
    "letters the one trained at 0.5 makes %.2f errors per letter, the one trained at 0.2 %.2f.", r5.same[0.5],
    r2.same[0.5], r5.clean_wrong, r2.clean_wrong) or
  F("Tested at 0.5, the one trained at 0.5 does worse than the one trained at 0.2 (%.2f against %.2f); on clean " ..
    "letters the one trained at 0.5 makes %.2f errors per letter, the one trained at 0.2 %.2f.", r5.same[0.5],
    r2.same[0.5], r5.clean_wrong, r2.clean_wrong))
-- other kind: mean error of the DAEs (latent 10) trained at each level, on both kinds of that level
local per = {}
for _, level in ipairs(levels) do
  local same_t, other_t = {}, {}
  for _, r in ipairs(runs) do
    if r.level == level and r.latent == 10 then
      same_t[#same_t + 1], other_t[#other_t + 1] = r.same[level], r.other[level]
    end
  end
  per[level] = { same = avg(same_t), other = avg(other_t) }
end
say[#say + 1] = F("- Noise of another kind: the DAEs trained at 0.5 take Gaussian noise of 0.5 from %.2f " ..
  "wrong pixels per letter to %.2f on average, and salt-and-pepper 0.5 (never seen) from %.2f to %.2f. Trained at 0.2: " ..
  "Gaussian 0.2 from %.2f to %.2f, salt-and-pepper 0.2 from %.2f to %.2f.",
  baseline[0.5].same, per[0.5].same, baseline[0.5].other, per[0.5].other, baseline[0.2].same, per[0.2].same,
  baseline[0.2].other, per[0.2].other) .. " " .. (per[0.2].same > baseline[0.2].same and
  T("Gaussian noise of 0.2 hardly crosses the 0.5 threshold, so there the models' own errors exceed the few pixels " ..
    "the noise flipped.") or
  T"Gaussian noise of 0.2 hardly crosses the 0.5 threshold, so there the models remove what little it flipped.") ..
  " " .. F("The plain autoencoder, trained on clean letters only, makes %.2f and %.2f errors per " ..
  "letter on Gaussian 0.2 and 0.5, against %.2f and %.2f for the 25-15-10 DAEs (20 copies).",
  plain.same[0.2], plain.same[0.5], r2.same[0.2], r5.same[0.5])
-- Fashion-MNIST
local function at(curve, level) for k, l in ipairs(sweep) do if l == level then return curve.y[k] end end end
say[#say + 1] = F("- Fashion-MNIST, test noise 0.5: the noisy input's MSE is %.4f; the plain autoencoder " ..
  "brings it to %.4f, the DAE trained at 0.2 to %.4f, at 0.5 to %.4f, the schedule 0.1→0.5 to %.4f.",
  input_curve.y[6], at(curves[1], 0.5), at(curves[2], 0.5), at(curves[3], 0.5), at(curves[4], 0.5)) .. " " ..
  (at(curves[3], 0) > at(curves[1], 0) and
  F("On clean inputs the DAE trained at 0.5 reconstructs worse than the plain one (%.4f against %.4f): denoising " ..
    "costs some detail.", at(curves[3], 0), at(curves[1], 0)) or
  F("On clean inputs the DAE trained at 0.5 reconstructs better than the plain one (%.4f against %.4f): denoising " ..
    "costs some detail.", at(curves[3], 0), at(curves[1], 0)))
for _, o in ipairs(others) do
  say[#say + 1] = o.err[3] < o.err[1] and
    F("- Fashion-MNIST, %s (never seen in training): the input's MSE is %.4f, the plain " ..
      "AE's %.4f, the Gaussian-0.5 DAE's %.4f — the DAE does better on it.", o[1], o.input, o.err[1], o.err[3]) or
    F("- Fashion-MNIST, %s (never seen in training): the input's MSE is %.4f, the plain " ..
      "AE's %.4f, the Gaussian-0.5 DAE's %.4f — the plain AE does better on it.", o[1], o.input, o.err[1], o.err[3])
end
L:section(T"What the numbers say", table.concat(say, "\n"))
L:say(T"\nWhat the numbers say:\n%s", table.concat(say, "\n"))

L:metric("schedule_val_bce", sched.history.val_loss[epochs], T"validation BCE at noise 0.5 after training, schedule 0.1→0.5")
L:metric("fixed_val_bce", models[3].history.val_loss[epochs], T"validation BCE at noise 0.5 after training, fixed 0.5")
L:say(T"\n  Denoising BCE on the test images at noise 0.5 after training: fixed 0.5 %.4f, schedule 0.1→0.5 %.4f.",
  models[3].history.val_loss[epochs], sched.history.val_loss[epochs])
L:metric("val_loss", models[3].history.val_loss[epochs], T"validation BCE of the DAE trained at 0.5 (test images with noise 0.5)")
L:metric("letter_steps", steps, T"letters: full-batch Adam steps per model")
L:metric("epochs", epochs, T"Fashion-MNIST: epochs per model")
L:metric("seconds_plain", models[1].history.total_seconds, T"Fashion-MNIST: training seconds, plain AE")
L:metric("seconds_dae", models[3].history.total_seconds, T"Fashion-MNIST: training seconds, DAE 0.5")
L:finish()
