-- Lessons run end to end in --quick mode, as a student would run them.
local lu = require "luaunit"

local H = require "helpers"

local bin = H.BIN
local read, png_size = H.read, H.png_size

-- Each test writes into a fresh folder (self.out), removed afterwards even
-- when the test fails.
local function outdir(class)
  function class:setUp() self.out = H.tmpdir() end
  function class:tearDown() H.rmdir(self.out) end
  return class
end

-- Runs a command: success, and its stdout then stderr.
local function run(cmd)
  local out, err, code = H.run(cmd)
  return code == 0, out .. err
end

TestLesson01 = outdir {}

function TestLesson01:testQuickRunWritesEverything()
  local out = self.out
  local ok, text = run(string.format("%s --quick --out %q lessons/01_undercomplete.lua", bin, out))
  lu.assertTrue(ok, "lesson 01 failed:\n" .. text)
  local dir = out .. "/01_undercomplete/"
  for _, f in ipairs { "loss.png", "reconstructions.png", "latent.png" } do
    local w, h = png_size(dir .. f)
    lu.assertNotNil(w, f .. " is missing or not a PNG")
    lu.assertTrue(w >= 300 and h >= 100, string.format("%s is only %dx%d", f, w, h))
    lu.assertNotNil(read(dir .. f:gsub("%.png$", ".gp")), f .. " has no .gp script beside it")
    lu.assertStrContains(text, dir .. f, false)
  end
  local metrics = read(dir .. "metrics.json")
  lu.assertNotNil(metrics, "no metrics.json")
  for _, key in ipairs { "train_loss", "val_loss", "epochs", "seconds", "samples_per_s", "parameters" } do
    lu.assertStrContains(metrics, '"' .. key .. '"')
  end
  lu.assertStrContains(metrics, '"parameters": 50992')
  local val = tonumber(metrics:match('"val_loss": ([%d%.]+)'))
  lu.assertTrue(val and val < 0.69, "validation loss did not drop below chance: " .. tostring(val))
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "![")
  lu.assertStrContains(report, "val_loss")
  lu.assertStrContains(read(out .. "/README.md"), "01_undercomplete/report.md")
  -- the narration tells where things went
  lu.assertStrContains(text, "Report: " .. dir .. "report.md")
  -- the trained model beside the figures, listed in the report, loadable
  lu.assertStrContains(text, "model: " .. dir .. "autoencoder.safetensors")
  lu.assertStrContains(report, "[`autoencoder.safetensors`](autoencoder.safetensors)")
  local net = require("aelab").load(dir .. "autoencoder.safetensors")
  lu.assertEquals(net:param_count(), 50992)
end

function TestLesson01:testWithoutGnuplotStillWritesMetrics()
  local out = self.out
  local ok, text = run(string.format("AELAB_GNUPLOT=/nonexistent/gnuplot %s --quick --out %q lessons/01_undercomplete.lua",
    bin, out))
  lu.assertTrue(ok, "lesson 01 failed without gnuplot:\n" .. text)
  local dir = out .. "/01_undercomplete/"
  lu.assertNotNil(read(dir .. "metrics.json"))
  lu.assertNil(read(dir .. "loss.png"))
  lu.assertNotNil(read(dir .. "loss.gp"), "the figure's script and data are still written")
  local _, notices = text:gsub("gnuplot not found", "")
  lu.assertEquals(notices, 1, "the missing gnuplot is said exactly once")
  lu.assertStrContains(read(dir .. "report.md"), "skipped")
end

---------------------------------------------------------------------------
-- Lessons 02–04 in --quick mode. A helper runs a lesson into an out folder
-- and checks what every lesson promises: exit 0, each figure it names in
-- its narration a valid PNG of the size its .gp script asks for (the script
-- beside it), report.md with the figures and metric keys, metrics.json, and
-- out/README.md listing every lesson in that folder.
---------------------------------------------------------------------------

-- metrics.json is a flat object: numbers, strings and booleans.
local function read_metrics(path)
  local s = read(path)
  if not s then return nil end
  local m = {}
  for key, raw in s:gmatch('"([^"]+)":%s*([^,\n}]+)') do
    raw = raw:gsub("%s+$", "")
    if raw == "true" or raw == "false" then m[key] = raw == "true"
    elseif raw:sub(1, 1) == '"' then m[key] = raw:sub(2, -2)
    else m[key] = tonumber(raw) end
  end
  return m
end

local function finite_positive(v) return type(v) == "number" and v > 0 and v < math.huge and v == v end

