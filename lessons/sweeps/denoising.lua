-- A sweep: denoising autoencoders on Fashion-MNIST, training noise level ×
-- code size, three seeds each (2 × 3 × 3 = 18 runs of a few seconds).
--
--   ./aelab sweep lessons/sweeps/denoising.lua           run it here (2 at a time on 2 cores)
--   ./aelab sweep report lessons/sweeps/denoising.lua    the table and the figure
--   ./aelab sweep lessons/sweeps/denoising.lua --slurm   as a Slurm job array
return {
  name = "sweep_denoising",
  description = "Dense denoising autoencoders (784-256-code-256-784, BCE, Adam, 4 epochs on 12,000 " ..
    "Fashion-MNIST images), trained with Gaussian noise of std `noise`, code of `code` units. " ..
    "`clean_mse`: test images in, the same out; `denoise_mse`: test images with noise 0.5 in, the clean ones out.",
  script = "denoising_run.lua",
  grid = { noise = { 0, 0.25, 0.5 }, code = { 8, 32 } },
  seeds = { 1, 2, 3 },
  metrics = { "denoise_mse", "clean_mse", "val_loss", "train_seconds" },
  report = { metric = "denoise_mse", x = "noise", lines = "code" },
  slurm = { cpus = 1, time = "00:10:00", mem = "1G" },
}
