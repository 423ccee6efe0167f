-- Metrics on a model's outputs (not losses: nothing here is minimized).
--
--   ae.metrics.binary_accuracy(net:reconstruct(x), x)             -- targets rounded too
--   ae.metrics.binary_accuracy(r, x, { round_target = false })     -- Keras' `accuracy`
local optcheck = require "aelab.optcheck"
local T = require "aelab.tensor"

local metrics = {}

local CHUNK = 512 -- rows turned into Lua tables at a time

-- binary_accuracy(output, target [, {threshold = 0.5, round_target = true}]):
-- the fraction of values where the output, rounded at the threshold (1 when
-- above it, else 0), equals the target. With round_target the target is
-- rounded the same way, so a grey pixel counts as right when both sit on the
-- same side of 0.5. Without it the target is compared as it is, as Keras'
-- binary_accuracy (its `accuracy` for a sigmoid output) does: a grey target
-- pixel (neither 0 nor 1) can never be right, which caps the score at the
-- fraction of pixels that are exactly 0 or 1.
function metrics.binary_accuracy(output, target, o)
  optcheck.check("binary_accuracy", o, { "threshold", "round_target" }, 2)
  o = o or {}
  local th = o.threshold or 0.5
  if type(th) ~= "number" then error("binary_accuracy: threshold must be a number", 2) end
  if not (T.is_tensor(output) and T.is_tensor(target)) then
    error("binary_accuracy: expected two tensors (output, target)", 2)
  end
  local n = output:numel()
  if target:numel() ~= n or output:size(1) ~= target:size(1) then
    error(string.format("binary_accuracy: output has %d values in %d rows, target %d in %d: give them the same shape",
      n, output:size(1), target:numel(), target:size(1)), 2)
  end
  if n == 0 then error("binary_accuracy: no values", 2) end
  local round_target = o.round_target ~= false
  local N = output:size(1)
  local D = n // N
  local right = 0
  for start = 1, N, CHUNK do
    local rows = math.min(CHUNK, N - start + 1)
    local ot = output:narrow(1, start, rows):reshape(rows * D):totable()
    local tt = target:narrow(1, start, rows):reshape(rows * D):totable()
    for i = 1, #ot do
      local p = ot[i] > th and 1 or 0
      local t = tt[i]
      if round_target then t = t > th and 1 or 0 end
      if p == t then right = right + 1 end
    end
  end
  return right / n
end

return metrics
