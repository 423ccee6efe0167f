-- Metrics on a model's outputs (not losses: nothing here is minimized):
-- accuracy and the confusion matrix of predicted classes against labels
-- (classes are 0-based, as ae.data's y and net:predict(x) hold them), and
-- binary accuracy on pixels.
--
--   ae.metrics.binary_accuracy(net:reconstruct(x), x)             -- targets rounded too
--   ae.metrics.binary_accuracy(r, x, { round_target = false })     -- Keras' `accuracy`
local optcheck = require "aelab.optcheck"
local T = require "aelab.tensor"

local metrics = {}

-- A tensor ([N] or [N×1]) or a Lua list of class numbers, as a flat list.
-- Called from pair, from a metric: level 4 is the metric's caller.
local function classes_of(who, what, v)
  if T.is_tensor(v) then
    if v:dim() > 2 or (v:dim() == 2 and v:size(2) ~= 1) then
      error(string.format("%s: %s must hold one class per sample ([N] or [N×1]), got [%s]", who, what,
        table.concat(v:size(), "×")), 4)
    end
    return v:reshape(v:numel()):totable()
  end
  if type(v) ~= "table" then error(string.format("%s: %s must be a tensor or a list of classes, got %s", who, what,
    type(v)), 4) end
  return v
end

local function pair(who, pred, labels)
  local p, t = classes_of(who, "predictions", pred), classes_of(who, "labels", labels)
  if #p ~= #t then error(string.format("%s: %d predictions but %d labels", who, #p, #t), 3) end
  if #p == 0 then error(who .. ": no samples", 3) end
  return p, t
end

-- accuracy(pred, labels) → the fraction of samples whose predicted class is
-- their label (0..1).
function metrics.accuracy(pred, labels)
  local p, t = pair("accuracy", pred, labels)
  local hits = 0
  for i = 1, #p do
    if p[i] == t[i] then hits = hits + 1 end
  end
  return hits / #p
end

-- Past this many classes a guessed C (the largest class seen + 1) is more
-- likely a wrong argument (scores, pixel values) than classes: C×C counts.
local GUESS_MAX = 1000
local CLASSES_MAX = 4096

-- confusion(pred, labels [, classes]) → a tensor [C×C] of counts: row i + 1
-- is true class i, column j + 1 predicted class j (so the diagonal holds the
-- hits). classes defaults to 1 + the largest class seen (up to 1000; more
-- classes, up to 4096, are given as classes).
function metrics.confusion(pred, labels, classes)
  local p, t = pair("confusion", pred, labels)
  -- every value a class number first: C is sized from them
  for i = 1, #p do
    local a, b = t[i], p[i]
    if math.type(a) == nil or math.type(b) == nil or a < 0 or a ~= math.floor(a) or b < 0 or b ~= math.floor(b) then
      error(string.format("confusion: sample %d has label %s and prediction %s; classes are whole numbers from 0",
        i, tostring(a), tostring(b)), 2)
    end
  end
  local C = 0
  for i = 1, #p do C = math.max(C, p[i] + 1, t[i] + 1) end
  C = math.floor(C)
  if classes ~= nil then
    if math.type(classes) ~= "integer" or classes < 1 or classes > CLASSES_MAX then
      error(string.format("confusion: classes must be an integer in 1..%d, got %s", CLASSES_MAX, tostring(classes)), 2)
    end
    if classes < C then
      error(string.format("confusion: class %d seen but classes = %d (classes are 0..%d)", C - 1, classes,
        classes - 1), 2)
    end
    C = classes
  elseif C > GUESS_MAX then
    error(string.format("confusion: class %d seen, a %d×%d matrix; predictions and labels are class numbers " ..
      "(net:predict's, ae.data's y), not scores or pixels; for that many classes pass classes = C (up to %d)",
      C - 1, C, C, CLASSES_MAX), 2)
  end
  local counts = {}
  for i = 1, C * C do counts[i] = 0 end
  for i = 1, #p do
    local k = math.floor(t[i]) * C + math.floor(p[i]) + 1
    counts[k] = counts[k] + 1
  end
  return T.tensor(counts):reshape(C, C)
end

-- per_class(confusion) → {recall per true class (0..1)}, the diagonal over
-- each row's count (NaN for a class with no samples).
function metrics.per_class(cm)
  local C = cm:size(1)
  local rows, out = cm:totable(), {}
  for i = 1, C do
    local n = 0
    for j = 1, C do n = n + rows[i][j] end
    out[i] = n > 0 and rows[i][i] / n or 0 / 0
  end
  return out
end

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
