-- What fit does for a model with a GaussianSample (a VAE), kept out of
-- fit.lua: β each epoch (a number or a schedule, fit{beta = ...}), the loss
-- split into reconstruction and KL per epoch (train and validation), the
-- active units, and a warning when the posterior has collapsed.
--
-- history.reconstruction[e], history.kl[e]   train, averaged over the epoch's steps
-- history.val_reconstruction[e], val_kl[e]   validation, decoding μ (no draw)
-- history.beta[e]                            the β of the epoch; loss = reconstruction + β·kl
-- history.kl_units[e] = {KL of each latent unit, averaged over the data}
-- history.active_units[e]                    units whose KL is above ACTIVE_NATS
-- KL is in nats per sample and never weighted by β, so a warm-up from β = 0
-- still shows what the encoder does.
local V = {}

-- A unit whose mean KL is below this carries no information about x
-- (Burda et al.'s active units use 0.01 on the variance of μ; in nats the
-- same order of magnitude reads as "the posterior is the prior").
V.ACTIVE_NATS = 0.01
-- Rows of the training data the units are measured on when there is no
-- validation set: enough for a mean, and a bounded cost per epoch.
local UNIT_ROWS = 10000

-- The model's GaussianSample and its 1-based index, or nil.
function V.sampler(model)
  for i, l in ipairs(model:layers()) do
    if l:config().kind == "GaussianSample" then return l, i end
  end
end

-- The GaussianSample's input on x: (N, 2·latent), μ then log σ².
-- f(...) with the model in evaluation mode (no Dropout), its mode put back.
function V.evaluating(model, f, ...)
  local was = model:set_training(false)
  local res = table.pack(pcall(f, ...))
  model:set_training(was)
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

-- The GaussianSample's input (μ and log σ² side by side) for x, in
-- evaluation mode whatever the model's mode.
function V.moments(model, x)
  local g, k = V.sampler(model)
  assert(g, "the model has no GaussianSample")
  if k == 1 then return x, g end
  return V.evaluating(model, model.forward, model, x, 1, k - 1), g
end

-- {reconstruction = (loss of the output, decoding μ), kl = mean KL per
-- sample, units = {mean KL per unit}} on x (target defaults to x).
function V.loss_terms(model, x, target)
  local h, g = V.moments(model, x)
  local kl, units = g:kl(h)
  return { reconstruction = V.evaluating(model, model.loss, model, x, target or x), kl = kl, units = units }
end

local function count_active(units)
  local n = 0
  for _, u in ipairs(units) do if u > V.ACTIVE_NATS then n = n + 1 end end
  return n
end

local Tracker = {}
Tracker.__index = Tracker

-- tracker(model, opts, history) → nil for a model without a GaussianSample
-- (and then fit{beta} is an error).
function V.tracker(model, opts, history)
  local g = V.sampler(model)
  local beta = opts.beta
  if not g then
    if beta ~= nil then error("fit: beta is for a model with a GaussianSample (ae.VAE), and this one has none", 3) end
    return nil
  end
  if beta ~= nil and type(beta) ~= "number" and type(beta) ~= "function" then
    error("fit: beta must be a number or a schedule (ae.schedule.linear{...}), got " .. type(beta), 3)
  end
  for _, k in ipairs { "reconstruction", "kl", "val_reconstruction", "val_kl", "beta", "kl_units", "active_units" } do
    history[k] = history[k] or {}
  end
  -- beta0: the β before fit, put back when training stops before a good epoch
  return setmetatable({ model = model, g = g, beta = beta, history = history, beta0 = g:beta() }, Tracker)
end

function Tracker:epoch_start(epoch)
  if self.beta ~= nil then
    local b = type(self.beta) == "number" and self.beta or self.beta(epoch, 1)
    if type(b) ~= "number" or b ~= b or b < 0 or b == math.huge then
      error(string.format("fit: the beta schedule gave %s at epoch %d (expected a number ≥ 0)", tostring(b), epoch), 0)
    end
    self.g:set_beta(b)
  end
  self.loss_sum, self.term_sum, self.count = 0, 0, 0
  self.val = nil
end

function Tracker:batch(loss, terms, n)
  self.loss_sum = self.loss_sum + loss * n
  self.term_sum = self.term_sum + (terms or 0) * n
  self.count = self.count + n
end

-- The validation loss made comparable with the training loss (which holds
-- β·KL): reconstruction + β·KL. Its parts wait for epoch_end: an epoch that
-- turns out diverged leaves nothing in the history.
function Tracker:validation(val, vx)
  local kl, units = self.g:kl((V.moments(self.model, vx)))
  self.val = { reconstruction = val, kl = kl, units = units }
  return val + self.g:beta() * kl
end

-- After a good epoch: its parts into the history. The KL is the steps' own
-- (their β·KL over β); at β = 0 the steps carry none, and it is measured on
-- the first UNIT_ROWS training rows after the epoch, as the units are when
-- there is no validation set.
function Tracker:epoch_end(epoch, x)
  local hist, beta, val = self.history, self.g:beta(), self.val
  self.val = nil
  local kl = beta > 0 and (self.term_sum / self.count) / beta or nil
  local units = val and val.units
  if not kl or not units then
    local measured, train_units = self.g:kl((V.moments(self.model, x:narrow(1, 1, math.min(x:size(1), UNIT_ROWS)))))
    kl, units = kl or measured, units or train_units
  end
  hist.beta[epoch] = beta
  hist.reconstruction[epoch] = (self.loss_sum - self.term_sum) / self.count
  hist.kl[epoch] = kl
  if val then hist.val_reconstruction[epoch], hist.val_kl[epoch] = val.reconstruction, val.kl end
  hist.kl_units[epoch] = units
  hist.active_units[epoch] = count_active(units)
end

-- After a diverged epoch, when fit has put the last good weights back: β
-- goes back with them (the last good epoch's, or the one before fit).
function Tracker:restore()
  self.val = nil
  local e = self.history.epochs
  self.g:set_beta(e and e >= 1 and self.history.beta[e] or self.beta0)
end

-- After the last epoch: a collapsed posterior is said, not passed silently.
function Tracker:finish()
  local hist = self.history
  local e = hist.epochs
  local active = e and e >= 1 and hist.active_units[e]
  if active and active == 0 then
    -- English and shown: fit adds them to the history (guard.warn)
    return require("aelab.i18n").EF("posterior collapse: 0 of %d units active (each unit's KL below %g nats): " ..
      "the decoder ignores z; try a smaller β, a KL warm-up (fit{beta = ae.schedule.linear{...}}) or a weaker decoder",
      self.g:config().latent, V.ACTIVE_NATS)
  end
end

return V
