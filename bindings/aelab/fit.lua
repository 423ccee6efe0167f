-- The standard training loop. Each batch is one C call (model:step); Lua
-- owns shuffling, batching, validation, the history and the progress line,
-- so a lesson can write its own loop when it needs something else.
local T = require "aelab.tensor"
local sys = require "aelab.sys"
local Progress = require "aelab.progress"
local guard = require "aelab.guard"
local optcheck = require "aelab.optcheck"

-- Every option fit knows, one a line in alphabetical order: a key not here
-- is an error naming the nearest one (fit{epoch = 3} is a typo, not 10 epochs).
local FIT_OPTIONS = {
  "batch",
  "beta",
  "checkpoint",
  "epochs",
  "every",
  "loss",
  "noise",
  "on_epoch",
  "optimizer",
  "out",
  "penalty",
  "resume",
  "shuffle",
  "summary_every",
  "target",
  "validation",
  "verbose",
}

local function check(cond, msg, level)
  if not cond then error(msg, (level or 1) + 1) end
end

local is_tensor = T.is_tensor

-- validation = tensor (an autoencoder's: target is x) or {x = tensor [,
-- target = tensor]}; anything else is an error, not a run without validation.
local function validation_of(v)
  if v == nil then return nil end
  if is_tensor(v) then return v, v end
  check(type(v) == "table" and is_tensor(v.x), "fit: validation must be a tensor or {x = tensor, target = tensor}, got "
    .. (type(v) == "table" and "a table without a tensor x" or type(v)), 3)
  optcheck.check("fit: validation", v, { "target", "x" }, 3)
  check(v.target == nil or is_tensor(v.target), "fit: validation.target must be a tensor, got " .. type(v.target), 3)
  return v.x, v.target or v.x
end

-- Samples are rows: a 1-D tensor would be shuffled as N samples but fed as
-- one row of N values, so it is refused with the two reshapes it may mean.
local function check_rows(what, t)
  if t:dim() == 1 then
    local n = t:size(1)
    error(string.format("fit: %s is 1-D [%d]; samples are rows: use %s:reshape(%d, 1) for %d samples of one value " ..
      "or %s:reshape(1, %d) for one sample", what, n, what, n, n, what, n), 3)
  end
end

-- BCE is a loss on targets in [0, 1]: on 0..255 data it goes negative and
-- trains to nonsense. Checked once, before training, on every target.
local function check_bce_targets(model, targets)
  local name = model:loss_name()
  if name ~= "bce" and name ~= "bce_sum" then return end
  for what, t in pairs(targets) do
    local lo, hi = t:min(), t:max()
    if lo < 0 or hi > 1 then
      error(string.format("fit: loss '%s' needs targets in [0, 1], but the %s spans [%g, %g]; scale the data " ..
        "to [0, 1] (ae.data.idx(path, true) does for IDX bytes, x / 255 for values 0..255) or use loss = 'mse'",
        name, what, lo, hi), 3)
    end
  end
end