-- Runs lesson `name` with --quick into `out`; returns its folder, narration, metrics.
local function run_lesson(name, out)
  local t0 = os.time()
  local ok, text = run(string.format("%s --quick --out %q lessons/%s.lua", bin, out, name))
  lu.assertTrue(ok, "lesson " .. name .. " failed:\n" .. text)
  local dir = out .. "/" .. name .. "/"
  lu.assertStrContains(text, "[--quick: a small, fast run]")
  lu.assertStrContains(text, "Report: " .. dir .. "report.md")
  -- every figure the narration names
  local figures = {}
  for path in text:gmatch("figure: (%S+%.png) ") do
    lu.assertEquals(path:sub(1, #dir), dir, "figure outside the lesson folder: " .. path)
    local w, h = png_size(path)
    lu.assertNotNil(w, path .. " is missing or not a PNG")
    lu.assertTrue(w >= 200 and h >= 100, string.format("%s is only %dx%d", path, w, h))
    local gp = read(path:gsub("%.png$", ".gp"))
    lu.assertNotNil(gp, path .. " has no .gp script beside it")
    local gw, gh = gp:match("set terminal pngcairo size (%d+),(%d+)")
    lu.assertEquals({ w, h }, { tonumber(gw), tonumber(gh) }, path .. ": not the size its script asks for")
    figures[#figures + 1] = path:sub(#dir + 1)
  end
  -- the report shows each figure and names each metric
  local report = read(dir .. "report.md")
  lu.assertNotNil(report, "no report.md")
  for _, f in ipairs(figures) do lu.assertStrContains(report, "](" .. f .. ")") end
  lu.assertNotStrContains(report, "skipped (gnuplot was not available)")
  local metrics = read_metrics(dir .. "metrics.json")
  lu.assertNotNil(metrics, "no metrics.json")
  for key in pairs(metrics) do lu.assertStrContains(report, "`" .. key .. "`") end
  lu.assertEquals(metrics.quick, true)
  lu.assertTrue(finite_positive(metrics.seconds_total))
  lu.assertTrue(metrics.seconds_total <= os.time() - t0 + 2)
  -- the index lists every lesson that has run into this out folder, each
  -- with a headline figure that exists
  local index = read(out .. "/README.md")
  lu.assertNotNil(index, "no README.md in " .. out)
  local p = io.popen(string.format("ls %q/*/metrics.json", out))
  local n = 0
  for m in p:lines() do
    local lesson = m:match("([^/]+)/metrics%.json$")
    lu.assertStrContains(index, "(" .. lesson .. "/report.md)")
    n = n + 1
  end
  p:close()
  local _, rows = index:gsub("\n| %[", "")
  lu.assertEquals(rows, n, "one row per lesson in README.md:\n" .. index)
  for fig in index:gmatch("!%[%]%(([^)]+)%)") do
    lu.assertNotNil(png_size(out .. "/" .. fig), "README.md shows a missing figure: " .. fig)
  end
  return dir, text, metrics, figures
end

local function assert_figures(figures, expected)
  table.sort(figures)
  table.sort(expected)
  lu.assertEquals(figures, expected)
end

TestLesson02 = outdir {}

function TestLesson02:testQuickRun()
  local out = self.out
  run_lesson("03_letters", out) -- a second lesson in the same out folder: the index lists both
  local dir, _, m, figures = run_lesson("02_linear_vs_pca", out)
  assert_figures(figures, { "pca_vs_linear.png", "pca_vs_relu.png", "angles.png", "reconstructions.png", "loss.png" })
  for _, k in ipairs { 2, 32 } do
    for _, model in ipairs { "pca", "linear", "relu" } do
      local key = model .. "_mse_k" .. k
      lu.assertTrue(finite_positive(m[key]), key .. " = " .. tostring(m[key]))
    end
    local max, median = m["max_angle_k" .. k], m["median_angle_k" .. k]
    lu.assertTrue(type(max) == "number" and max >= 0 and max <= 90.001, "max_angle_k" .. k .. " = " .. tostring(max))
    lu.assertTrue(type(median) == "number" and median >= 0 and median <= max + 1e-9,
      "median_angle_k" .. k .. " = " .. tostring(median))
  end
  -- more components, less error: PCA is optimal for each k (the autoencoders
  -- of a quick run are not trained long enough to be compared with it)
  lu.assertTrue(m.pca_mse_k32 < m.pca_mse_k2, string.format("PCA: k=32 %g, k=2 %g", m.pca_mse_k32, m.pca_mse_k2))
  lu.assertEquals(m.epochs, 3)
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "## Test reconstruction error")
  lu.assertStrContains(report, "## Principal angles between the subspaces")
  lu.assertStrContains(read(out .. "/README.md"), "(03_letters/report.md)")
end

TestLesson03 = outdir {}

function TestLesson03:testQuickRun()
  local out = self.out
  local dir, text, m, figures = run_lesson("03_letters", out)
  local expected = { "loss_by_evaluations.png", "loss_by_seconds.png", "architectures.png", "subset.png",
    "adam_spikes.png", "adam_steps.png", "latent.png", "manifold.png", "reconstructions.png" }
  lu.assertEquals(type(m.new_letter), "string")
  if m.new_letter ~= "none" then
    lu.assertStrMatches(m.new_letter, "%a|%a")
    expected[#expected + 1] = "interpolation.png"
    expected[#expected + 1] = "new_letter.png"
    lu.assertStrContains(text, "A new symbol")
  end
  assert_figures(figures, expected)
  for _, k in ipairs { "powell", "lbfgs", "adam" } do
    local e = m[k .. "_pixel_errors"]
    lu.assertEquals(math.type(e), "integer", k)
    lu.assertTrue(e >= 0 and e <= 32 * 35, k)
    lu.assertTrue(finite_positive(m[k .. "_loss"]) and m[k .. "_loss"] < 0.69, k .. " lowered the loss")
  end
  lu.assertEquals(m.powell_evals, 6000) -- --quick: Powell's evaluation budget
  lu.assertTrue(m.lbfgs_evals >= 100, "L-BFGS's 100 iterations")
  lu.assertTrue(m.worst_pixel_errors >= 0 and m.worst_pixel_errors <= 35)
  local report = read(dir .. "report.md")
  for _, h in ipairs { "## The slides' run", "## Wrong pixels per letter", "## Intermediate layers", "## A subset of the letters",
    "## What the numbers say" } do
    lu.assertStrContains(report, h)
  end
  -- the font's symbols label the scatter, as plain text
  local gp = read(dir .. "latent.gp")
  lu.assertStrContains(gp, "noenhanced notitle")
  lu.assertStrContains(gp, '"{"') -- a data column (datablocks run no backquotes)
end

TestLesson04 = outdir {}

function TestLesson04:testQuickRun()
  local out = self.out
  run_lesson("03_letters", out)
  local dir, text, m, figures = run_lesson("04_deep", out)
  assert_figures(figures, { "mnist_reconstructions.png", "mnist_loss.png", "fashion_reconstructions.png",
    "fashion_loss.png" })
  for _, key in ipairs { "mnist_shallow_val_loss", "mnist_deep_val_loss", "fashion_shallow_val_loss",
    "fashion_deep_val_loss" } do
    lu.assertTrue(finite_positive(m[key]) and m[key] < 0.69, key .. " = " .. tostring(m[key]) ..
      " (not below a constant 0.5 prediction)")
  end
  lu.assertEquals(m.epochs, 4)
  lu.assertStrContains(text, "train 3000, test 500 images")
  -- snapshots after 2, 3 and 4 epochs for both models, under the originals
  local gp = read(dir .. "mnist_reconstructions.gp")
  for _, row in ipairs { "'original'", "'shallow, 2 ep.'", "'shallow, 4 ep.'", "'deep, 3 ep.'", "'deep, 4 ep.'" } do
    lu.assertStrContains(gp, row)
  end
  lu.assertStrContains(read(dir .. "report.md"), "## Validation loss (BCE per pixel) at the snapshots")
  local index = read(out .. "/README.md")
  lu.assertStrContains(index, "(04_deep/report.md)")
  lu.assertStrContains(index, "(03_letters/report.md)")
end

TestLesson08 = outdir {}

function TestLesson08:testQuickRun()
  local out = self.out
  local dir, text, m, figures = run_lesson("08_convolutional", out)
  local expected = {}
  for _, ds in ipairs { "mnist", "fashion" } do
    for _, f in ipairs { "reconstructions", "loss", "filters", "denoising", "denoising_loss" } do
      expected[#expected + 1] = ds .. "_" .. f .. ".png"
    end
    -- binary accuracy with both rounded: above chance; Keras' (grey targets never right) a share, and on
    -- grey Fashion-MNIST far lower, so only bounded
    for _, k in ipairs { "_conv_binary_accuracy", "_denoising_binary_accuracy", "_dense_binary_accuracy" } do
      lu.assertTrue(m[ds .. k] > 0.5 and m[ds .. k] <= 1, ds .. k .. " = " .. tostring(m[ds .. k]))
    end
    for _, k in ipairs { "_conv_keras_accuracy", "_denoising_keras_accuracy" } do
      lu.assertTrue(m[ds .. k] > 0 and m[ds .. k] <= 1, ds .. k .. " = " .. tostring(m[ds .. k]))
    end
    lu.assertTrue(m[ds .. "_conv_keras_accuracy"] <= m[ds .. "_conv_binary_accuracy"])
  end
  assert_figures(figures, expected)
  for _, key in ipairs { "mnist_conv_val_loss", "mnist_dense_val_loss", "fashion_conv_val_loss", "fashion_dense_val_loss",
    "mnist_denoising_val_loss", "fashion_denoising_val_loss" } do
    lu.assertTrue(finite_positive(m[key]) and m[key] < 0.69, key .. " = " .. tostring(m[key]) ..
      " (not below a constant 0.5 prediction)")
  end
  lu.assertEquals(m.epochs, 2)
  lu.assertStrContains(text, "convolutional autoencoder (4,385 parameters)")
  -- the filters are described from a count the run made
  lu.assertTrue(m.mnist_mixed_filters >= 0 and m.mnist_mixed_filters <= 16)
  lu.assertStrContains(text, string.format("%d of 16 on MNIST digits", m.mnist_mixed_filters))
  lu.assertStrContains(text, "train 2000, test 500 images")
  lu.assertStrContains(read(dir .. "mnist_denoising.gp"), "'noisy input'")
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "## Validation loss (BCE per pixel) after the epochs shown")
  lu.assertStrContains(report, "## What the numbers say")
  lu.assertStrContains(report, "88%")
  lu.assertStrContains(report, "## Keras' accuracy: binary accuracy on the test pixels")
end

---------------------------------------------------------------------------
-- Lessons 05–07: the regularized autoencoders (issue 4).
---------------------------------------------------------------------------
TestLesson05 = outdir {}

function TestLesson05:testQuickRun()
  local out = self.out
  local dir, _, m, figures = run_lesson("05_denoising", out)
  assert_figures(figures, { "letters_denoised.png", "letters_layers.png", "fashion_denoised.png", "error_vs_noise.png", "psnr_vs_noise.png",
    "schedule_loss.png" })
  for _, key in ipairs { "fashion_mse_plain_test0.5", "fashion_mse_dae0.5_test0.5", "fashion_mse_dae0.2_test0.2",
    "fashion_mse_schedule_test0.5", "fashion_mse_noisy_input_0.5", "fashion_mse_dae0.5_saltpepper0.2" } do
    lu.assertTrue(finite_positive(m[key]), key .. " = " .. tostring(m[key]))
  end
  -- trained at 0.5, it beats the plain AE on 0.5 noise and removes most of it
  lu.assertTrue(m["fashion_mse_dae0.5_test0.5"] < m["fashion_mse_plain_test0.5"])
  lu.assertTrue(m["fashion_mse_dae0.5_test0.5"] < 0.5 * m["fashion_mse_noisy_input_0.5"])
  -- the letters as the course ran them: every stack, 5 and 20 copies, both levels
  for _, a in ipairs { "25", "25-15", "25-15-10" } do
    for _, c in ipairs { 5, 20 } do
      for _, l in ipairs { "0.2", "0.5" } do
        local key = string.format("letters_%s_l10_c%d_n%s_", a, c, l)
        lu.assertTrue(m[key .. "same"] >= 0 and m[key .. "same"] <= 35, key .. "same")
        lu.assertTrue(m[key .. "other"] >= 0 and m[key .. "other"] <= 35, key .. "other")
      end
    end
  end
  -- the course's model trained at 0.5 on 20 copies removes noise, and does better than a plain AE
  lu.assertTrue(m["letters_25-15-10_l10_c20_n0.5_same"] < m["letters_input_gauss0.5"])
  lu.assertTrue(m["letters_25-15-10_l10_c20_n0.5_same"] < m["letters_plain_gauss0.5"])
  lu.assertEquals(m.letter_steps, 400)
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "by test noise level")
  lu.assertStrContains(report, "another kind than the training noise")
  lu.assertStrContains(report, "## Letters: the course's runs")
  lu.assertStrContains(report, "## What the numbers say")
  lu.assertStrContains(report, "standard deviation")
end

TestLesson06 = outdir {}

function TestLesson06:testQuickRun()
  local out = self.out
  local dir, _, m, figures = run_lesson("06_sparse", out)
  local expected = { "reconstructions.png" }
  for _, k in ipairs { "plain", "l1", "kl0.05", "kl0.2", "kl0.2_set" } do
    expected[#expected + 1] = "activations_" .. k .. ".png"
    expected[#expected + 1] = "filters_" .. k .. ".png"
    lu.assertTrue(finite_positive(m["val_bce_" .. k]), "val_bce_" .. k)
  end
  assert_figures(figures, expected)
  lu.assertEquals(m.hidden, 1024)
  -- the KL penalty holds the mean activations near ρ even in a short run
  lu.assertTrue(math.abs(m["mean_activation_kl0.2"] - 0.2) < 0.2 * 0.2, "ρ=0.2: " .. m["mean_activation_kl0.2"])
  lu.assertTrue(math.abs(m["mean_activation_kl0.2_set"] - 0.2) < 0.2 * 0.2, "ρ=0.2, ρ̂ over the set: " ..
    m["mean_activation_kl0.2_set"])
  -- ρ = 0.05 is still on its way down after a quick run's 64 steps
  lu.assertTrue(m["mean_activation_kl0.05"] < 0.1 and m["mean_activation_kl0.05"] < m["mean_activation_kl0.2"],
    "ρ=0.05: " .. m["mean_activation_kl0.05"])
  lu.assertTrue(m["within20_kl0.2"] > 0.8)
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "## What the numbers say")
  lu.assertStrContains(report, "## About this lesson")
  lu.assertStrContains(report, "KL, ρ=0.05 (ours)")
  lu.assertTrue(m["active_per_image_kl0.05"] < m["active_per_image_l1"])
  lu.assertTrue(m["active_per_image_l1"] < m["active_per_image_plain"])
end

TestLesson07 = outdir {}

function TestLesson07:testQuickRun()
  local out = self.out
  local _, _, m, figures = run_lesson("07_contractive", out)
  assert_figures(figures, { "code_change.png", "contraction.png", "jacobian_hist.png", "reconstructions.png",
    "cae_optimizers.png" })
  -- L-BFGS and Adam both lower the contractive objective below its start (~0.7)
  lu.assertTrue(finite_positive(m.cae_lbfgs_objective) and m.cae_lbfgs_objective < 0.6, m.cae_lbfgs_objective)
  lu.assertTrue(finite_positive(m.cae_adam_objective) and m.cae_adam_objective < 0.6, m.cae_adam_objective)
  for _, k in ipairs { "plain", "dae", "cae" } do
    lu.assertTrue(finite_positive(m["jacobian_" .. k]), "jacobian_" .. k)
    lu.assertTrue(m["jacobian_check_" .. k] < 1e-2, "closed form against finite differences, " .. k)
  end
  lu.assertTrue(m.jacobian_cae < 0.5 * m.jacobian_plain, string.format("‖J‖: CAE %g, plain %g", m.jacobian_cae,
    m.jacobian_plain))
  lu.assertTrue(m.jacobian_cae < m.jacobian_dae)
  lu.assertTrue(m.contraction_cae < m.contraction_plain)
end

---------------------------------------------------------------------------
-- Lesson 09: the course's VAE (issue 11).
---------------------------------------------------------------------------
TestLesson09 = outdir {}

function TestLesson09:testQuickRun()
  local out = self.out
  local dir, text, m, figures = run_lesson("09_vae", out)
  -- held to its CPU time (all threads), not the wall clock, which grows with
  -- whatever else runs on the machine; about 3 s here, a few times that
  -- under the sanitizers
  local limit = bin:find("asan", 1, true) and 120 or 30
  lu.assertTrue(finite_positive(m.cpu_seconds) and m.cpu_seconds <= limit,
    string.format("the quick lesson used %s CPU seconds (limit %d)", tostring(m.cpu_seconds), limit))
  local expected = { "beta.png", "fashion_conv_latent.png", "fashion_conv_reconstructions.png", "fashion_conv_loss.png" }
  for _, ds in ipairs { "mnist", "fashion" } do
    for _, f in ipairs { "latent", "manifold", "samples", "loss", "walks" } do
      expected[#expected + 1] = ds .. "_" .. f .. ".png"
    end
    -- BCE summed over pixels never goes below the images' own entropy; KL ≥ 0
    local floor, rec = m[ds .. "_entropy_floor"], m[ds .. "_vae_reconstruction"]
    lu.assertTrue(finite_positive(floor) and finite_positive(rec) and rec > floor, ds .. ": " .. tostring(rec) ..
      " against the floor " .. tostring(floor))
    lu.assertTrue(m[ds .. "_plain_reconstruction"] > floor)
    lu.assertTrue(m[ds .. "_vae_kl"] >= 0 and m[ds .. "_vae_kl"] < math.huge)
    for _, k in ipairs { "gaps_vae", "gaps_plain" } do
      lu.assertTrue(m[ds .. "_" .. k] >= 0 and m[ds .. "_" .. k] <= 1, k)
    end
  end
  assert_figures(figures, expected)
  -- Fashion-MNIST's grey images: about 190 nats per image, far above MNIST's
  lu.assertTrue(m.fashion_entropy_floor > 150 and m.fashion_entropy_floor < 230, tostring(m.fashion_entropy_floor))
  lu.assertTrue(m.mnist_entropy_floor < 0.5 * m.fashion_entropy_floor)
  lu.assertStrContains(text, string.format("own entropy (the floor of BCE summed over pixels): %.1f nats",
    m.fashion_entropy_floor))
  for _, b in ipairs { "0.5", "1", "4" } do
    lu.assertTrue(finite_positive(m["beta" .. b .. "_reconstruction"]), "β = " .. b)
  end
  lu.assertEquals(m.epochs, 3)
  lu.assertStrContains(text, "train 600, test 300 images")
  lu.assertStrContains(text, "MNIST VAE (404,244 parameters)")
  lu.assertStrContains(read(dir .. "mnist_walks.gp"), "0 → 3 → 1")
  lu.assertStrContains(read(dir .. "mnist_walks.gp"), "1 → 9 → 7")
  -- the waypoints framed and named: 3 per MNIST walk, 2 per garment walk
  for f, n in pairs { mnist_walks = 6, fashion_walks = 4 } do
    local _, frames = read(dir .. f .. ".gp"):gsub("set object %d+ rect", "")
    lu.assertEquals(frames, n, f)
  end
  lu.assertStrContains(read(dir .. "fashion_walks.gp"), "set label 'Ankle boot' at first")
  -- the convolutional VAE beside the dense one on Fashion-MNIST
  lu.assertEquals(m.fashion_conv_epochs, 1)
  lu.assertEquals(m.fashion_conv_parameters, 134165)
  lu.assertTrue(m.fashion_conv_reconstruction > m.fashion_entropy_floor)
  lu.assertTrue(m.fashion_conv_kl >= 0 and m.fashion_conv_kl < math.huge)
  lu.assertAlmostEquals(m.fashion_conv_neg_elbo, m.fashion_conv_reconstruction + m.fashion_conv_kl, 1e-6 * m.fashion_conv_neg_elbo)
  lu.assertTrue(finite_positive(m.fashion_dense_neg_elbo_at_conv_epochs))
  lu.assertStrContains(text, "Fashion-MNIST conv VAE (134,165 parameters)")
  -- the findings give the conv VAE's active units, and name a collapse
  local active = m.fashion_conv_active_units == 0 and "0 of 2 (posterior collapse: the decoder ignores z)"
    or string.format("%d of 2", m.fashion_conv_active_units)
  lu.assertStrContains(text, active .. " for the convolutional VAE after 1 epoch")
  local report = read(dir .. "report.md")
  for _, s in ipairs { "## What the numbers say", "## What the figures show", "## Departures from the course",
    "## β: the reconstruction/KL trade-off", "## Convolutional against dense VAE on Fashion-MNIST",
    "- Convolutional against dense on Fashion-MNIST: after 1 epoch the" } do
    lu.assertStrContains(report, s)
  end
  -- the trained models beside the figures, loadable: the VAE's μ is 2-D
  for _, f in ipairs { "mnist-vae", "mnist-plain-autoencoder", "fashion-mnist-vae", "fashion-mnist-plain-autoencoder",
    "mnist-vae-beta-0-5", "mnist-vae-beta-4", "fashion-mnist-conv-vae" } do
    lu.assertStrContains(report, "(" .. f .. ".safetensors)")
  end
  -- the figures' words come from this run: the codes' spreads, the points
  -- plotted, no layout assumed
  lu.assertStrContains(report, "on MNIST the plain codes' standard deviations are (")
  lu.assertStrContains(report, "the first 300 test images' μ coloured by class")
  for _, canned in ipairs { "tens of units", "plausible image", "1,000 test images", "1 minutes" } do
    lu.assertNotStrContains(report, canned)
  end
  local ae = require "aelab"
  local net = assert(ae.load(dir .. "mnist-vae.safetensors"))
  lu.assertEquals(net:encode(ae.rand(3, 784)):size(), { 3, 2 })
  lu.assertEquals(net:sample(4):size(), { 4, 784 })
  local conv = assert(ae.load(dir .. "fashion-mnist-conv-vae.safetensors"))
  lu.assertEquals(conv:encode(ae.rand(3, 784)):size(), { 3, 2 })
  lu.assertEquals(conv:sample(2):size(), { 2, 1, 28, 28 })
end

TestLesson10 = outdir {}

function TestLesson10:testQuickRun()
  local out = self.out
  local dir, text, m, figures = run_lesson("10_pretraining", out)
  local expected = {}
  for _, ds in ipairs { "mnist", "fashion" } do
    for _, f in ipairs { "accuracy", "confusion", "filters" } do expected[#expected + 1] = ds .. "_" .. f .. ".png" end
    -- every row at every label count: a mean accuracy in [0, 1] and its spread
    for _, row in ipairs { "raw", "pca", "random", "frozen", "sae", "sdae" } do
      for _, n in ipairs { "20", "100", "all" } do
        local key = string.format("%s_%s_%s_accuracy", ds, row, n)
        lu.assertTrue(type(m[key]) == "number" and m[key] >= 0 and m[key] <= 1, key .. " = " .. tostring(m[key]))
        lu.assertTrue(m[string.format("%s_%s_%s_sd", ds, row, n)] >= 0)
      end
    end
    -- all the labels beat chance (10 classes) for the raw-pixel softmax even in a quick run
    lu.assertTrue(m[ds .. "_raw_all_accuracy"] > 0.3, ds .. ": " .. m[ds .. "_raw_all_accuracy"])
    lu.assertTrue(finite_positive(m[ds .. "_pretrain_level1_bce"]))
  end
  assert_figures(figures, expected)
  lu.assertEquals(m.seeds, 2)
  lu.assertEquals(m.pool, 200)
  -- the narration keeps the split explicit: the test set only measures
  lu.assertStrContains(text, "unlabelled pool: 200 training images")
  lu.assertStrContains(text, "used only to measure accuracy")
  local report = read(dir .. "report.md")
  for _, s in ipairs { "## What the numbers say", "## What the figures show", "## Departures from the course",
    "## Test accuracy (%), mean ± standard deviation over 2 seeds", "| stacked denoising AE (masking), fine-tuned |",
    "UFLDL", "Vincent et al." } do
    lu.assertStrContains(report, s)
  end
  -- the confusion matrix's script holds the counts of the test set (200 images in quick mode)
  local gp = read(dir .. "mnist_confusion.gp")
  local total = 0
  for count in gp:gmatch("\n%d+ %d+ [%d%.e%-]+ (%d+) [01]") do total = total + tonumber(count) end
  lu.assertEquals(total, 200)
  local ae = require "aelab"
  local net = assert(ae.load(dir .. "mnist-stacked-ae-fine-tuned-on-100-labels.safetensors"))
  lu.assertEquals(net:predict(ae.rand(3, 784)):size(), { 3 })
end

TestLesson14 = outdir {}

-- Speech denoising: every WAV it names is there and readable at 8 kHz, the
-- same length across noisy / cleaned / clean; the improvement table has a
-- number for every input SNR × test set × method; the report says which
-- files to listen to.
function TestLesson14:testQuickRun()
  local ae = require "aelab"
  local out = self.out
  -- the data are prepared on first use (a few seconds), outside the lesson's own time
  assert(ae.data.speech { quick = true })
  local dir, text, m, figures = run_lesson("14_audio", out)
  -- held to its CPU time (all threads), not the wall clock, which grows with
  -- whatever else runs on the machine; a few times more under the sanitizers
  local limit = bin:find("asan", 1, true) and 120 or 30
  lu.assertTrue(finite_positive(m.cpu_seconds) and m.cpu_seconds <= limit,
    string.format("the quick lesson used %s CPU seconds (limit %d)", tostring(m.cpu_seconds), limit))
  for _, set in ipairs { "synthetic", "real" } do
    for _, snr in ipairs { 0, 5, 10 } do
      for _, method in ipairs { "dae", "wave", "specsub", "sox" } do
        for _, measure in ipairs { "sisdr", "segsnr" } do
          local key = string.format("%s_%ddb_%s_%s_gain", set, snr, method, measure)
          local v = m[key]
          lu.assertTrue(type(v) == "number" and v == v and math.abs(v) < 60, key .. " = " .. tostring(v))
        end
      end
    end
  end
  -- even two epochs on a small set improve on the noisy input at 0 dB
  lu.assertTrue(m.synthetic_0db_dae_sisdr_gain > 0, "DAE made 0 dB synthetic speech worse")
  lu.assertTrue(m.synthetic_0db_specsub_sisdr_gain > 0, "spectral subtraction made 0 dB speech worse")
  local wavs = 0
  for prefix in text:gmatch("sound: " .. dir:gsub("%p", "%%%0") .. "(%S+)_{noisy,dae,wave,specsub,sox,clean}%.wav") do
    local n
    for _, kind in ipairs { "noisy", "dae", "wave", "specsub", "sox", "clean" } do
      local f = dir .. prefix .. "_" .. kind .. ".wav"
      local info = ae.audio.info(f)
      lu.assertNotNil(info, f .. " is missing or unreadable")
      lu.assertEquals({ info.rate, info.channels, info.encoding }, { 8000, 1, "pcm16" })
      n = n or info.frames
      lu.assertEquals(info.frames, n, f .. ": not the length of the noisy file")
      wavs = wavs + 1
    end
    lu.assertStrContains(read(dir .. "report.md"), "`" .. prefix .. "_*.wav`")
    lu.assertNotNil(png_size(dir .. "spectrogram_" .. prefix .. ".png"))
    lu.assertNotNil(png_size(dir .. "waveform_" .. prefix .. ".png"))
  end
  lu.assertEquals(wavs, 12, "expected a synthetic and a real utterance, six files each")
  local report = read(dir .. "report.md")
  for _, s in ipairs { "## Improvement over the noisy input", "## Files to listen to", "## What the numbers say",
    "| 0 dB | real |", "| 10 dB | synthetic |" } do
    lu.assertStrContains(report, s)
  end
  lu.assertNotNil(png_size(dir .. "improvement.png"))
  lu.assertEquals(m.epochs, 2)
  local net = assert(ae.load(dir .. "speech-dae.safetensors"))
  lu.assertEquals(net:forward(ae.rand(2, 903)):size(), { 2, 129 })
  lu.assertEquals(assert(ae.load(dir .. "waveform-dae.safetensors")):forward(ae.rand(2, 512)):size(), { 2, 256 })
  lu.assertTrue(#figures >= 6)
end

---------------------------------------------------------------------------
-- Lessons 11–13: real images (issue 15). Their data sets are prepared once
-- from Debian packages into the cache (the first run takes about a minute).
---------------------------------------------------------------------------

TestLesson11 = outdir {}

function TestLesson11:testQuickRun()
  local dir, text, m, figures = run_lesson("11_documents", self.out)
  assert_figures(figures, { "page.png", "closeup.png", "loss.png" })
  for _, method in ipairs { "dirty", "median", "otsu", "ae" } do
    for level = 1, 3 do
      local key = string.format("rmse_%s_L%d", method, level)
      lu.assertTrue(finite_positive(m[key]) and m[key] < 1, key .. " = " .. tostring(m[key]))
    end
  end
  -- more dirt, more error in the input
  lu.assertTrue(m.rmse_dirty_L1 < m.rmse_dirty_L3)
  -- even two quick epochs clean the worst level
  lu.assertTrue(m.rmse_ae_L3 < m.rmse_dirty_L3, string.format("autoencoder %g, dirty %g", m.rmse_ae_L3,
    m.rmse_dirty_L3))
  lu.assertStrContains(text, "test pages: ccitt1, ccitt3")
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "## What the numbers say")
  lu.assertStrContains(report, "jbigkit-testdata (GPL-2+)")
  lu.assertStrContains(read(dir .. "page.gp"), "'autoencoder'")
end

TestLesson12 = outdir {}

function TestLesson12:testQuickRun()
  local dir, _, m, figures = run_lesson("12_colorization", self.out)
  assert_figures(figures, { "photos.png", "loss.png" })
  for _, key in ipairs { "psnr_gray", "psnr_rgb", "psnr_lab", "colorfulness_original" } do
    lu.assertTrue(finite_positive(m[key]), key .. " = " .. tostring(m[key]))
  end
  -- outputs in colour (gray scores 0)
  lu.assertTrue(m.colorfulness_lab > 0 and m.colorfulness_rgb > 0)
  -- the RGB figure goes to gnuplot as rgbimage
  lu.assertStrContains(read(dir .. "photos.gp"), "with rgbimage")
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "Zhang, Isola and Efros (2016)")
  -- "desaturated" / "brownish" only when the run's numbers show it
  for _, k in ipairs { "lab", "rgb" } do
    lu.assertTrue(finite_positive(m["chroma_" .. k]) and m["warm_share_" .. k] >= 0 and m["warm_share_" .. k] <= 1)
  end
  local words = report:match("By these numbers the Lab model's colours are (.-) %(desaturated:")
  lu.assertNotNil(words, "the report says what the numbers show about desaturation")
  local lab_words, rgb_words = words:match("^(.-), the RGB model's (.*)$")
  for k, w in pairs { lab = lab_words, rgb = rgb_words } do
    lu.assertEquals(w:find("brownish", 1, true) ~= nil, m["warm_share_" .. k] > m.warm_share_orig + 0.05, k .. ": " .. w)
    lu.assertEquals(w:find("desaturated", 1, true) ~= nil, m["chroma_" .. k] < 0.8 * m.chroma_orig, k .. ": " .. w)
  end
  local shown = false
  for _, k in ipairs { "lab", "rgb" } do
    shown = shown or m["warm_share_" .. k] > m.warm_share_orig + 0.05 or m["chroma_" .. k] < 0.8 * m.chroma_orig
  end
  lu.assertEquals(report:find("does not show it", 1, true) ~= nil, not shown)
end

TestLesson13 = outdir {}

function TestLesson13:testQuickRun()
  local dir, _, m, figures = run_lesson("13_watermarks", self.out)
  assert_figures(figures, { "photos.png", "loss.png" })
  for _, key in ipairs { "psnr_marked", "psnr_cleaned" } do
    lu.assertTrue(finite_positive(m[key]) and m[key] < 100, key .. " = " .. tostring(m[key]))
  end
  for _, key in ipairs { "ssim_marked", "ssim_cleaned" } do
    lu.assertTrue(m[key] > -1 and m[key] <= 1, key .. " = " .. tostring(m[key]))
  end
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, "| photo | mark | PSNR before |")
  -- where the marks are and where they are not, measured; "fainter" only when it is
  lu.assertTrue(m.marked_share > 0 and m.marked_share < 1, "marked_share " .. tostring(m.marked_share))
  lu.assertTrue(finite_positive(m.mse_mark_before) and m.mse_mark_after >= 0 and m.mse_unmarked_after >= 0)
  lu.assertEquals(report:find("the marks are not made fainter", 1, true) == nil,
    m.mse_mark_after < m.mse_mark_before)
  lu.assertStrContains(read(dir .. "photos.gp"), "'watermarked'")
end

---------------------------------------------------------------------------
-- Lesson 15: data-specificity (issue 13).
---------------------------------------------------------------------------
TestLesson15 = outdir {}

function TestLesson15:testQuickRun()
  local out = self.out
  local dir, _, m, figures = run_lesson("15_data_specific", out)
  assert_figures(figures, { "mnist_tested.png", "fashion_tested.png", "loss.png" })
  for _, a in ipairs { "mnist", "fashion" } do
    for _, b in ipairs { "mnist", "fashion" } do
      lu.assertTrue(finite_positive(m[a .. "_on_" .. b .. "_mse"]), a .. "_on_" .. b .. "_mse")
    end
  end
  -- each model does best on its own kind of image
  lu.assertTrue(m.mnist_on_mnist_mse < m.fashion_on_mnist_mse)
  lu.assertTrue(m.fashion_on_fashion_mse < m.mnist_on_fashion_mse)
  -- what a stranger draws is said from correlations the run measured
  for _, k in ipairs { "fashion_on_mnist_corr_own_mean", "mnist_on_fashion_corr_input" } do
    lu.assertTrue(m[k] > -1 and m[k] < 1, k)
  end
  local report = read(dir .. "report.md")
  lu.assertStrContains(report, string.format("at r = %.2f", m.mnist_on_fashion_corr_input))
  lu.assertStrContains(report, "## About this lesson")
  lu.assertStrContains(report, "## What the numbers say")
  lu.assertStrContains(report, "## Test error of each model on each test set")
  -- the index says which runs were quick, and what its loss column measures
  local index = read(out .. "/README.md")
  lu.assertStrContains(index, "| **--quick**, 3 epochs | ")
  lu.assertStrContains(index, "test BCE of the MNIST model on MNIST")
end
