-- The standard training loop. Each batch is one C call (model:step); Lua
-- owns shuffling, batching, validation, the history and the progress line,
-- so a lesson can write its own loop when it needs something else.
local T = require "aelab.tensor"
local sys = require "aelab.sys"
local Progress = require "aelab.progress"
local guard = require "aelab.guard"
local optcheck = require "aelab.optcheck"
local Model = require "aelab.model"
local fullbatch = require "aelab.fullbatch"

-- Every option fit knows, one a line in alphabetical order: a key not here
-- is an error naming the nearest one (fit{epoch = 3} is a typo, not 10 epochs).
local FIT_OPTIONS = {
  "batch",
  "beta",
  "checkpoint",
  "distributed",
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

local i18n = require "aelab.i18n"
local F, EF, N_ = i18n.F, i18n.EF, i18n.N_ -- messages (T is the tensor module here: F without arguments translates)

local function check(cond, msg, level)
  if not cond then error(msg, (level or 1) + 1) end
end

local distributed_setup -- below: fit{distributed = true}

local is_tensor = T.is_tensor

-- validation = tensor (an autoencoder's: target is x) or {x = tensor [,
-- target = tensor]}; anything else is an error, not a run without validation.
local function validation_of(v)
  if v == nil then return nil end
  if is_tensor(v) then return v, v end
  check(type(v) == "table" and is_tensor(v.x), F("fit: validation must be a tensor or {x = tensor, target = tensor}, got %s",
    type(v) == "table" and F"a table without a tensor x" or type(v)), 3)
  optcheck.check("fit: validation", v, { "target", "x" }, 3)
  check(v.target == nil or is_tensor(v.target), F("fit: validation.target must be a tensor, got %s", type(v.target)), 3)
  return v.x, v.target or v.x
end

