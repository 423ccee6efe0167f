-- Noise, noise schedules and penalties: the options that keep an
-- autoencoder from learning the identity. They are descriptions (plain
-- tables); fit hands them to the model, and the C core does the work
-- (core/noise.c, core/penalty.c).
--
--   noise = ae.noise.gaussian{std = 0.5}          x̃ = clip(x + N(0, std²))
--   noise = ae.noise.masking{p = 0.3}             each value set to 0 with probability p
--   noise = ae.noise.salt_pepper{p = 0.1}         each value set to lo or hi with probability p
--   level: a number, or function(epoch, batch) → number, e.g.
--          ae.schedule.linear{from = 0.1, to = 0.5, epochs = 10}
--   penalty = ae.penalty.l1{lambda = 1e-4, layer = 2}
--   penalty = ae.penalty.kl_sparsity{rho = 0.05, beta = 3, layer = 2}
--   penalty = ae.penalty.contractive{lambda = 0.1}
-- `layer` is the layer whose output is penalized (1-based, as in print(net));
-- without it, the code (the encoder's last layer).
local Model = require "aelab.model"
local optcheck = require "aelab.optcheck"

local R = { noise = {}, schedule = {}, penalty = {} }

local function check(cond, msg) if not cond then error(msg, 3) end end
local function is_level(v) return type(v) == "number" or type(v) == "function" end

---------------------------------------------------------------------------
-- Noise
---------------------------------------------------------------------------
local Noise = {}
Noise.__index = Noise

local function noise(kind, what, o, key)
  check(type(o) == "table", string.format("ae.noise.%s: expected {%s = ...}", kind, key))
  optcheck.check("ae.noise." .. kind, o, { "clip", key }, 3)
  local level = o[key]
  check(is_level(level), string.format("ae.noise.%s: %s must be a number or a function(epoch, batch), got %s",
    kind, key, type(level)))
  if type(level) == "number" then
    check(level >= 0 and (key == "std" or level <= 1),
      string.format("ae.noise.%s: %s = %g is outside %s", kind, key, level, key == "std" and "[0, ∞)" or "[0, 1]"))
  end
  if o.clip then check(type(o.clip) == "table" and #o.clip == 2, "ae.noise." .. kind .. ": clip must be {lo, hi}") end
  return setmetatable({ kind = kind, what = what, key = key, level = level, clip = o.clip }, Noise)
end

function R.noise.gaussian(o) return noise("gaussian", "Gaussian", o, "std") end
function R.noise.masking(o) return noise("masking", "masking", o, "p") end
function R.noise.salt_pepper(o) return noise("salt_pepper", "salt-and-pepper", o, "p") end
function R.is_noise(v) return getmetatable(v) == Noise end

-- The level at (epoch, batch): the number, or the schedule's value.
function Noise:level_at(epoch, batch)
  if type(self.level) == "number" then return self.level end
  local v = self.level(epoch or 1, batch or 1)
  check(type(v) == "number" and v >= 0, string.format("%s noise: the schedule gave %s at epoch %s", self.what,
    tostring(v), tostring(epoch)))
  return v
end

-- The range values are clipped to: clip = {lo, hi}, or the data's own.
function Noise:range(x)
  if self.clip then return self.clip[1], self.clip[2] end
  return x:min(), x:max()
end

-- apply(x [, level]) → a corrupted copy of x (level: the noise's, at epoch 1).
function Noise:apply(x, level)
  local lo, hi = self:range(x)
  return Model.corrupt(x, self.kind, level or self:level_at(1, 1), lo, hi)
end

function Noise:__tostring()
  local l = type(self.level) == "number" and string.format("%g", self.level) or "schedule"
  return string.format("%s(%s=%s)", self.kind, self.key, l)
end

---------------------------------------------------------------------------
-- Schedules: function(epoch, batch) → level
---------------------------------------------------------------------------
local function progress(o, epoch)
  local n = math.max((o.epochs or 1) - 1, 1)
  return math.min(math.max((epoch - 1) / n, 0), 1)
end

local function check_ends(name, o)
  if type(o) == "table" then optcheck.check("ae.schedule." .. name, o, { "epochs", "from", "to" }, 3) end
  check(type(o) == "table" and type(o.from) == "number" and type(o.to) == "number" and
    math.type(o.epochs) == "integer" and o.epochs >= 1,
    "ae.schedule." .. name .. ": expected {from = number, to = number, epochs = positive integer}")
end

-- linear{from, to, epochs}: from at epoch 1 to `to` at epoch `epochs`, then flat.
function R.schedule.linear(o)
  check_ends("linear", o)
  return function(epoch) return o.from + (o.to - o.from) * progress(o, epoch) end
end

-- cosine{from, to, epochs}: half a cosine from `from` to `to`.
function R.schedule.cosine(o)
  check_ends("cosine", o)
  return function(epoch) return o.from + (o.to - o.from) * (1 - math.cos(math.pi * progress(o, epoch))) / 2 end
end

-- step{levels = {a, b, c}, every = k}: a for epochs 1..k, b for k+1..2k, ...
function R.schedule.step(o)
  if type(o) == "table" then optcheck.check("ae.schedule.step", o, { "every", "levels" }, 2) end
  check(type(o) == "table" and type(o.levels) == "table" and #o.levels >= 1 and math.type(o.every) == "integer" and
    o.every >= 1, "ae.schedule.step: expected {levels = {numbers}, every = positive integer}")
  return function(epoch) return o.levels[math.min(#o.levels, (epoch - 1) // o.every + 1)] end
end

---------------------------------------------------------------------------
-- Penalties
---------------------------------------------------------------------------
local Penalty = {}
Penalty.__index = Penalty

local function penalty(kind, weight_key, o, extra)
  check(type(o) == "table", "ae.penalty." .. kind .. ": expected a table of options")
  optcheck.check("ae.penalty." .. kind, o, extra and { weight_key, "layer", "rho", "estimate" } or { weight_key, "layer" }, 3)
  local w = o[weight_key]
  check(type(w) == "number" and w >= 0, string.format("ae.penalty.%s: %s must be a number ≥ 0, got %s", kind,
    weight_key, tostring(w)))
  check(o.layer == nil or math.type(o.layer) == "integer", "ae.penalty." .. kind .. ": layer must be an integer")
  local p = setmetatable({ kind = kind, weight = w, weight_key = weight_key, layer = o.layer or 0 }, Penalty)
  if extra then extra(p, o) end
  return p
end

function R.penalty.l1(o) return penalty("l1", "lambda", o) end
function R.penalty.contractive(o) return penalty("contractive", "lambda", o) end
function R.penalty.kl_sparsity(o)
  return penalty("kl_sparsity", "beta", o, function(p, t)
    check(type(t.rho) == "number" and t.rho > 0 and t.rho < 1, "ae.penalty.kl_sparsity: rho must be in (0, 1)")
    check(t.estimate == nil or t.estimate == "batch" or t.estimate == "dataset",
      "ae.penalty.kl_sparsity: estimate must be \"batch\" (ρ̂ over each batch) or \"dataset\" (over the whole " ..
      "training set: measured at each epoch's start, corrected every step), got " .. tostring(t.estimate))
    p.rho, p.estimate = t.rho, t.estimate or "batch"
  end)
end
function R.is_penalty(v) return getmetatable(v) == Penalty end

-- Puts the penalty on a model (errors name the layer when it does not fit).
function Penalty:attach(model) model:set_penalty(self.kind, self.weight, self.layer, self.rho) end

-- KL with estimate = "dataset": ρ̂_j is the mean activation of unit j over
-- all of x, as the slides define it. Held fixed for an epoch it lags the
-- weights, and Adam, whose steps do not shrink with the gradient, drives
-- units far past ρ before the next measurement (lesson 06 saw them
-- saturate). So the estimate is corrected every step by a control variate:
-- at the start of each epoch fit measures every sample's activations
-- (one forward pass over x up to the penalized layer, kept: N×H floats) and
-- their mean ρ̂_set; a step on rows b then uses
--   ρ̂ = ρ̂_set + mean_b a(now) − mean_b a(epoch start),
-- the set's mean moved by how much these rows' activations moved since. It
-- equals ρ̂_set at the epoch's first step, follows the weights within the
-- step, and its gradient flows through the batch's own rows.
function Penalty:measure_dataset(model, x)
  local _, layer = model:penalty()
  local N, chunk = x:size(1), 4096
  local H
  for start = 1, N, chunk do
    local n = math.min(chunk, N - start + 1)
    local a = model:forward(x:narrow(1, start, n), 1, layer)
    H = H or a:numel() // n
    a = a:reshape(n, H)
    if start == 1 then self.start_codes = require("aelab.tensor").zeros(N, H) end
    self.start_codes:narrow(1, start, n):copy(a)
  end
  self.set_rho_hat = self.start_codes:mean(true)
  return self.set_rho_hat
end

-- The correction for the rows perm[start .. start+n-1] of this step.
function Penalty:hold_for_batch(model, perm, start, n)
  local s = self.start_codes:rows(perm, start, n):mean(true)
  model:hold_rho_hat(self.set_rho_hat - s, true)
end

function Penalty:__tostring()
  local s = string.format("%s(%s=%g", self.kind, self.weight_key, self.weight)
  if self.rho then s = s .. string.format(", rho=%g", self.rho) end
  if self.estimate == "dataset" then s = s .. ", estimate=dataset" end
  if self.layer ~= 0 then s = s .. ", layer=" .. self.layer end
  return s .. ")"
end

return R
