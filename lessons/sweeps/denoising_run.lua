-- One run of the denoising sweep (lessons/sweeps/denoising.lua): a dense
-- denoising autoencoder on Fashion-MNIST trained with Gaussian noise of one
-- level and a code of one size, then measured on the same test images clean
-- and corrupted at a fixed level, so that every run of the grid is judged on
-- the same ground.
--
--   ./aelab sweep lessons/sweeps/denoising.lua        (the whole grid)
--   ./aelab lessons/sweeps/denoising_run.lua noise=0.5 code=16   (one run by hand)
local ae = require "aelab"

-- the defaults; a sweep's run gets its own from settings.json
local s = ae.sweep.settings { noise = 0.3, code = 32, hidden = 256, epochs = 4, train = 12000, test_noise = 0.5 }
local quick = ae.options.quick

local L = ae.Lesson.new {
  name = "sweep_denoising_run",
  title = string.format("Denoising AE, noise %g, code %d (one run of a sweep)", s.noise, s.code),
  question = "How well does a denoising autoencoder trained at this noise level, with this code size,\n" ..
    "reconstruct clean test images, and clean ones from noisy inputs?",
}

local train, test = assert(ae.data.fashion_mnist { limit = quick and 2000 or s.train, test_limit = quick and 500 or 5000 })
local epochs = quick and 1 or s.epochs
L:say("Fashion-MNIST: %d training images, %d test images; 784-%d-%d-%d-784, %d epochs, Gaussian noise std %g.",
  train.x:size(1), test.x:size(1), s.hidden, s.code, s.hidden, epochs, s.noise)

ae.seed(ae.options.seed)
local net = ae.Autoencoder {
  encoder = { ae.Dense(784, s.hidden), ae.ReLU(), ae.Dense(s.hidden, s.code), ae.ReLU() },
  decoder = { ae.Dense(s.code, s.hidden), ae.ReLU(), ae.Dense(s.hidden, 784), ae.Sigmoid() },
}
local h = net:fit(train.x, {
  epochs = epochs, batch = 128, loss = "bce", optimizer = ae.optim.Adam { lr = 2e-3 },
  noise = s.noise > 0 and ae.noise.gaussian { std = s.noise, clip = { 0, 1 } } or nil,
  validation = test.x, summary_every = epochs,
})

-- the same corrupted test set in every run: noise from a fixed seed
ae.seed(20261207)
local noisy = ae.noise.gaussian { std = s.test_noise, clip = { 0, 1 } }:apply(test.x)
local clean_mse = ae.mse(net:reconstruct(test.x), test.x)
local denoise_mse = ae.mse(net:reconstruct(noisy), test.x)
local input_mse = ae.mse(noisy, test.x)

L:metric("noise", s.noise, "training noise (Gaussian std)")
L:metric("code", s.code, "code size")
L:metric("val_loss", h.val_loss[h.epochs], "test BCE after the last epoch (clean inputs)")
L:metric("clean_mse", clean_mse, "test MSE, clean input → clean image")
L:metric("denoise_mse", denoise_mse, string.format("test MSE, input with noise %g → clean image", s.test_noise))
L:metric("noisy_input_mse", input_mse, string.format("MSE of the test input with noise %g itself", s.test_noise))
L:metric("train_seconds", h.total_seconds, "seconds of training")
L:say("clean → clean MSE %.4f; noisy (%g) → clean MSE %.4f (the noisy input itself: %.4f)", clean_mse, s.test_noise,
  denoise_mse, input_mse)

local sample = test.x:narrow(1, 1, 8)
local noisy_sample = noisy:narrow(1, 1, 8)
L:figure("denoised.png", "Test images with noise, the reconstructions, the clean images",
  ae.plot.image_rows({ { "noisy", noisy_sample }, { "output", net:reconstruct(noisy_sample) }, { "clean", sample } },
    { out = L:path("denoised.png"), title = string.format("DAE noise %g, code %d", s.noise, s.code) }))
L:save_model(net, "dae")
L:section("What the numbers say", string.format(
  "Given inputs with noise %g (MSE %.4f against the clean images), this model's output is at MSE %.4f: it %s. " ..
  "On clean inputs it reconstructs at MSE %.4f. Compare runs with `./aelab sweep report lessons/sweeps/denoising.lua`.",
  s.test_noise, input_mse, denoise_mse, denoise_mse < input_mse and
  string.format("removes %.0f%% of the noise's error", 100 * (1 - denoise_mse / input_mse)) or "makes it worse",
  clean_mse))
L:finish()