-- Samples are rows: a 1-D tensor would be shuffled as N samples but fed as
-- one row of N values, so it is refused with the two reshapes it may mean.
local function check_rows(what, t)
  if t:dim() == 1 then
    local n = t:size(1)
    error(F("fit: %s is 1-D [%d]; samples are rows: use %s:reshape(%d, 1) for %d samples of one value " ..
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
      error(F("fit: loss '%s' needs targets in [0, 1], but the %s spans [%g, %g]; scale the data " ..
        "to [0, 1] (ae.data.idx(path, true) does for IDX bytes, x / 255 for values 0..255) or use loss = 'mse'",
        name, what, lo, hi), 3)
    end
  end
end

-- Data-parallel training (opts.distributed): nil when off, else the state
-- of this rank: rank, size, the flat parameter and gradient arenas, the
-- optimizer, shard buffers; step and loss do a global batch's work.
local Dist = {}
Dist.__index = Dist

-- Rows [lo, hi) of a global batch of n rows that rank r takes: as even as can be.
local function shard(n, r, size) return (n * r) // size, (n * (r + 1)) // size end

function distributed_setup(model, opts, batch, x, target, autoenc, vae)
  local mpi = require "aelab.mpi"
  local on = opts.distributed
  check(on == nil or type(on) == "boolean", F("fit: distributed must be true or false, got %s", tostring(on)), 3)
  if on == nil then on = mpi.launched() end
  if not on then return nil end
  -- ρ̂ (each code unit's mean activation) would be each shard's, not the batch's
  check(not (opts.penalty and opts.penalty.kind == "kl_sparsity"), "fit: the KL sparsity penalty is not supported " ..
    "under distributed training yet (its mean activation ρ̂ would be each rank's shard's, not the batch's); " ..
    "train it with distributed = false", 3)
  check(mpi.available, "fit: distributed = true needs aelab built with MPI (make MPI=1, or ./aelab-mpi from " ..
    "make aelab-mpi) and started by mpirun", 3)
  check(not vae, "fit: distributed training of a VAE is not supported yet; train it with distributed = false", 3)
  check(not model:classes(), "fit: distributed training of a classifier is not supported yet (its accuracy " ..
    "is counted in model:step); train it with distributed = false", 3)
  local rank, size = mpi.init()
  local params, grads = model:parameters()
  mpi.bcast(params, 0) -- every rank starts from rank 0's weights
  -- and its Dropout masks' keys (drawn when the layer was made), as 16-bit
  -- pieces, which float32 carries exactly
  local drops = {}
  for _, l in ipairs(model:layers()) do
    if l:config().kind == "Dropout" then drops[#drops + 1] = l end
  end
  if #drops > 0 then
    local keys = T.zeros(#drops, 4)
    for i, l in ipairs(drops) do
      local salt = l:config().salt
      for j = 0, 3 do keys:set(i, j + 1, (salt >> (16 * j)) & 0xffff) end
    end
    mpi.bcast(keys, 0)
    for i, l in ipairs(drops) do
      local salt = 0
      for j = 0, 3 do salt = salt | (math.tointeger(keys:get(i, j + 1)) << (16 * j)) end
      l:set_salt(salt)
    end
  end
  local d = setmetatable({ mpi = mpi, rank = rank, size = size, params = params, grads = grads,
    opt = model:optimizer(), model = model, x = x, target = target, autoenc = autoenc }, Dist)
  local most = -(-batch // size) -- the largest shard
  local shape = x:size()
  shape[1] = most
  d.xb = T.zeros(shape)
  if not autoenc then
    local ts = target:size()
    ts[1] = most
    d.tb = T.zeros(ts)
  end
  return d
end

-- One global batch (rows start .. start+n-1 of perm): this rank's shard's
-- gradient, weighted by its share, summed over ranks; the same update
-- everywhere. Returns the batch's mean loss.
function Dist:step(perm, start, n)
  local lo, hi = shard(n, self.rank, self.size)
  local rows, loss = hi - lo, 0
  if rows > 0 then
    local xs = rows == self.xb:size(1) and self.xb or self.xb:narrow(1, 1, rows)
    local ts = xs
    self.x:rows(perm, start + lo, rows, xs)
    if not self.autoenc then
      ts = rows == self.tb:size(1) and self.tb or self.tb:narrow(1, 1, rows)
      self.target:rows(perm, start + lo, rows, ts)
    end
    -- rows numbered from the global batch's start: noise and Dropout draw what one process would
    loss = self.model:gradient(xs, ts, false, lo)
  else
    self.model:zeroGrad()
    self.model:skip_draw() -- the others drew for this batch: keep the same stream
  end
  self.mpi.allreduce(self.grads, rows / n)
  self.model:apply_gradients() -- as model:step: frozen layers stay as they are
  return self.mpi.sum(loss * rows) / n
end

-- The mean loss over all rows of vx, each rank taking its share.
function Dist:loss(vx, vt)
  local N = vx:size(1)
  local lo, hi = shard(N, self.rank, self.size)
  local part = 0
  if hi > lo then
    local xs = vx:narrow(1, lo + 1, hi - lo)
    part = self.model:loss(xs, rawequal(vt, vx) and xs or vt:narrow(1, lo + 1, hi - lo)) * (hi - lo)
  end
  return self.mpi.sum(part) / N
end

-- A loss on class labels (cross_entropy) takes one 0-based label per sample:
-- a vector [N] (ae.data's y as it comes) or [N×1], whole numbers 0..C−1.
-- Checked here once, with the fix in the message; returned as [N×1].
local function labels_of(model, what, t, n, level)
  local C = model:classes()
  if t:dim() > 2 or (t:dim() == 2 and t:size(2) ~= 1) then
    error(F("fit: loss '%s' takes one class label per sample, but the %s is [%s]; give a vector [N] " ..
      "of 0-based classes (ae.data's y), not one-hot rows", model:loss_name(), what, table.concat(t:size(), "×")),
      level + 1)
  end
  if t:numel() ~= n then
    error(F("fit: %d samples but %d labels in the %s", n, t:numel(), what), level + 1)
  end
  local v = t:reshape(n, 1)
  -- the range and whole-number check is the model's own (C, one for every loss on labels)
  local ok, err = pcall(Model.check_labels, v, C, "fit: the " .. what)
  if not ok then error(err, level + 1) end
  return v
end

-- A warning when no layer of the model has weights that train (every one
-- frozen, or none has any): fit then only measures the loss.
local function nothing_trains(model)
  local any = false
  for _, l in ipairs(model:layers()) do
    if #l:parameters() > 0 then
      if not l:is_frozen() then return nil end
      any = true
    end
  end
  if any then
    return EF("fit: every layer with weights is frozen, so nothing trains; net:unfreeze() (or net:unfreeze(from, to)) " ..
      "the layers to train")
  end
  return EF("fit: the model has no weights, so nothing trains")
end

-- fit(model, x, opts) → history
--   opts.epochs (10), opts.batch (32), opts.loss ("mse"|"bce"|"cross_entropy"|...),
--   opts.optimizer (a full-batch one, ae.optim.LBFGS/CG/Powell, runs
--   fullbatch.lua's loop: epochs counts iterations, batch picks a fixed
--   subset, default all rows), opts.target (default x: an autoencoder; under
--   cross_entropy, the 0-based class labels [N], ae.data's y as it comes),
--   opts.validation (tensor, or {x=, target=}; a classifier's: {x=, target = labels}), opts.shuffle (true), opts.verbose (true),
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
--   opts.distributed (default: true when mpirun started more than one
--   rank): data-parallel training over MPI (aelab/mpi, make MPI=1). Rank 0
--   broadcasts the initial weights and each epoch's order; every global
--   batch of `batch` rows is split into one shard per rank; each rank's
--   gradient (the mean over its shard) is weighted by its share of the batch
--   and summed with MPI_Allreduce over the flat gradient arena, so every rank
--   takes the same optimizer step on the mean gradient of the whole batch.
--   Losses are the global batch's. Only rank 0 prints and writes checkpoints.
--   Noise and Dropout draw per shard, so with them the losses are those of
--   another draw, not the single process's; a VAE or a classifier is not supported yet.
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
  check(is_tensor(x), F("fit: argument #1 must be a tensor of training samples, got %s", type(x)), 2)
  local epochs, batch = opts.epochs or 10, opts.batch or 32
  check(math.type(epochs) == "integer" and epochs >= 1, F"fit: epochs must be a positive integer", 2)
  check(math.type(batch) == "integer" and batch >= 1, F"fit: batch must be a positive integer", 2)
  local target = opts.target or x
  check(is_tensor(target), F"fit: target must be a tensor", 2)
  local N = x:size(1)
  local classes, vx, vt, skip_validation, skip_shown, default_optimizer
  local full = fullbatch.is(opts.optimizer) -- LBFGS, CG, Powell: fullbatch.lua's loop
  local noise, penalty = opts.noise, opts.penalty
  local reg = require "aelab.regularize"
  do
    -- opts.loss and opts.optimizer are set first (the checks depend on the
    -- loss); a check that fails puts back what the model had, so a fit that
    -- raises here leaves the model as it found it
    local old_loss, old_opt, old_chosen = model:loss_name(), model:optimizer(), model:loss_chosen()
    local undo <close> = setmetatable({}, { __close = function(_, err)
      if err ~= nil then
        model:set_loss(old_loss)
        if not old_chosen then require("aelab.models").forget_loss_choice(model) end
        model:set_optimizer(old_opt)
      end
    end })
    if full then
      if opts.loss then model:compile { loss = opts.loss } end
    elseif opts.loss or opts.optimizer then
      model:compile { loss = opts.loss, optimizer = opts.optimizer }
    end
    classes = model:classes() -- a classifier: targets are labels
    check(not (full and classes), F("fit: the full-batch optimizers (LBFGS, CG, Powell) train autoencoders here; " ..
      "train a classifier with a step optimizer such as ae.optim.Adam{}"), 2)
    check(not classes or opts.target, F("fit: loss '%s' trains a classifier: pass the labels as " ..
      "target = y (0-based classes, as ae.data's train.y)", model:loss_name()), 2)
    if classes then target = labels_of(model, "labels", target, N, 2) end
    check(target:size(1) == N, F("fit: %d samples but %d targets", N, target:size(1)), 2)
    check(N >= 1, F"fit: no training samples", 2)
    -- no optimizer given nor set before: Adam with its defaults, as Keras
    -- users expect (said when fit starts, and kept in the history)
    if not full and not model:optimizer() then
      model:set_optimizer(require("aelab.optim").Adam {})
      default_optimizer = true
    end
    if not model:loss_chosen() then model:set_loss(model:loss_name()) end -- the default loss is fit's choice now
    vx, vt = validation_of(opts.validation)
    if classes and vx then
      check(not rawequal(vt, vx), F"fit: a classifier's validation is {x = tensor, target = labels}", 2)
      vt = labels_of(model, "validation labels", vt, vx:size(1), 2)
    end
    check_rows("x", x)
    if not rawequal(target, x) then check_rows("target", target) end

    -- NaN and Inf first, named as such; then the range BCE needs
    skip_validation, skip_shown = guard.check_data(x, target, vx, vt)
    if skip_validation then vx, vt = nil, nil end
    check_bce_targets(model, { ["training target"] = target, ["validation target"] = vt })
    check(noise == nil or reg.is_noise(noise), F"fit: noise must be made by ae.noise.gaussian/masking/salt_pepper", 2)
    check(penalty == nil or reg.is_penalty(penalty), F"fit: penalty must be made by ae.penalty.l1/kl_sparsity/contractive", 2)
    if full then fullbatch.check(model, opts, 2) end
  end
  if full then
    local h = fullbatch.fit(model, x, target, vx, vt, opts, skip_validation, skip_shown)
    return h -- not a tail call: errors inside name the caller's line
  end

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
  -- a classifier's history adds accuracy (running, over the epoch's batches
  -- as they trained, like Keras') and val_accuracy (after the epoch)
  if classes then history.accuracy, history.val_accuracy = {}, {} end
  local idle, idle_shown = nothing_trains(model)
  guard.warn(history, skip_validation, skip_shown)
  guard.warn(history, idle, idle_shown)
  local vae = require("aelab.vae").tracker(model, opts, history) -- nil unless the model has a GaussianSample
  local dist = distributed_setup(model, opts, batch, x, target, autoenc, vae)
  if dist then history.ranks = dist.size end
  local interrupt <close> = guard.on_interrupt(history)
  local verbose = opts.verbose ~= false and (not dist or dist.rank == 0)
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
  if default_optimizer then
    history.optimizer = "Adam (fit's default)"
    say(F("fit: no optimizer given: Adam{lr = 0.001} (the default; pass optimizer = ae.optim.Adam{lr = ...} " ..
      "or another to choose)"))
  end
  local shuffle = opts.shuffle ~= false
  local order = shuffle and nil or T.tensor((function() local t = {} for i = 1, N do t[i] = i end return t end)())
  local ckpt = require("aelab.checkpoint").new(model, opts, 2)
  local first = ckpt and ckpt:resume(history, 2) or 1
  local keep <close> = ckpt and ckpt:on_interrupt() or nil
  say(skip_shown)
  say(idle_shown)
  local watch = guard.watch(model, first - 1)
  local t_start = sys.clock()
  for epoch = first, epochs do
    if progress then progress:epoch_start(epoch) end
    local perm = shuffle and T.randperm(N) or order
    if dist and shuffle then dist.mpi.bcast(perm, 0) end -- every rank walks rank 0's order
    local t0 = sys.clock()
    local sum, count, hits = 0.0, 0, 0
    local diverged, diverged_shown
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
      local loss, terms, correct
      if dist then
        loss, correct = dist:step(perm, start, n), 0
      else
        local xs, ts = xb, tb
        if n < batch then xs, ts = xt, tt end
        x:rows(perm, start, n, xs)
        if not autoenc then target:rows(perm, start, n, ts) end
        if per_set then penalty:hold_for_batch(model, perm, start, n) end
        loss, terms, correct = model:step(xs, ts)
      end
      diverged, diverged_shown = watch:batch(loss, epoch, (start - 1) // batch + 1)
      if diverged then break end
      sum, count, hits = sum + loss * n, count + n, hits + correct
      if vae then vae:batch(loss, terms, n) end
      if progress then progress:batch(count, sum / count) end
    end
    local train_seconds = sys.clock() - t0
    local loss = sum / count
    local val = not diverged and vx and (dist and dist:loss(vx, vt) or model:loss(vx, vt)) or nil
    local acc, val_acc
    if classes then
      acc = hits / count
      if val then val_acc = require("aelab.metrics").accuracy(model:predict(vx), vt) end
    end
    if vae and val then val = vae:validation(val, vx) end
    if val and (val ~= val or math.abs(val) == math.huge) then
      diverged, diverged_shown = EF("in epoch %d the validation loss became %s", epoch, guard.describe(val))
    end
    if diverged then
      if vae then vae:restore() end
      local cause, cause_shown = guard.cause(model)
      local restored, restored_shown = watch:restore()
      local fmt = N_"diverged: %s; %s; %s, and the optimizer's state is reset"
      history.stopped = string.format(fmt, diverged, cause, restored)
      history.stopped_shown = F(fmt, diverged_shown, cause_shown, restored_shown)
      say(F("fit: training stopped. %s", history.stopped_shown))
      break
    end
    history.loss[epoch] = loss
    history.val_loss[epoch] = val
    if classes then history.accuracy[epoch], history.val_accuracy[epoch] = acc, val_acc end
    history.seconds[epoch] = train_seconds
    history.samples_per_s[epoch] = N / math.max(train_seconds, 1e-9)
    history.epochs = epoch
    if noise then history.noise_level[epoch] = noise_level end
    if vae then vae:epoch_end(epoch, x) end
    watch:epoch_ok(epoch)
    if progress then progress:epoch_end(loss, val, train_seconds, acc, val_acc) end
    if ckpt and (not dist or dist.rank == 0) then ckpt:epoch_end(epoch, history, epoch == epochs) end
    if opts.on_epoch then opts.on_epoch(epoch, history) end
  end
  history.total_seconds = sys.clock() - t_start
  if vae then
    local en, shown = vae:finish()
    guard.warn(history, en, shown)
    say(shown)
  end
  -- a lesson that is running puts a stopped or warned fit in its report
  local lesson = package.loaded["aelab.lesson"]
  if lesson and (history.stopped or history.warning) then lesson.note_training(history) end
  return history
end

return fit
