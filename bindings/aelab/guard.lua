-- What fit does when training goes wrong: data with NaN or Inf (checked
-- once, before training), a loss that diverges (stopped, the last good
-- weights put back), an interrupt (Ctrl-C; the history so far kept for the
-- lesson's partial report). fit.lua calls these; the loop stays readable.
local guard = {}
local i18n = require "aelab.i18n"
local F, EF, N_ = i18n.F, i18n.EF, i18n.N_

-- A batch's loss diverged when it is NaN or ±Inf, or when it is more than
-- FACTOR times the lowest batch loss so far *and* above the first batch's
-- (the untrained model's) loss. The second condition keeps a model that has
-- already gone 1000× below its start (a toy problem near 0) from being
-- stopped by an ordinary noisy batch. (A best of 0 has no ratio: only NaN
-- and Inf count then.)
guard.FACTOR = 1e3

local function describe(v)
  if v ~= v then return "NaN" end
  if v == math.huge then return "+Inf" end
  if v == -math.huge then return "-Inf" end
  return string.format("%.6g", v)
end
guard.describe = describe

-- describe, with the student's decimal sign (for shown messages)
local function describe_shown(v)
  if v ~= v or v == math.huge or v == -math.huge then return describe(v) end
  return i18n.num(v, "%.6g")
end

-- Adds a warning to a history: English in history.warning (what
-- metrics.json's training_notes keeps), the student's language in
-- history.warning_shown (what the report and the terminal say).
function guard.warn(history, en, shown)
  if not en then return end
  shown = shown or en
  history.warning = history.warning and (history.warning .. "; " .. en) or en
  history.warning_shown = history.warning_shown and (history.warning_shown .. "; " .. shown) or shown
end

-- nil when t is all finite; else "has NaN at sample 17 (value 5 of 784)",
-- and the same in the student's language.
function guard.bad_values(t)
  local ok, i, v = t:finite()
  if ok then return nil end
  local per = t:numel() // math.max(t:size(1), 1)
  if t:dim() == 1 or per <= 1 then return EF("has %s at index %d", describe(v), i) end
  return EF("has %s at sample %d (value %d of %d)", describe(v), (i - 1) // per + 1, (i - 1) % per + 1, per)
end

-- Raises (level 3: fit's caller) when the training data or targets hold
-- NaN or Inf: nothing is trained on them, and the learning rate is not to
-- blame. Returns a warning (or nil) for the validation data, which fit then
-- skips instead of printing `val_loss nan` every epoch.
-- The warning comes as English and shown (guard.warn's two).
function guard.check_data(x, target, vx, vt)
  local _, bad = guard.bad_values(x)
  if bad then error(F("fit: the training data %s; remove or fix those values before training", bad), 3) end
  if not rawequal(target, x) then
    _, bad = guard.bad_values(target)
    if bad then error(F("fit: the target data %s; remove or fix those values before training", bad), 3) end
  end
  if vx then
    local what, en, shown = N_"fit: the validation data %s; validation is skipped (no val_loss)", guard.bad_values(vx)
    if not en and not rawequal(vt, vx) then
      what, en, shown = N_"fit: the validation target %s; validation is skipped (no val_loss)", guard.bad_values(vt)
    end
    if en then return string.format(what, en), F(what, shown) end
  end
  return nil
end

-- A watch over one fit: a copy of the parameter arena at the start and at
-- the end of every good epoch, and the losses the divergence rule compares.
local Watch = {}
Watch.__index = Watch

-- epoch: the last epoch already done (a resumed run's), 0 for a fresh one.
function guard.watch(model, epoch)
  local params = model:parameters()
  return setmetatable({ model = model, params = params, saved = params:clone(), best = math.huge,
    first = nil, epoch = epoch or 0 }, Watch)
end

-- After each batch: nil while all is well, else why training must stop
-- (English, and in the student's language).
function Watch:batch(loss, epoch, batch)
  self.first = self.first or loss
  local en, shown
  if loss ~= loss or loss == math.huge or loss == -math.huge then
    en, shown = EF("in epoch %d, batch %d the loss became %s", epoch, batch, describe(loss))
  elseif self.best > 0 and loss > guard.FACTOR * self.best and loss > self.first then
    local fmt = N_"in epoch %d, batch %d the loss jumped to %s, over %g times its best so far (%s)"
    en = string.format(fmt, epoch, batch, describe(loss), guard.FACTOR, describe(self.best))
    shown = F(fmt, epoch, batch, describe_shown(loss), guard.FACTOR, describe_shown(self.best))
  end
  if loss < self.best then self.best = loss end
  return en, shown
end

-- After an epoch whose losses were all fine: its weights are the new "good".
function Watch:epoch_ok(epoch)
  self.saved:copy(self.params)
  self.epoch = epoch
end

-- Puts the last good weights back and resets the optimizer, whose moments
-- (Adam's m and v) hold the blown-up gradients; returns what was done.
function Watch:restore()
  self.params:copy(self.saved)
  local opt = self.model:optimizer()
  if opt then opt:reset() end
  if self.epoch == 0 then return EF("the weights are back to those before training") end
  return EF("the weights are back to those after epoch %d", self.epoch)
end

-- The likely cause, named with the optimizer's learning rate.
function guard.cause(model)
  local opt = model:optimizer()
  local lr = opt and opt:lr()
  if lr then
    return EF("the learning rate (%g) is likely too large: try %g", lr, lr / 10)
  end
  return EF("the learning rate is likely too large")
end

-- The history of the last fit stopped by an interrupt, for the lesson's
-- partial report (Lesson.on_interrupt); nil otherwise.
guard.interrupted_history = nil

-- A to-be-closed value for fit: when fit unwinds with the interrupt (the
-- error value aelab.signal raises on Ctrl-C), the history gets
-- stopped = "interrupted" and is kept in guard.interrupted_history.
function guard.on_interrupt(history)
  local signal = require "aelab.signal"
  return setmetatable({}, { __close = function(_, err)
    if err ~= nil and signal.is_interrupt(err) then
      history.stopped = "interrupted"
      guard.interrupted_history = history
    end
  end })
end

-- A markdown table of a history's epochs (for a partial report).
function guard.history_table(h)
  local rows = { "| epoch | train loss | validation loss |", "|---:|---:|---:|" }
  for e = 1, h.epochs do
    rows[#rows + 1] = string.format("| %d | %.4f | %s |", e, h.loss[e], h.val_loss[e] and
      string.format("%.4f", h.val_loss[e]) or "—")
  end
  return table.concat(rows, "\n")
end

return guard
