-- Lesson 05 — denoising autoencoders.
--
-- Question: if an autoencoder sees a corrupted input x̃ and must give back
-- the clean x, minimizing L(x, g(f(x̃))), does it learn to remove noise — and
-- how does that depend on the noise it was trained with? First on the 7×5
-- letters (the course's exercise: levels 0.2 and 0.5), then on Fashion-MNIST,
-- with a sweep over levels, another kind of noise, and a noise schedule.
--
--   ./aelab lessons/05_denoising.lua          (a few minutes)
--   ./aelab --quick lessons/05_denoising.lua  (seconds)
local ae = require "aelab"

local L = ae.Lesson.new {
  name = "05_denoising",
  title = "Lesson 05 — denoising autoencoders",
  question = "Trained to map corrupted inputs back to clean ones, does an autoencoder remove noise?\n" ..
    "How well at each noise level, and on noise it was not trained with?",
}

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
-- Part 1: the letters
---------------------------------------------------------------------------
local letters = ae.data.letters()
local lx = letters.x
local letter_epochs = quick and 600 or 3000
L:say("Part 1 — the %d letters of the 7×5 font, Gaussian noise (std = level) clipped to [0, 1].", lx:size(1))
L:say("A 35-64-35 autoencoder (ReLU code, sigmoid out, BCE) per training level, %d full-batch epochs;", letter_epochs)
L:say("every epoch draws fresh noise, so the network sees %d noisy copies of each letter.", letter_epochs)

local function letter_net()
  return ae.Autoencoder { encoder = { ae.Dense(35, 64), ae.ReLU() }, decoder = { ae.Dense(64, 35), ae.Sigmoid() } }
end

local gauss = ae.noise.gaussian { std = 0.5, clip = { 0, 1 } }
local letter_models = {}
for _, level in ipairs { 0, 0.2, 0.5 } do
  ae.seed(ae.options.seed)
  local net = letter_net()
  net:fit(lx, { epochs = letter_epochs, batch = 32, loss = "bce", optimizer = ae.optim.Adam { lr = 3e-3 },
    noise = level > 0 and ae.noise.gaussian { std = level, clip = { 0, 1 } } or nil, verbose = false })
  letter_models[#letter_models + 1] = { level = level, net = net,
    name = level == 0 and "plain AE" or string.format("DAE trained at %.1f", level) }
  L:save_model(net, "letters " .. letter_models[#letter_models].name)
end

-- wrong pixels after thresholding at 0.5, summed over the font
local function wrong_pixels(r, clean)
  local n = 0
  local rt, xt = r:totable(), clean:totable()
  for i = 1, #rt do
    for j = 1, 35 do if (rt[i][j] > 0.5 and 1 or 0) ~= xt[i][j] then n = n + 1 end end
  end
  return n
end

-- 20 noisy copies of the font per test level, the same for every model
local copies = quick and 5 or 20
local function noisy_font(level, seed)
  local big = ae.zeros(copies * lx:size(1), 35)
  for c = 1, copies do big:narrow(1, (c - 1) * lx:size(1) + 1, lx:size(1)):copy(lx) end
  return big, corrupted(big, gauss, level, seed)
end

local letter_rows = { "| test noise | noisy input: wrong pixels per letter | " ..
  table.concat((function() local t = {} for i, m in ipairs(letter_models) do t[i] = m.name end return t end)(), " | ") ..
  " |", "|---:|---:|" .. string.rep("---:|", #letter_models) }
for k, level in ipairs { 0.2, 0.5 } do
  local clean, noisy = noisy_font(level, 500 + k)
  local cells = { string.format("%.1f", level), string.format("%.2f", wrong_pixels(noisy, clean) / noisy:size(1)) }
  for _, m in ipairs(letter_models) do
    local w = wrong_pixels(m.net:reconstruct(noisy), clean) / noisy:size(1)
    cells[#cells + 1] = string.format("%.2f", w)
    L:metric(string.format("letters_wrong_px_%s_test%.1f", m.level == 0 and "plain" or string.format("dae%.1f", m.level),
      level), w, string.format("letters: wrong pixels per letter, %s, test noise %.1f", m.name, level))
  end
  L:say("  test noise %.1f: noisy inputs have %s wrong pixels per letter; denoised: %s", level, cells[2],
    table.concat(cells, ", ", 3))
  letter_rows[#letter_rows + 1] = "| " .. table.concat(cells, " | ") .. " |"
end
L:section("Letters: wrong pixels per letter after thresholding at 0.5 (" .. copies .. " noisy copies of the font)",
  table.concat(letter_rows, "\n"))

-- figure: for each level, original / noisy / denoised by the DAE of that level
local show = lx:narrow(1, 2, 16) -- a..p
local rows = { { "original", show } }
for k, level in ipairs(levels) do
  local noisy = corrupted(show, gauss, level, 600 + k)
  rows[#rows + 1] = { string.format("noisy %.1f", level), noisy }
  rows[#rows + 1] = { string.format("DAE %.1f", level), letter_models[k + 1].net:reconstruct(noisy) }
  rows[#rows + 1] = { "plain AE", letter_models[1].net:reconstruct(noisy) }
end

L:say("\nFigures:")
L:figure("letters_denoised.png", "Letters: originals; then for noise 0.2 and 0.5 the noisy input, the DAE trained at that " ..
  "level, and a plain autoencoder given the same noisy input",
  ae.plot.image_rows(rows, { out = L:path("letters_denoised.png"), image = { 7, 5 }, n = 16, invert = true,
    scale = 12, left = 110, background = 0.0, title = "Letters: original, noisy, denoised" }))

---------------------------------------------------------------------------
-- Part 2: Fashion-MNIST
---------------------------------------------------------------------------
local train, test = assert(ae.data.fashion_mnist(quick and { limit = 4000, test_limit = 500 } or { limit = 20000, test_limit = 2000 }))
local epochs = quick and 3 or 15
L:say("\nPart 2 — Fashion-MNIST (%d training, %d test images), a 784-256-784 autoencoder (ReLU code,",
  train.x:size(1), test.x:size(1))
L:say("sigmoid out, BCE, Adam 1e-3, batch 128, %d epochs) for each training noise.", epochs)

local function fashion_net()
  return ae.Autoencoder { encoder = { ae.Dense(784, 256), ae.ReLU() }, decoder = { ae.Dense(256, 784), ae.Sigmoid() } }
end

-- validation: the test images under Gaussian noise 0.5, against the clean ones
local val_noisy = corrupted(test.x, ae.noise.gaussian { std = 0.5 }, 0.5, 999)
local function train_fashion(name, noise)
  ae.seed(ae.options.seed)
  local net = fashion_net()
  L:say("  %s ...", name)
  local h = net:fit(train.x, { epochs = epochs, batch = 128, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-3 },
    noise = noise, validation = { x = val_noisy, target = test.x }, verbose = false })
  L:save_model(net, "fashion " .. name)
  return { name = name, net = net, history = h }
end

local models = {
  train_fashion("plain AE", nil),
  train_fashion("DAE, Gaussian 0.2", ae.noise.gaussian { std = 0.2 }),
  train_fashion("DAE, Gaussian 0.5", ae.noise.gaussian { std = 0.5 }),
  train_fashion("DAE, schedule 0.1→0.5", ae.noise.gaussian { std = ae.schedule.linear { from = 0.1, to = 0.5,
    epochs = epochs } }),
}

-- sweep: error of every model on the same noisy test sets
local curves, psnr_curves = {}, {}
local sweep_rows = { "| test std | noisy input | " .. table.concat((function()
  local t = {} for i, m in ipairs(models) do t[i] = m.name end return t end)(), " | ") .. " |",
  "|---:|---:|" .. string.rep("---:|", #models) }
local input_curve = { label = "noisy input itself", x = {}, y = {} }
for i, m in ipairs(models) do
  curves[i] = { label = m.name, x = {}, y = {} }
  psnr_curves[i] = { label = m.name, x = {}, y = {} }
end
for k, level in ipairs(sweep) do
  local noisy = corrupted(test.x, ae.noise.gaussian { std = 0.5 }, level, 700 + k)
  local e_in = mse(noisy, test.x)
  input_curve.x[k], input_curve.y[k] = level, e_in
  local cells = { string.format("%.1f", level), string.format("%.4f (%.1f dB)", e_in, psnr(e_in)) }
  for i, m in ipairs(models) do
    local e = mse(m.net:reconstruct(noisy), test.x)
    curves[i].x[k], curves[i].y[k] = level, e
    psnr_curves[i].x[k], psnr_curves[i].y[k] = level, psnr(e)
    cells[#cells + 1] = string.format("%.4f (%.1f dB)", e, psnr(e))
  end
  sweep_rows[#sweep_rows + 1] = "| " .. table.concat(cells, " | ") .. " |"
end
L:section("Fashion-MNIST: test MSE against the clean images (PSNR) by test noise level (Gaussian std)",
  table.concat(sweep_rows, "\n"))
for i, m in ipairs(models) do
  local key = ({ "plain", "dae0.2", "dae0.5", "schedule" })[i]
  L:metric("fashion_mse_" .. key .. "_test0.2", curves[i].y[3], "Fashion-MNIST test MSE at noise 0.2, " .. m.name)
  L:metric("fashion_mse_" .. key .. "_test0.5", curves[i].y[6], "Fashion-MNIST test MSE at noise 0.5, " .. m.name)
  L:metric("fashion_mse_" .. key .. "_clean", curves[i].y[1], "Fashion-MNIST test MSE on clean inputs, " .. m.name)
end
L:metric("fashion_mse_noisy_input_0.5", input_curve.y[6], "MSE of the noisy input itself at noise 0.5")

-- other kinds of noise, never seen in training
local others = { { "salt-and-pepper p=0.2", ae.noise.salt_pepper { p = 0.2 } }, { "masking p=0.5", ae.noise.masking { p = 0.5 } } }
local other_rows = { "| test noise | noisy input | " .. table.concat((function()
  local t = {} for i, m in ipairs(models) do t[i] = m.name end return t end)(), " | ") .. " |",
  "|---|---:|" .. string.rep("---:|", #models) }
for k, o in ipairs(others) do
  local noisy = corrupted(test.x, o[2], nil, 800 + k)
  local cells = { o[1], string.format("%.4f", mse(noisy, test.x)) }
  for i, m in ipairs(models) do
    local e = mse(m.net:reconstruct(noisy), test.x)
    cells[#cells + 1] = string.format("%.4f", e)
    if i == 1 or i == 3 then
      L:metric(string.format("fashion_mse_%s_%s", i == 1 and "plain" or "dae0.5", k == 1 and "saltpepper0.2" or "masking0.5"),
        e, string.format("test MSE under %s, %s", o[1], m.name))
    end
  end
  other_rows[#other_rows + 1] = "| " .. table.concat(cells, " | ") .. " |"
  L:say("  %s (not seen in training): %s", o[1], table.concat(cells, ", ", 2))
end
L:section("Fashion-MNIST: test MSE under noise of another kind than the training noise", table.concat(other_rows, "\n"))

L:say("\n  Test MSE against the clean images, by test noise level (std):")
for k, level in ipairs(sweep) do
  local t = {}
  for i = 1, #models do t[i] = string.format("%.4f", curves[i].y[k]) end
  L:say("    %.1f   input %.4f   %s", level, input_curve.y[k], table.concat(t, "  "))
end

local sample = test.x:narrow(1, 1, 10)
local frows = { { "original", sample } }
for k, level in ipairs(levels) do
  local noisy = corrupted(sample, ae.noise.gaussian { std = 0.5 }, level, 900 + k)
  frows[#frows + 1] = { string.format("noisy %.1f", level), noisy }
  frows[#frows + 1] = { string.format("DAE %.1f", level), models[k + 1].net:reconstruct(noisy) }
  frows[#frows + 1] = { "plain AE", models[1].net:reconstruct(noisy) }
end
L:figure("fashion_denoised.png", "Fashion-MNIST: originals; for noise 0.2 and 0.5 the noisy input, the DAE trained at that " ..
  "level, and the plain autoencoder on the same input",
  ae.plot.image_rows(frows, { out = L:path("fashion_denoised.png"), n = 10, left = 110,
    title = "Fashion-MNIST: original, noisy, denoised" }))
local all = { input_curve }
for _, c in ipairs(curves) do all[#all + 1] = c end
L:figure("error_vs_noise.png", "Test MSE against the clean images as the test noise grows, one curve per training noise",
  ae.plot.series(all, { out = L:path("error_vs_noise.png"), xlabel = "test noise (Gaussian std)",
    ylabel = "MSE against the clean image", logscale = "y", title = "Reconstruction error against noise level" }))
L:figure("psnr_vs_noise.png", "The same as PSNR (dB, higher is better)",
  ae.plot.series(psnr_curves, { out = L:path("psnr_vs_noise.png"), xlabel = "test noise (Gaussian std)",
    ylabel = "PSNR (dB)", key = "top right", title = "PSNR of the reconstruction against noise level" }))
local sched = models[4]
L:figure("schedule_loss.png", "Training loss (BCE on noisy inputs, dashed) and validation loss (test images with noise " ..
  "0.5 against the clean ones, solid) of the fixed-0.5 DAE and the scheduled one",
  ae.plot.history({ { label = "fixed 0.5", history = models[3].history }, { label = "schedule 0.1→0.5", history = sched.history } },
    { out = L:path("schedule_loss.png"), title = "Noise schedule against a fixed level", ylabel = "BCE per pixel" }))

L:metric("schedule_val_bce", sched.history.val_loss[epochs], "validation BCE at noise 0.5 after training, schedule 0.1→0.5")
L:metric("fixed_val_bce", models[3].history.val_loss[epochs], "validation BCE at noise 0.5 after training, fixed 0.5")
L:say("\n  Denoising BCE on the test images at noise 0.5 after training: fixed 0.5 %.4f, schedule 0.1→0.5 %.4f.",
  models[3].history.val_loss[epochs], sched.history.val_loss[epochs])
L:metric("val_loss", models[3].history.val_loss[epochs], "validation BCE of the DAE trained at 0.5 (test images with noise 0.5)")
L:metric("letter_epochs", letter_epochs, "letters: full-batch epochs per model")
L:metric("epochs", epochs, "Fashion-MNIST: epochs per model")
L:metric("seconds_plain", models[1].history.total_seconds, "Fashion-MNIST: training seconds, plain AE")
L:metric("seconds_dae", models[3].history.total_seconds, "Fashion-MNIST: training seconds, DAE 0.5")
L:finish()
