-- fit's checkpoints, so fit.lua only calls three functions.
--
--   fit{checkpoint = "dir", every = N}: after every N-th epoch and the last,
--     dir/latest.safetensors, and dir/best.safetensors when that epoch's
--     loss (validation loss, or training loss without validation) is the
--     lowest so far. A model file (modelfiles.lua) plus the tensors
--     optimizer.m and optimizer.v (Adam's moments, SGD's velocity,
--     RMSprop's mean square, Adadelta's two; resume refuses an optimizer of
--     another kind than the file's "training" names) and the
--     metadata "checkpoint": JSON {epoch, optimizer_t (steps),
--     optimizer_counts (Adam's update count per arena segment: a frozen
--     layer's stays where it was), rng (the
--     generator: the next epoch's shuffle and noise draw from it), best,
--     history (every epoch so far, numbers written to read back exactly)}.
--   fit{resume = "dir"}: puts all of that back from dir/latest.safetensors
--     and goes on with the next epoch up to `epochs` (the total). With the
--     same seed, data and threads, the losses are those of a run that was
--     never interrupted, bit for bit. The noise schedule is a function of
--     (epoch, batch), so the epoch is its position.
local sys = require "aelab.sys"
local json = require "aelab.json"
local modelfiles = require "aelab.modelfiles"

local Checkpoint = {}
Checkpoint.__index = Checkpoint

local HISTORY = { "loss", "val_loss", "seconds", "samples_per_s", "noise_level", "reconstruction", "kl",
  "val_reconstruction", "val_kl", "beta", "active_units", "kl_units", "accuracy", "val_accuracy" }

-- new(model, opts) → a checkpointer, or nil when opts asks for none.
function Checkpoint.new(model, opts, level)
  local dir, resume, every = opts.checkpoint, opts.resume, opts.every or 1
  level = (level or 1) + 1
  if dir == nil and opts.every ~= nil then error("fit: every is how often to checkpoint: give checkpoint = \"dir\" too", level) end
  if dir == nil and resume == nil then return nil end
  if dir ~= nil and type(dir) ~= "string" then error("fit: checkpoint must be a folder name, got " .. type(dir), level) end
  if resume ~= nil and type(resume) ~= "string" then error("fit: resume must be a folder name, got " .. type(resume), level) end
  if math.type(every) ~= "integer" or every < 1 then error("fit: every must be a positive integer", level) end
  if dir then
    local ok, err = sys.mkdir(dir)
    if not ok then error("fit: checkpoint: " .. err, level) end
  end
  return setmetatable({ model = model, dir = dir, resume_dir = resume, every = every, best = math.huge }, Checkpoint)
end

-- resume(history) → the first epoch to run: the state of resume_dir's
-- latest checkpoint put back into the model, the generator and history.
function Checkpoint:resume(history, level)
  if not self.resume_dir then return 1 end
  level = (level or 1) + 1
  local path = self.resume_dir .. "/latest.safetensors"
  local ok, err, f = pcall(modelfiles.load_weights, self.model, path)
  if not ok and require("aelab.signal").is_interrupt(err) then error(err, 0) end
  if not ok then error("fit: resume: " .. tostring(err):gsub("^load_weights: ", ""), level) end
  local ck = f.meta.checkpoint and json.decode(f.meta.checkpoint)
  if type(ck) ~= "table" or math.type(ck.epoch) ~= "integer" or type(ck.rng) ~= "string" then
    error("fit: resume: " .. path .. " is a model file, not a checkpoint (no checkpoint metadata)", level)
  end
  -- the moments mean what their optimizer made them: Adam's signed m read
  -- as Adadelta's or RMSprop's mean square would give NaN on the first step
  local tr = f.meta.training and json.decode(f.meta.training)
  local saved = type(tr) == "table" and type(tr.optimizer) == "table" and tr.optimizer.kind
  local opt = self.model:optimizer()
  local now = opt and opt:config().kind
  if type(saved) == "string" and now and saved ~= now then
    error(string.format("fit: resume: %s was written by %s, and this fit uses %s: resume with optimizer = " ..
      "ae.optim.%s{...} (its moments are %s's), or start over without resume", path, saved, now, saved, saved), level)
  end
  local okset, err = pcall(self.model.set_optimizer_state, self.model,
    { t = ck.optimizer_t or 0, m = f.tensors["optimizer.m"], v = f.tensors["optimizer.v"],
      counts = type(ck.optimizer_counts) == "table" and ck.optimizer_counts or nil })
  if not okset then error("fit: resume: " .. path .. ": " .. tostring(err), level) end
  sys.rng_state(ck.rng)
  for _, k in ipairs(HISTORY) do
    if history[k] and type(ck.history) == "table" and type(ck.history[k]) == "table" then
      for i, v in ipairs(ck.history[k]) do history[k][i] = v end
    end
  end
  history.epochs = ck.epoch
  self.best = tonumber(ck.best) or math.huge
  return ck.epoch + 1
end

-- The state at the end of an epoch: what a checkpoint of it holds.
function Checkpoint:state(epoch, history)
  local st = self.model:optimizer_state()
  local h = {}
  for _, k in ipairs(HISTORY) do
    if history[k] then h[k] = table.move(history[k], 1, epoch, 1, {}) end
  end
  return { epoch = epoch, t = st.t, m = st.m, v = st.v, counts = st.counts, rng = sys.rng_state(), history = h }
end

-- Writes a checkpoint of state s (the model's weights, or s.params when
-- the state was kept earlier) to dir/file, whole or not at all.
function Checkpoint:write(file, s)
  local names, tensors = {}, {}
  if s.m then names[#names + 1], tensors[#tensors + 1] = "optimizer.m", s.m end
  if s.v then names[#names + 1], tensors[#tensors + 1] = "optimizer.v", s.v end
  local ck = { epoch = s.epoch, optimizer_t = s.t, optimizer_counts = s.counts, rng = s.rng, history = s.history,
    best = self.best < math.huge and self.best or nil }
  local P, now
  if s.params then P = self.model:parameters(); now = P:clone(); P:copy(s.params) end
  local ok, err = pcall(modelfiles.save, self.model, self.dir .. "/" .. file,
    { meta = { checkpoint = json.encode(ck, nil, true) }, names = names, tensors = tensors })
  if now then P:copy(now) end
  if not ok then error(err, 0) end
end

-- After each epoch: writes latest (and best) when this epoch is due; an
-- epoch that is not due is kept in memory, for an interrupt to write.
function Checkpoint:epoch_end(epoch, history, last)
  if not self.dir then return end
  if epoch % self.every ~= 0 and not last then
    local s = self:state(epoch, history)
    s.m, s.v = s.m and s.m:clone(), s.v and s.v:clone()
    s.params = self.model:parameters():clone()
    self.kept = s
    return
  end
  self.kept = nil
  -- "best" by the VAE's own objective, reconstruction + KL (β = 1): with a
  -- β schedule the losses of different epochs weigh the KL differently
  local rec, kl = history.val_reconstruction, history.val_kl
  if not (rec and rec[epoch]) then rec, kl = history.reconstruction, history.kl end
  local watched = rec and rec[epoch] and kl and kl[epoch] and rec[epoch] + kl[epoch]
    or history.val_loss[epoch] or history.loss[epoch]
  local better = watched < self.best
  if better then self.best = watched end
  local s = self:state(epoch, history)
  -- a checkpoint that cannot be written (a full disk) is said once and
  -- training goes on: its history is worth more than the checkpoint
  local ok, err = pcall(self.write, self, "latest.safetensors", s)
  if ok and better then ok, err = pcall(self.write, self, "best.safetensors", s) end
  if not ok then
    if require("aelab.signal").is_interrupt(err) then error(err, 0) end
    if not self.failed then
      self.failed = true
      local en, shown = require("aelab.i18n").EF("checkpoint not written: %s", tostring(err))
      require("aelab.guard").warn(history, en, shown)
      io.stderr:write("fit: " .. shown .. "\n")
    end
  end
end

-- A to-be-closed guard for fit: on an interrupt (Ctrl-C) it writes the
-- last finished epoch as dir/latest when that epoch was not written yet
-- (every > 1), so fit{resume = dir} goes on from there. Never raises.
function Checkpoint:on_interrupt()
  local signal = require "aelab.signal"
  return setmetatable({}, { __close = function(_, err)
    if not (err ~= nil and signal.is_interrupt(err) and self.kept) then return end
    local ok, why = pcall(self.write, self, "latest.safetensors", self.kept)
    io.stderr:write(ok and string.format("checkpoint: epoch %d written to %s/latest.safetensors\n", self.kept.epoch,
      self.dir) or ("checkpoint: not written: " .. tostring(why) .. "\n"))
  end })
end

return Checkpoint