-- fit(model, x, opts) → history
--   opts.epochs (10), opts.batch (32), opts.loss ("mse"|"bce"), opts.optimizer,
--   opts.target (default x: an autoencoder), opts.validation (tensor, or
--   {x=, target=}), opts.shuffle (true), opts.verbose (true),
--   opts.on_epoch(epoch, history) called after each epoch,
--   opts.summary_every (1): keep a printed line every k epochs only,
--   opts.noise (ae.noise.*: the input of each step is corrupted, the target
--   stays clean; its level may be a schedule, read every batch),
--   opts.penalty (ae.penalty.*). Both are taken off the model at the end.
--   opts.beta (a number or ae.schedule.*, read each epoch): a VAE's KL
--   weight; a model with a GaussianSample also gets reconstruction, KL and
--   active units in its history (aelab/vae.lua).
--   opts.checkpoint ("dir"), opts.every (1), opts.resume ("dir"): see
--   aelab/checkpoint.lua; epochs counts from the first, resumed or not.
-- Data with NaN or Inf is refused before training (validation data with
-- them is skipped, said once). A diverging loss (guard.lua's rule) stops
-- training: the weights of the last good epoch are put back, the optimizer
-- is reset, and the history so far comes back with history.stopped =
-- "diverged: ..." (printed unless verbose = false). An interrupt (Ctrl-C)
-- ends fit between two batches: the model keeps its last finished batch,
-- the interrupt goes on up (to the REPL's prompt, or to the host, which
-- lets the lesson write what it has), and the history so far, with
-- history.stopped = "interrupted", is kept in guard.interrupted_history.
local function fit(model, x, opts)
  opts = optcheck.check("fit", opts, FIT_OPTIONS, 2) or {}
  check(is_tensor(x), "fit: argument #1 must be a tensor of training samples, got " .. type(x), 2)
  local epochs, batch = opts.epochs or 10, opts.batch or 32
  check(math.type(epochs) == "integer" and epochs >= 1, "fit: epochs must be a positive integer", 2)
  check(math.type(batch) == "integer" and batch >= 1, "fit: batch must be a positive integer", 2)
  local target = opts.target or x
  check(is_tensor(target), "fit: target must be a tensor", 2)
  local N = x:size(1)
  check(target:size(1) == N, string.format("fit: %d samples but %d targets", N, target:size(1)), 2)
  check(N >= 1, "fit: no training samples", 2)
  if opts.loss or opts.optimizer then model:compile { loss = opts.loss, optimizer = opts.optimizer } end
  check(model:optimizer(), "fit: no optimizer: pass optimizer = ae.optim.Adam{} (or call compile)", 2)
  local vx, vt = validation_of(opts.validation)
  check_rows("x", x)
  if not rawequal(target, x) then check_rows("target", target) end

  -- NaN and Inf first, named as such; then the range BCE needs
  local skip_validation = guard.check_data(x, target, vx, vt)
  if skip_validation then vx, vt = nil, nil end
  check_bce_targets(model, { ["training target"] = target, ["validation target"] = vt })

  local noise, penalty = opts.noise, opts.penalty
  local reg = require "aelab.regularize"
  check(noise == nil or reg.is_noise(noise), "fit: noise must be made by ae.noise.gaussian/masking/salt_pepper", 2)
  check(penalty == nil or reg.is_penalty(penalty), "fit: penalty must be made by ae.penalty.l1/kl_sparsity/contractive", 2)
  -- Noise and penalty are taken off the model however fit ends: by its
  -- return, an error in a step or in on_epoch, or an interrupt.
  local detach <close> = setmetatable({}, { __close = function()
    -- protected: a model closed meanwhile must not hide the error that ended fit
    pcall(model.set_noise, model, "none")
    pcall(model.set_penalty, model, "none")
    if penalty then penalty.start_codes, penalty.set_rho_hat = nil, nil end -- N×H floats, for this fit only
  end })
  if penalty then penalty:attach(model) else model:set_penalty("none") end
  model:set_noise("none")
  local noise_lo, noise_hi, noise_level
  if noise then noise_lo, noise_hi = noise:range(x) end

  batch = math.min(batch, N)
  local shape = x:size()
  shape[1] = batch
  local xb = T.zeros(shape)
  local tb = xb
  local autoenc = rawequal(target, x)
  if not autoenc then
    local ts = target:size()
    ts[1] = batch
    tb = T.zeros(ts)
  end
  -- the last, shorter batch reuses the front of the buffers
  local tail = N % batch
  local xt, tt = xb, tb
  if tail > 0 then
    xt = xb:narrow(1, 1, tail)
    tt = autoenc and xt or tb:narrow(1, 1, tail)
  end

  local history = { loss = {}, val_loss = {}, seconds = {}, samples_per_s = {}, epochs = 0, batch = batch,
    samples = N, noise_level = noise and {} or nil }
  history.warning = skip_validation
  local vae = require("aelab.vae").tracker(model, opts, history) -- nil unless the model has a GaussianSample
  local interrupt <close> = guard.on_interrupt(history)
  local verbose = opts.verbose ~= false
  local progress = verbose and Progress.new { epochs = epochs, samples = N, out = opts.out,
    every = opts.summary_every } or nil
  -- a message of fit's own, on a line of its own (not over the progress line)
  local function say(msg)
    if not verbose or not msg then return end
    local out = progress and progress.out or io.stdout
    if progress and progress.tty then out:write("\n") end
    out:write(msg, "\n")
    out:flush()
  end
  local shuffle = opts.shuffle ~= false
  local order = shuffle and nil or T.tensor((function() local t = {} for i = 1, N do t[i] = i end return t end)())
  local ckpt = require("aelab.checkpoint").new(model, opts, 2)
  local first = ckpt and ckpt:resume(history, 2) or 1
  local keep <close> = ckpt and ckpt:on_interrupt() or nil
  say(skip_validation)
  local watch = guard.watch(model, first - 1)
  local t_start = sys.clock()
  for epoch = first, epochs do
    if progress then progress:epoch_start(epoch) end
    local perm = shuffle and T.randperm(N) or order
    local t0 = sys.clock()
    local sum, count = 0.0, 0
    local diverged
    if vae then vae:epoch_start(epoch) end
    local per_set = penalty and penalty.estimate == "dataset"
    if per_set then penalty:measure_dataset(model, x) end
    for start = 1, N, batch do
      local n = math.min(batch, N - start + 1)
      if noise then
        local level = noise:level_at(epoch, (start - 1) // batch + 1)
        if level ~= noise_level then
          model:set_noise(noise.kind, level, noise_lo, noise_hi)
          noise_level = level
        end
      end
      local xs, ts = xb, tb
      if n < batch then xs, ts = xt, tt end
      x:rows(perm, start, n, xs)
      if not autoenc then target:rows(perm, start, n, ts) end
      if per_set then penalty:hold_for_batch(model, perm, start, n) end
      local loss, terms = model:step(xs, ts)
      diverged = watch:batch(loss, epoch, (start - 1) // batch + 1)
      if diverged then break end
      sum, count = sum + loss * n, count + n
      if vae then vae:batch(loss, terms, n) end
      if progress then progress:batch(count, sum / count) end
    end
    local train_seconds = sys.clock() - t0
    local loss = sum / count
    local val = not diverged and vx and model:loss(vx, vt) or nil
    if vae and val then val = vae:validation(epoch, val, vx) end
    if val and (val ~= val or math.abs(val) == math.huge) then
      diverged = string.format("in epoch %d the validation loss became %s", epoch, guard.describe(val))
    end
    if diverged then
      history.stopped = string.format("diverged: %s; %s; %s, and the optimizer's state is reset", diverged,
        guard.cause(model), watch:restore())
      say("fit: training stopped. " .. history.stopped)
      break
    end
    history.loss[epoch] = loss
    history.val_loss[epoch] = val
    history.seconds[epoch] = train_seconds
    history.samples_per_s[epoch] = N / math.max(train_seconds, 1e-9)
    history.epochs = epoch
    if noise then history.noise_level[epoch] = noise_level end
    if vae then vae:epoch_end(epoch, x) end
    watch:epoch_ok(epoch)
    if progress then progress:epoch_end(loss, val, train_seconds) end
    if ckpt then ckpt:epoch_end(epoch, history, epoch == epochs) end
    if opts.on_epoch then opts.on_epoch(epoch, history) end
  end
  history.total_seconds = sys.clock() - t_start
  if vae then say(vae:finish()) end
  -- a lesson that is running puts a stopped or warned fit in its report
  local lesson = package.loaded["aelab.lesson"]
  if lesson and (history.stopped or history.warning) then lesson.note_training(history) end
  return history
end

return fit
