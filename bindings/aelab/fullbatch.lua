-- Full-batch optimizers on the model's flat parameter vector:
--
--   ae.optim.LBFGS{memory = 10, gtol = 1e-5, ftol = 1e-9, max_evals = 0, max_linesearch = 20}
--       L-BFGS (libLBFGS), More–Thuente line search (strong Wolfe conditions).
--   ae.optim.CG{gtol = 1e-5, ftol = 1e-9, max_evals = 0, step = 0.01, restart = 0, method = "pr+", line_tol = 0.1}
--       nonlinear conjugate gradient, Polak–Ribière+ with a strong-Wolfe line
--       search (core/minimize.c, ours), back to steepest descent when PR+'s β
--       is negative and every `restart` iterations (0: never forced); step is
--       the first trial step's length. method = "gsl": GSL's Polak–Ribière
--       instead (line_tol is its line search's tolerance), kept to compare:
--       on the letters it ends far above ours and scipy's (make bench-optim).
--   ae.optim.Powell{ftol = 1e-10, xtol = 1e-8, max_evals = 0, step = 0.5, evals_per_iteration = 0}
--       Powell's derivative-free method, as Brent's PRAXIS (NLopt). It never
--       computes a gradient: it needs about 10 evaluations per parameter for
--       one sweep of line searches (an "iteration"), so 150 iterations of a
--       3,000-parameter model are 4.5 million evaluations. PRAXIS does not
--       hand back its iterations; here one is evals_per_iteration evaluations
--       (0: 10 per parameter: scipy's Powell took 30,207 evaluations, 10.1 per
--       parameter, for its first iteration on the letters' 2,977 parameters). It keeps an n×n matrix of directions, so it
--       refuses models over MAX_POWELL_PARAMS parameters, and fit warns before
--       a run it estimates at over an hour. step is PRAXIS' initial step (0:
--       NLopt's own, from the weights' size): on the letters (35-20-2, 10
--       iterations) 0 left the loss at 0.699, 0.1 reached 0.0022, 0.5 0.00037.
--
-- The same fit call as the step optimizers: net:fit(x, {optimizer =
-- ae.optim.LBFGS{}, epochs = 200}) where epochs counts iterations over the
-- whole set (or over a fixed random subset of `batch` rows). One line per
-- iteration: the loss, function and gradient evaluations so far, |gradient|
-- and the step's length |Δw|. The history has loss, val_loss, seconds per
-- iteration as fit's, plus evals, grads, gnorm, step and elapsed (seconds
-- since the start) per iteration, and why = the sentence saying why the run
-- stopped (a tolerance met, the iteration budget, the evaluation budget,
-- the line search finding no lower loss), converged = whether a tolerance
-- was met. The minimizers search the unfrozen parameters only (a frozen
-- layer stays as it is; Powell's ~10 evaluations per parameter count those).
-- Ctrl-C stops between iterations: the model keeps its last
-- iteration, history.stopped = "interrupted" as with fit.
local optim = require "aelab.optim"
local optcheck = require "aelab.optcheck"
local sys = require "aelab.sys"
local T = require "aelab.tensor"
local guard = require "aelab.guard"

local M = {}
M.MAX_POWELL_PARAMS = 16384 -- its n×n directions: 2 GB of doubles there

local FullBatch = {}
FullBatch.__index = FullBatch

-- The options of each kind and their defaults; integers where marked.
local SPECS = {
  LBFGS = { gtol = 1e-5, ftol = 1e-9, max_evals = 0, memory = 10, max_linesearch = 20 },
  CG = { gtol = 1e-5, ftol = 1e-9, max_evals = 0, step = 0.01, line_tol = 0.1, restart = 0, method = "pr+" },
  Powell = { ftol = 1e-10, xtol = 1e-8, max_evals = 0, step = 0.5, evals_per_iteration = 0 },
}
local INTEGERS = { max_evals = true, memory = true, max_linesearch = true, restart = true, evals_per_iteration = true }
local POSITIVE = { memory = true, max_linesearch = true, step = false, line_tol = true }

local function make(kind)
  local spec = SPECS[kind]
  local keys = {}
  for k in pairs(spec) do keys[#keys + 1] = k end
  table.sort(keys)
  return function(o)
    o = optcheck.check(kind, o, keys, 2) or {}
    local self = setmetatable({ kind = kind }, FullBatch)
    for _, k in ipairs(keys) do
      local v = o[k]
      if v == nil then v = spec[k] end
      if k == "method" then
        if v ~= "pr+" and v ~= "gsl" then
          error(string.format("%s: method must be \"pr+\" (ours) or \"gsl\" (GSL's Polak–Ribière), got %s", kind,
            tostring(v)), 2)
        end
      elseif type(v) ~= "number" or v ~= v or v < 0 or v == math.huge then
        error(string.format("%s: %s must be a finite number ≥ 0, got %s", kind, k, tostring(v)), 2)
      end
      if INTEGERS[k] and math.type(v) ~= "integer" then
        if v ~= math.floor(v) then error(string.format("%s: %s must be an integer, got %s", kind, k, v), 2) end
        v = math.tointeger(v)
      end
      if POSITIVE[k] and v <= 0 then error(string.format("%s: %s must be > 0, got %s", kind, k, v), 2) end
      self[k] = v
    end
    if kind == "CG" and (self.step <= 0 or self.line_tol >= 1) then
      error(string.format("CG: step must be > 0 and line_tol in (0, 1), got %g and %g", self.step, self.line_tol), 2)
    end
    return self
  end
end

optim.LBFGS, optim.CG, optim.Powell = make "LBFGS", make "CG", make "Powell"

function M.is(o) return getmetatable(o) == FullBatch end
optim.is_full_batch = M.is

-- config() → the settings, as the constructor takes them, with kind
function FullBatch:config()
  local c = { kind = self.kind }
  for k in pairs(SPECS[self.kind]) do c[k] = self[k] end
  return c
end

function FullBatch:__tostring()
  local parts = {}
  for k in pairs(SPECS[self.kind]) do parts[#parts + 1] = string.format("%s=%s", k, self[k]) end
  table.sort(parts)
  return self.kind .. "{" .. table.concat(parts, ", ") .. "}"
end

local STEP_ONLY = { "beta", "checkpoint", "distributed", "every", "noise", "resume", "shuffle" }

local function fmt_time(s) return require("aelab.progress").fmt_time(s) end

-- fit's loop for these optimizers (fit.lua has checked x, target, the
-- validation data and the options' names).
-- check(model, opts, level): what these optimizers cannot do, refused
-- before fit changes anything (fit.lua calls it among its own checks, so
-- a refusal leaves the model's loss as it was); errors at `level`.
function M.check(model, opts, level)
  local o = opts.optimizer
  level = (level or 1) + 1
  for _, k in ipairs(STEP_ONLY) do
    if opts[k] ~= nil and not (k == "distributed" and opts[k] == false) then
      error(string.format("fit: %s is for the step optimizers (Adam, SGD, ...); %s minimizes one fixed loss over " ..
        "the whole set, without it", k, o.kind), level)
    end
  end
  for i, l in ipairs(model:layers()) do
    local kind = l:config().kind
    if kind == "Dropout" or kind == "GaussianSample" then
      error(string.format("fit: layer %d (%s) makes the loss random, and %s's line searches need one fixed " ..
        "function; train this model with a step optimizer (ae.optim.Adam{})", i, kind, o.kind), level)
    end
  end
  local n = model:trainable_count()
  if n == 0 then
    error("fit: every layer with weights is frozen (or there are none), so " .. o.kind .. " has nothing to " ..
      "minimize over; net:unfreeze() the layers to train", level)
  end
  if o.kind == "Powell" and n > M.MAX_POWELL_PARAMS then
    error(string.format("fit: Powell keeps an n×n matrix of search directions; this model trains %s parameters " ..
      "(%.1f GB of them), over its limit of %d: use ae.optim.LBFGS{} or ae.optim.CG{}, or freeze layers",
      require("aelab.format").commas(n), 8 * n * n / 1e9, M.MAX_POWELL_PARAMS), level)
  end
end

function M.fit(model, x, target, vx, vt, opts, warning, warning_shown)
  local o = opts.optimizer
  local epochs = opts.epochs or 10
  local N = x:size(1)
  local xs, ts = x, target
  local batch = opts.batch and math.min(opts.batch, N) or N
  if batch < N then -- a fixed random subset: the same function every evaluation
    local perm = T.randperm(N)
    local shape = x:size()
    shape[1] = batch
    xs = T.zeros(shape)
    x:rows(perm, 1, batch, xs)
    if rawequal(target, x) then ts = xs else
      local tshape = target:size()
      tshape[1] = batch
      ts = T.zeros(tshape)
      target:rows(perm, 1, batch, ts)
    end
  end

  local penalty = opts.penalty
  local detach <close> = setmetatable({}, { __close = function() pcall(model.set_penalty, model, "none") end })
  if penalty then penalty:attach(model) else model:set_penalty("none") end

  local n = model:trainable_count() -- frozen layers stay out of the minimizer's vector
  local cfg = o:config()
  cfg.max_iter = epochs
  local verbose = opts.verbose ~= false
  local out = opts.out or io.stdout
  local function say(fmt, ...)
    if verbose then
      out:write(string.format(fmt, ...), "\n")
      out:flush()
    end
  end
  local history = { loss = {}, val_loss = {}, seconds = {}, samples_per_s = {}, evals = {}, grads = {}, gnorm = {},
    step = {}, elapsed = {}, epochs = 0, batch = batch, samples = N, full_batch = true, optimizer = o.kind }
  guard.warn(history, warning, warning_shown)
  if warning then say("%s", history.warning_shown) end
  if o.kind == "Powell" then
    cfg.evals_per_iteration = o.evals_per_iteration > 0 and o.evals_per_iteration or 10 * n
    -- an estimate from a few evaluations timed now
    local t0 = sys.clock()
    for _ = 1, 3 do model:loss(xs, ts) end
    local per = (sys.clock() - t0) / 3
    local total = cfg.evals_per_iteration * epochs
    if o.max_evals > 0 then total = math.min(total, o.max_evals) end
    local est = total * per
    history.estimate_seconds = est
    say("Powell: %d parameters, %d evaluations per iteration, at most %d evaluations: about %s at %.0f µs each",
      n, cfg.evals_per_iteration, total, fmt_time(est), per * 1e6)
    if est > 3600 then
      local en, shown = require("aelab.i18n").EF("Powell: this run may take %s (%d parameters need ~10 " ..
        "evaluations each per iteration); lower epochs, set max_evals, or use ae.optim.LBFGS{}", fmt_time(est), n)
      say("warning: %s", shown)
      guard.warn(history, en, shown)
    end
  end

  local interrupt <close> = guard.on_interrupt(history)
  local every = opts.summary_every or 1
  local t_start = sys.clock()
  local last = t_start
  local function report(info)
    local now = sys.clock()
    local i = info.iter
    history.loss[i], history.evals[i], history.grads[i] = info.loss, info.evals, info.grads
    history.gnorm[i], history.step[i] = info.gnorm, info.step
    history.seconds[i], history.elapsed[i] = now - last, now - t_start
    history.samples_per_s[i] = batch / math.max(now - last, 1e-9)
    if vx then history.val_loss[i] = model:loss(vx, vt) end
    history.epochs = i
    if verbose and (i % every == 0 or i == 1 or i == epochs) then
      say("%s iter %d/%d  loss %.6g%s  evals %d  grads %d%s  step %.3g  %.2fs", o.kind, i, epochs, info.loss,
        history.val_loss[i] and string.format("  val_loss %.6g", history.val_loss[i]) or "", info.evals, info.grads,
        info.gnorm == info.gnorm and string.format("  |g| %.3g", info.gnorm) or "", info.step, now - t_start)
    end
    if opts.on_epoch then opts.on_epoch(i, history) end
    last = sys.clock()
    return false
  end
  local r = optim.minimize(model, xs, ts, cfg, report)
  history.total_seconds = sys.clock() - t_start
  history.why, history.converged = r.why, r.converged
  history.final_loss, history.total_evals, history.total_grads = r.loss, r.evals, r.grads
  say("%s: %d iterations, %d evaluations (%d with a gradient), loss %.6g, %.1fs: %s", o.kind, r.iterations, r.evals,
    r.grads, r.loss, history.total_seconds, r.why)
  local lesson = package.loaded["aelab.lesson"]
  if lesson and history.warning then lesson.note_training(history) end
  return history
end

return M
