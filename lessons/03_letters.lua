-- Lesson 03 — the 7×5 letter font in a 2-D latent space, as the course ran it.
--
-- Question: can 32 dot-matrix characters be squeezed into two numbers each
-- and come back intact? The slides trained 35-25-15-10-2 (and back) with
-- Powell's derivative-free method for 150 iterations; here the same model
-- is also trained by L-BFGS and by Adam, and each is measured in function
-- evaluations and seconds. Then the slides' other runs: the layers 20 /
-- 25-15 / 25-15-10 compared, a subset of the letters (is the error larger
-- with more letters?), and what lives between the letters in the plane.
--
--   ./aelab lessons/03_letters.lua          (5 to 20 minutes: Powell's 150 iterations are 4.5 million evaluations)
--   ./aelab --quick lessons/03_letters.lua  (seconds; Powell runs 6,000 evaluations)
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt), FN picks a plural.
local T, F, FN = ae.i18n.T, ae.i18n.F, ae.i18n.FN
local int, fmt = ae.i18n.int, ae.i18n.fmt

local L = ae.Lesson.new {
  name = "03_letters",
  title = T"Lesson 03 — the 7×5 letter font in a 2-D latent space",
  question = T("Can 32 characters of 35 pixels each be coded with 2 numbers and decoded without a\n" ..
    "wrong pixel? How do Powell's method (the course's), L-BFGS and Adam compare on it? What do the\n" ..
    "points between the letters decode to?"),
}

local quick = ae.options.quick
-- 32 rows: one thread is faster than two here (measured: a gradient of the
-- 35-20-2 model took 0.24 ms on one thread, 20 ms on two on a busy machine).
ae.threads(1)
local POWELL_ITERS = quick and 1 or 150     -- the slides' main run
-- --quick: Powell's one iteration cut to a few thousand evaluations
local function Powell() return ae.optim.Powell(quick and { max_evals = 6000 } or nil) end
local SUBSET_ITERS = quick and 1 or 50      -- the slides' subset run
local LBFGS_ITERS = quick and 100 or 20000  -- the main run's (about 0.6 ms an iteration here)
local LBFGS_SHORT = quick and 100 or 5000  -- the layers' and the subsets' runs, 21 of them
local ADAM_EPOCHS = quick and 400 or 10000
local ADAM_LR = 3e-3
local SEEDS = quick and { 42 } or { 42, 43, 44 }

local data = ae.data.letters()
local x, chars = data.x, data.chars
local N = x:size(1)
L:say(T"The font: %d symbols of 7×5 pixels (%s).", N, table.concat(chars))

-- encoder 35 → h1 → ... → 2, decoder the mirror image; tanh inside, sigmoid out
local function build(hidden)
  local enc, dec, prev = {}, {}, 35
  for _, n in ipairs(hidden) do
    enc[#enc + 1] = ae.Dense(prev, n)
    enc[#enc + 1] = ae.Tanh()
    prev = n
  end
  enc[#enc + 1] = ae.Dense(prev, 2)
  prev = 2
  for i = #hidden, 1, -1 do
    dec[#dec + 1] = ae.Dense(prev, hidden[i])
    dec[#dec + 1] = ae.Tanh()
    prev = hidden[i]
  end
  dec[#dec + 1] = ae.Dense(prev, 35)
  dec[#dec + 1] = ae.Sigmoid()
  local net = ae.Autoencoder { encoder = enc, decoder = dec }
  net:set_loss("bce")
  return net
end
local function arch_name(hidden) return "35-" .. table.concat(hidden, "-") .. "-2" end

-- wrong pixels of each row of xs after thresholding the reconstruction at 0.5
local function pixel_errors(net, xs)
  local r = net:reconstruct(xs)
  local errs, worst, total = {}, 0, 0
  for i = 1, xs:size(1) do
    local w = 0
    for j = 1, 35 do
      if (r:get(i, j) > 0.5 and 1 or 0) ~= xs:get(i, j) then w = w + 1 end
    end
    errs[i], worst, total = w, math.max(worst, w), total + w
  end
  return errs, worst, total
end

local function last(t) return t[#t] end

-- Why a run stopped (core/minimize.c says it in English): the same sentence
-- in the current language, its numbers kept; a sentence not listed here
-- stays as the optimizer wrote it.
local function why_text(why)
  local base, restarts = why:match("^(.-) %(memory restarted (%d+) times?%)$")
  local tail = ""
  if base then
    restarts = tonumber(restarts)
    tail = FN(" (memory restarted %d time)", " (memory restarted %d times)", restarts, restarts)
  else
    base = why
  end
  local a, b = base:match("^evaluation budget: (%d+) evaluations %(max_evals = (%d+)%)$")
  if a then return F("evaluation budget: %d evaluations (max_evals = %d)", tonumber(a), tonumber(b)) .. tail end
  a, b = base:match("^iteration budget: (%d+) iterations of (%d+) evaluations$")
  if a then return F("iteration budget: %d iterations of %d evaluations", tonumber(a), tonumber(b)) .. tail end
  a = base:match("^iteration budget: (%d+) iterations$")
  if a then return F("iteration budget: %d iterations", tonumber(a)) .. tail end
  a = base:match("^stopped by the caller after (%d+) iterations$")
  if a then return F("stopped by the caller after %d iterations", tonumber(a)) .. tail end
  a = base:match("^converged: the loss fell by less than ftol = (%S+) %(relative%) in an iteration$")
  if a and tonumber(a) then
    return F("converged: the loss fell by less than ftol = %g (relative) in an iteration", tonumber(a)) .. tail
  end
  a = base:match("^converged: |gradient| ≤ gtol·max%(1, |w|%) %(gtol = (%S+)%)$")
  if a and tonumber(a) then return F("converged: |gradient| ≤ gtol·max(1, |w|) (gtol = %g)", tonumber(a)) .. tail end
  a = base:match("^converged: |gradient| ≤ gtol = (%S+)$")
  if a and tonumber(a) then return F("converged: |gradient| ≤ gtol = %g", tonumber(a)) .. tail end
  a = base:match("^converged: the loss changed by less than ftol = (%S+) %(relative%)$")
  if a and tonumber(a) then return F("converged: the loss changed by less than ftol = %g (relative)", tonumber(a)) .. tail end
  a = base:match("^converged: the weights changed by less than xtol = (%S+) %(relative%)$")
  if a and tonumber(a) then return F("converged: the weights changed by less than xtol = %g (relative)", tonumber(a)) .. tail end
  a = base:match("^the line search found no lower loss along the search direction %(libLBFGS status (%-?%d+)%): at " ..
    "float precision the loss cannot be lowered further from here$")
  if a then
    return F("the line search found no lower loss along the search direction (libLBFGS status %d): at float " ..
      "precision the loss cannot be lowered further from here", tonumber(a)) .. tail
  end
  if base == "PRAXIS stopped: rounding errors limit further progress" then
    return T"PRAXIS stopped: rounding errors limit further progress" .. tail
  end
  return why
end

---------------------------------------------------------------------------
-- 1. The slides' main run, 35-25-15-10-2, by three optimizers from the same start
---------------------------------------------------------------------------
local MAIN = { 25, 15, 10 }
L:say(FN("\n1. %s from the same initial weights, trained by Powell (%d iteration, the course's), L-BFGS (at most %d " ..
  "iterations) and Adam (%d full-batch epochs, lr %g); loss: BCE per pixel.",
  "\n1. %s from the same initial weights, trained by Powell (%d iterations, the course's), L-BFGS (at most %d " ..
  "iterations) and Adam (%d full-batch epochs, lr %g); loss: BCE per pixel.", POWELL_ITERS, arch_name(MAIN), POWELL_ITERS,
  LBFGS_ITERS, ADAM_EPOCHS, ADAM_LR))

local main = {}
local powell_at_subset -- Powell's pixel errors after SUBSET_ITERS iterations on all letters
do -- Powell
  ae.seed(42)
  local net = build(MAIN)
  local h = net:fit(x, { optimizer = Powell(), epochs = POWELL_ITERS, summary_every = quick and 1 or 10,
    on_epoch = function(i)
      if i == SUBSET_ITERS then
        local _, _, total = pixel_errors(net, x)
        powell_at_subset = total
      end
    end })
  main[#main + 1] = { name = "Powell (PRAXIS)", net = net, history = h, evals = h.evals, seconds = h.elapsed }
end
do -- L-BFGS
  ae.seed(42)
  local net = build(MAIN)
  local h = net:fit(x, { optimizer = ae.optim.LBFGS {}, epochs = LBFGS_ITERS, summary_every = quick and 20 or 1000 })
  main[#main + 1] = { name = "L-BFGS", net = net, history = h, evals = h.evals, seconds = h.elapsed }
end
local adam_steps = {} -- |Δw| of each Adam epoch (one step: the batch is all 32)
do -- Adam, and the length of its steps
  ae.seed(42)
  local net = build(MAIN)
  local w = net:parameters()
  local prev = w:clone()
  local h = net:fit(x, { optimizer = ae.optim.Adam { lr = ADAM_LR }, epochs = ADAM_EPOCHS, batch = N, verbose = false,
    on_epoch = function(e)
      local d = w - prev
      adam_steps[e] = math.sqrt((d * d):sum())
      prev:copy(w)
    end })
  local evals, seconds, t = {}, {}, 0
  for e = 1, h.epochs do
    evals[e], t = e, t + h.seconds[e]
    seconds[e] = t
  end
  L:say(T"Adam: %d epochs, loss %.4g, %.1fs", h.epochs, last(h.loss), h.total_seconds)
  main[#main + 1] = { name = "Adam", net = net, history = h, evals = evals, seconds = seconds }
end

local rows = { T"| optimizer | final loss | evaluations (with gradient) | seconds | wrong pixels, worst letter | wrong pixels in all | why it stopped |",
  "|---|---:|---:|---:|---:|---:|---|" }
local best
for _, run in ipairs(main) do
  local h = run.history
  run.errs, run.worst, run.total = pixel_errors(run.net, x)
  run.loss = last(h.loss)
  run.n_evals = h.full_batch and h.total_evals or last(run.evals) -- with a last failed line search's
  run.n_grads = h.full_batch and h.total_grads or h.epochs
  run.secs = last(run.seconds)
  rows[#rows + 1] = fmt("| %s | %.4g | %s (%s) | %.1f | %d | %d | %s |", run.name, run.loss, int(run.n_evals),
    int(run.n_grads), run.secs, run.worst, run.total, h.why and why_text(h.why) or
    FN("%d epoch", "%d epochs", h.epochs, h.epochs))
  if not best or run.total < best.total or (run.total == best.total and run.loss < best.loss) then best = run end
end
L:section(F("The slides' run: %s by three optimizers", arch_name(MAIN)), table.concat(rows, "\n") ..
  "\n\n" .. T("Powell here is NLopt's PRAXIS (Brent's refinement of Powell's method); one iteration is 10 evaluations " ..
  "per parameter, about what one sweep of n line searches costs in scipy's Powell. L-BFGS is libLBFGS with " ..
  "a More–Thuente line search; Adam steps once per epoch on all 32 letters, so an epoch is one evaluation with " ..
  "a gradient. Seconds are wall time on a shared 2-core machine (noisy)."))

local prow = { "| " .. T"letter" .. " | " .. table.concat((function() local t = {} for i, r in ipairs(main) do t[i] = r.name end return t end)(), " | ") .. " |",
  "|---|" .. string.rep("---:|", #main) }
for i = 1, N do
  local cells = {}
  for k, r in ipairs(main) do cells[k] = tostring(r.errs[i]) end
  prow[#prow + 1] = string.format("| `%s` | %s |", chars[i], table.concat(cells, " | "))
end
L:section(F("Wrong pixels per letter (of 35), %s", arch_name(MAIN)), table.concat(prow, "\n"))

local by_evals, by_seconds = {}, {}
for k, r in ipairs(main) do
  by_evals[k] = { label = r.name, x = r.evals, y = r.history.loss }
  by_seconds[k] = { label = r.name, x = r.seconds, y = r.history.loss }
end
L:say(T"\nFigures:")
L:figure("loss_by_evaluations.png", T"The loss against function evaluations, for each optimizer (log scales)",
  ae.plot.series(by_evals, { out = L:path("loss_by_evaluations.png"), xlabel = T"function evaluations",
    ylabel = T"BCE per pixel", logscale = "xy", points = quick, key = "bottom left",
    title = F("%s: loss against evaluations", arch_name(MAIN)) }))
L:figure("loss_by_seconds.png", T"The loss against seconds of training, for each optimizer (log scales)",
  ae.plot.series(by_seconds, { out = L:path("loss_by_seconds.png"), xlabel = T"seconds", ylabel = T"BCE per pixel",
    logscale = "xy", points = quick, key = "bottom left", title = F("%s: loss against time", arch_name(MAIN)) }))

-- L-BFGS's and Adam's cost to reach Powell's final loss
local function reach(run, target)
  for i, v in ipairs(run.history.loss) do
    if v <= target then return run.evals[i], run.seconds[i] end
  end
end
local powell, lbfgs, adam = main[1], main[2], main[3]

---------------------------------------------------------------------------
-- 2. Intermediate layers: 20, 25-15, 25-15-10 (by L-BFGS, several starts)
---------------------------------------------------------------------------
local ARCHS = { { 20 }, { 25, 15 }, { 25, 15, 10 } }
L:say(FN("\n2. The slides' layer choices, each trained by L-BFGS from %d start:",
  "\n2. The slides' layer choices, each trained by L-BFGS from %d starts:", #SEEDS, #SEEDS))
local arows = { T"| architecture | parameters | best loss | wrong pixels, worst letter | wrong pixels in all (best start) | median over starts |",
  "|---|---:|---:|---:|---:|---:|" }
local arch_runs, arch_hist = {}, {}
for _, hidden in ipairs(ARCHS) do
  local name = arch_name(hidden)
  local b, totals
  totals = {}
  for s, seed in ipairs(SEEDS) do
    ae.seed(seed)
    local net = build(hidden)
    local h = net:fit(x, { optimizer = ae.optim.LBFGS {}, epochs = LBFGS_SHORT, verbose = false })
    local _, worst, total = pixel_errors(net, x)
    totals[s] = total
    if not b or total < b.total or (total == b.total and last(h.loss) < b.loss) then
      b = { net = net, history = h, worst = worst, total = total, loss = last(h.loss) }
    end
  end
  L:say(T"  %-16s %5s parameters  best loss %.4g  wrong pixels %d (worst letter %d)  median over starts %g", name,
    int(b.net:param_count()), b.loss, b.total, b.worst, ae.median(totals))
  arows[#arows + 1] = fmt("| %s | %s | %.4g | %d | %d | %g |", name, int(b.net:param_count()), b.loss,
    b.worst, b.total, ae.median(totals))
  arch_runs[#arch_runs + 1] = { name = name, best = b, median = ae.median(totals), lo = math.min(table.unpack(totals)),
    hi = math.max(table.unpack(totals)) }
  arch_hist[#arch_hist + 1] = { label = name, history = b.history }
end
L:section(FN("Intermediate layers (L-BFGS, at most %d iterations, best of %d start)",
  "Intermediate layers (L-BFGS, at most %d iterations, best of %d starts)", #SEEDS, LBFGS_SHORT, #SEEDS),
  table.concat(arows, "\n"))
L:figure("architectures.png", T"L-BFGS's loss per iteration for the three layer choices (best start of each)",
  ae.plot.history(arch_hist, { out = L:path("architectures.png"), logscale = true,
    title = T"Letters: L-BFGS on 20 / 25-15 / 25-15-10" }))

---------------------------------------------------------------------------
-- 3. A subset of the letters: is the error larger with more letters?
---------------------------------------------------------------------------
local SIZES = quick and { 8, 32 } or { 8, 16, 24, 32 }
L:say(T"\n3. Training sets of %s letters (a random subset, the same for every start), %s by L-BFGS:",
  table.concat(SIZES, ", "), arch_name(MAIN))
ae.seed(7)
local perm = ae.randperm(N)
local srows = { T"| letters trained on | best loss | wrong pixels per trained letter (best start) | median over starts |",
  "|---:|---:|---:|---:|" }
local subset_x, subset_err, subset_loss = {}, {}, {}
local subset_spread = 0 -- the widest spread of wrong pixels per letter between starts of one size
for _, k in ipairs(SIZES) do
  local xs = ae.zeros(k, 35)
  x:rows(perm, 1, k, xs)
  local per, loss = {}, math.huge
  for s, seed in ipairs(SEEDS) do
    ae.seed(seed)
    local net = build(MAIN)
    local h = net:fit(xs, { optimizer = ae.optim.LBFGS {}, epochs = LBFGS_SHORT, verbose = false })
    local _, _, total = pixel_errors(net, xs)
    per[s] = total / k
    loss = math.min(loss, last(h.loss))
  end
  local bestper = math.min(table.unpack(per))
  subset_spread = math.max(subset_spread, math.max(table.unpack(per)) - bestper)
  subset_x[#subset_x + 1], subset_err[#subset_err + 1] = k, ae.median(per)
  subset_loss[#subset_loss + 1] = loss
  L:say(T"  %2d letters: best loss %.4g, wrong pixels per letter %.3f (median over starts %.3f)", k, loss, bestper,
    ae.median(per))
  srows[#srows + 1] = fmt("| %d | %.4g | %.3f | %.3f |", k, loss, bestper, ae.median(per))
end
-- and Powell on a subset, as the slides ran it: 16 letters, SUBSET_ITERS iterations
local SUB = math.min(16, N)
local xs16 = ae.zeros(SUB, 35)
x:rows(perm, 1, SUB, xs16)
ae.seed(42)
local pnet = build(MAIN)
local ph = pnet:fit(xs16, { optimizer = Powell(), epochs = SUBSET_ITERS, verbose = false })
local _, _, ptotal = pixel_errors(pnet, xs16)
local powell_sub = { loss = last(ph.loss), per = ptotal / SUB, all_per = (powell_at_subset or 0) / N }
L:say(FN("  Powell, %d iteration: %d letters → %.3f wrong pixels per letter (loss %.4g); all %d letters after the " ..
  "same %d iteration → %.3f", "  Powell, %d iterations: %d letters → %.3f wrong pixels per letter (loss %.4g); all %d " ..
  "letters after the same %d iterations → %.3f", SUBSET_ITERS, SUBSET_ITERS, SUB, powell_sub.per, powell_sub.loss, N,
  SUBSET_ITERS, powell_sub.all_per))
srows[#srows + 1] = FN("| %d (Powell, %d iteration) | %.4g | %.3f | — |", "| %d (Powell, %d iterations) | %.4g | %.3f | — |",
  SUBSET_ITERS, SUB, SUBSET_ITERS, powell_sub.loss, powell_sub.per)
srows[#srows + 1] = FN("| %d (Powell, the main run after %d iteration) | %.4g | %.3f | — |",
  "| %d (Powell, the main run after %d iterations) | %.4g | %.3f | — |", SUBSET_ITERS, N, SUBSET_ITERS,
  powell.history.loss[SUBSET_ITERS] or 0 / 0, powell_sub.all_per)
L:section(F("A subset of the letters (%s)", arch_name(MAIN)), table.concat(srows, "\n") ..
  "\n\n" .. T"The error is measured on the letters each model was trained on, as the course's remark is about.")
L:figure("subset.png", T"Wrong pixels per trained letter against the number of letters trained on (L-BFGS, median over starts)",
  ae.plot.series({ { label = "L-BFGS, " .. arch_name(MAIN), x = subset_x, y = subset_err } }, {
    out = L:path("subset.png"), xlabel = T"letters in the training set", ylabel = T"wrong pixels per letter",
    title = T"Training error against training-set size" }))

---------------------------------------------------------------------------
-- 4. The spikes of the long Adam run
---------------------------------------------------------------------------
local function spikes(loss)
  local n, biggest, at = 0, 1, nil
  for i = 2, #loss do
    local r = loss[i] / loss[i - 1]
    if r > 1.5 then
      n = n + 1
      if r > biggest then biggest, at = r, i end
    end
  end
  return n, biggest, at
end
local n_spikes, biggest, spike_at = spikes(adam.history.loss)
local function median_of(t, a, b)
  local s = {}
  for i = math.max(a, 1), math.min(b, #t) do s[#s + 1] = t[i] end
  return ae.median(s)
end
local W = math.max(1, ADAM_EPOCHS // 10)
local step_early, step_late = median_of(adam_steps, 1, W), median_of(adam_steps, ADAM_EPOCHS - W + 1, ADAM_EPOCHS)
local loss_early, loss_late = median_of(adam.history.loss, 1, W), median_of(adam.history.loss, ADAM_EPOCHS - W + 1, ADAM_EPOCHS)
ae.seed(42)
local dnet = build(MAIN)
local dopt = ae.optim.Adam { lr = ADAM_LR }
local DECAY = math.max(1, ADAM_EPOCHS // 10)
local dh = dnet:fit(x, { optimizer = dopt, epochs = ADAM_EPOCHS, batch = N, verbose = false,
  on_epoch = function(e) dopt:set_lr(ADAM_LR / (1 + e / DECAY)) end })
local d_spikes = spikes(dh.loss)
L:say(T("\n4. Adam's spikes: %d epochs where the loss rose over 1.5× (the biggest ×%.1f at epoch %s); |Δw| per epoch " ..
  "%.3g in the first tenth, %.3g in the last while the loss went %.3g → %.3g. With lr/(1 + epoch/%d): %d spikes, " ..
  "final loss %.4g (constant lr: %.4g)."), n_spikes, biggest, tostring(spike_at), step_early, step_late, loss_early,
  loss_late, DECAY, d_spikes, last(dh.loss), adam.loss)
L:figure("adam_spikes.png", T"Adam's loss with a constant learning rate (spikes) and with a decaying one",
  ae.plot.series({ { label = fmt("Adam, lr %g", ADAM_LR), y = adam.history.loss },
    { label = F("Adam, lr %g/(1 + epoch/%d)", ADAM_LR, DECAY), y = dh.loss } }, {
    out = L:path("adam_spikes.png"), xlabel = T"epoch (one step on all 32 letters)", ylabel = T"BCE per pixel",
    logscale = "y", points = false, key = "top right", title = T"The long Adam run" }))
L:figure("adam_steps.png", T"The length of Adam's step |Δw| in each epoch (constant learning rate)",
  ae.plot.series({ { label = T"|Δw| per epoch", y = adam_steps } }, { out = L:path("adam_steps.png"),
    xlabel = T"epoch", ylabel = T"|Δw|", logscale = "y", points = false, key = "top right",
    title = T"Adam's steps do not shrink as the loss does" }))

---------------------------------------------------------------------------
-- 5. The plane: codes, decoded grid, a new letter (from the best of section 1)
---------------------------------------------------------------------------
local net = best.net
L:save_model(net, "letters " .. arch_name(MAIN) .. " " .. best.name,
  F("%s autoencoder of the letter font, trained with %s", arch_name(MAIN), best.name))
local z = net:encode(x)
local lo1, hi1, lo2, hi2 = math.huge, -math.huge, math.huge, -math.huge
for i = 1, z:size(1) do
  lo1, hi1 = math.min(lo1, z:get(i, 1)), math.max(hi1, z:get(i, 1))
  lo2, hi2 = math.min(lo2, z:get(i, 2)), math.max(hi2, z:get(i, 2))
end
local m1, m2 = 0.08 * (hi1 - lo1), 0.08 * (hi2 - lo2)

-- A new letter: among midpoints of pairs of letters (a-z) the one that
-- decodes to the crispest bitmap (pixels nearest 0 or 1) at least 2 pixels
-- away from every symbol of the font, between letters close in the plane.
local function bitmap(r, i)
  local s = {}
  for j = 1, 35 do s[j] = r:get(i, j) > 0.5 and 1 or 0 end
  return s
end
local font = {}
for i = 1, N do font[i] = bitmap(x, i) end
local function distance_to_font(b)
  local best_d = 36
  for _, f in ipairs(font) do
    local d = 0
    for j = 1, 35 do if f[j] ~= b[j] then d = d + 1 end end
    best_d = math.min(best_d, d)
  end
  return best_d
end
local new
for i = 1, N do
  for j = i + 1, N do
    if chars[i]:match("%a") and chars[j]:match("%a") then
      local mid = ae.tensor { { (z:get(i, 1) + z:get(j, 1)) / 2, (z:get(i, 2) + z:get(j, 2)) / 2 } }
      local r = net:decode(mid)
      local blur = 0
      for k = 1, 35 do blur = blur + math.min(r:get(1, k), 1 - r:get(1, k)) end
      local dist = distance_to_font(bitmap(r, 1))
      local gap = math.sqrt((z:get(i, 1) - z:get(j, 1)) ^ 2 + (z:get(i, 2) - z:get(j, 2)) ^ 2)
      local score = blur / 35 + 0.02 * gap / math.max(hi1 - lo1, hi2 - lo2)
      if dist >= 2 and (not new or score < new.score) then
        new = { i = i, j = j, mid = mid, image = r, score = score, dist = dist, blur = blur / 35 }
      end
    end
  end
end
if new then
  L:say(T("\n5. A new symbol: halfway between '%s' and '%s', at (%.2f, %.2f), the decoder draws a bitmap %d pixels " ..
    "away from every symbol of the font."), chars[new.i], chars[new.j], new.mid:get(1, 1), new.mid:get(1, 2), new.dist)
else
  L:say(T"\n5. Every midpoint between letters decodes to a letter of the font.")
end
local group = ae.zeros(N)
for i, c in ipairs(chars) do group:set(i, c:match("%a") and 0 or 1) end
L:figure("latent.png", F("The 32 codes in the plane, each labelled with its character (%s)", best.name),
  ae.plot.latent(z, group, { out = L:path("latent.png"), classes = { T"letters", T"other symbols" }, text = chars,
    title = F("Codes of the font (%s, %s)", arch_name(MAIN), best.name), pointsize = 1.2 }))
L:figure("manifold.png", T"The latent plane decoded on a 20×20 grid: letters morph into their neighbours",
  ae.plot.manifold(net, { out = L:path("manifold.png"), n = 20, xrange = { lo1 - m1, hi1 + m1 },
    yrange = { lo2 - m2, hi2 + m2 }, image = { 7, 5 }, invert = true, background = 0.0, pixels = 700,
    title = T"Decoded latent plane" }))
-- the font, then each optimizer's reconstructions, captioned with wrong pixels
local rowsimg = ae.zeros(N * (1 + #main), 35)
rowsimg:narrow(1, 1, N):copy(x)
local caps = {}
for i = 1, N do caps[i] = chars[i] end
for k, r in ipairs(main) do
  rowsimg:narrow(1, k * N + 1, N):copy(r.net:reconstruct(x))
  for i = 1, N do caps[k * N + i] = string.format("%s %d", k == 1 and "P" or k == 2 and "L" or "A", r.errs[i]) end
end
L:figure("reconstructions.png", T("The font (rows 1–2), then the reconstructions by Powell (P), L-BFGS (L) and Adam (A), " ..
  "each captioned with its wrong pixels"),
  ae.plot.images(rowsimg, { out = L:path("reconstructions.png"), image = { 7, 5 }, ncol = 16, captions = caps,
    invert = true, scale = 12, title = T"Font and reconstructions (P: Powell, L: L-BFGS, A: Adam; wrong pixels)" }))
if new then
  local trio = ae.zeros(3, 35)
  trio:narrow(1, 1, 1):copy(net:decode(z:narrow(1, new.i, 1)))
  trio:narrow(1, 2, 1):copy(new.image)
  trio:narrow(1, 3, 1):copy(net:decode(z:narrow(1, new.j, 1)))
  L:figure("interpolation.png", F("From '%s' to '%s' through the latent plane; the middle is a new symbol",
      chars[new.i], chars[new.j]),
    ae.plot.interpolation(net, z:narrow(1, new.i, 1), z:narrow(1, new.j, 1), { out = L:path("interpolation.png"),
      steps = 9, image = { 7, 5 }, invert = true, scale = 12, title = string.format("'%s' → '%s'", chars[new.i], chars[new.j]) }))
  L:figure("new_letter.png", T"A letter that is not in the font, decoded from the midpoint",
    ae.plot.images(trio, { out = L:path("new_letter.png"), image = { 7, 5 }, ncol = 3, invert = true, scale = 20,
      captions = { chars[new.i], T"new", chars[new.j] }, title = T"A new symbol" }))
end

---------------------------------------------------------------------------
-- What the numbers say
---------------------------------------------------------------------------
local f = {}
f[#f + 1] = FN("- Powell's %d iteration (%s evaluations, %.0f s) ends at loss %.4g with %d wrong pixels in " ..
  "all; L-BFGS ends at %.4g with %d after %s evaluations in %.1f s; Adam at %.4g with %d after %s steps in %.1f s.",
  "- Powell's %d iterations (%s evaluations, %.0f s) end at loss %.4g with %d wrong pixels in " ..
  "all; L-BFGS ends at %.4g with %d after %s evaluations in %.1f s; Adam at %.4g with %d after %s steps in %.1f s.",
  POWELL_ITERS, POWELL_ITERS, int(powell.n_evals), powell.secs, powell.loss, powell.total, lbfgs.loss, lbfgs.total,
  int(lbfgs.n_evals), lbfgs.secs, adam.loss, adam.total, int(adam.n_evals), adam.secs)
-- the cost of each to reach a loss all three reached: the highest final loss
local level = math.max(powell.loss, lbfgs.loss, adam.loss)
local cost = {}
for k, r in ipairs(main) do
  local ev, sec = reach(r, level)
  cost[k] = F("%s %s evaluations (%.2f s)", r.name, int(ev), sec)
end
f[#f + 1] = F("- To reach a loss of %.3g (the highest of the three final losses): %s. Powell's evaluation " ..
  "costs no backward pass, but it needs about 10 per parameter for one sweep over %s parameters, where one gradient " ..
  "gives a direction in all of them at once.", level, table.concat(cost, ", "), int(powell.net:param_count()))
local ba = arch_runs[1]
for _, r in ipairs(arch_runs) do if r.median < ba.median then ba = r end end
local per_arch = {}
for i, r in ipairs(arch_runs) do per_arch[i] = F("%s median %g (from %d to %d)", r.name, r.median, r.lo, r.hi) end
f[#f + 1] = #SEEDS > 1 and
  F("- Layers (L-BFGS, %d starts each): wrong pixels over all letters %s; the best here is %s. The spread between " ..
    "starts of one architecture is part of the answer: as the slides say, it took several trials.", #SEEDS,
    table.concat(per_arch, "; "), ba.name) or
  F("- Layers (L-BFGS, %d start each): wrong pixels over all letters %s; the best here is %s.", #SEEDS,
    table.concat(per_arch, "; "), ba.name)
local function rises(t)
  for i = 2, #t do if t[i] < t[i - 1] then return false end end
  return true
end
local function list(t, spec)
  local out = {}
  for i, v in ipairs(t) do out[i] = ae.i18n.num(v, spec) end
  -- "; " between the numbers where a decimal comma would make ", " ambiguous
  return table.concat(out, ae.i18n.decimal == "," and "; " or ", ")
end
local p50 = powell.history.loss[SUBSET_ITERS]
-- the course's remark, as a whole predicate chosen by what this run found
local remark = rises(subset_err) and rises(subset_loss) and T"holds here in both" or rises(subset_loss) and
  T"holds for the loss but not for every pixel count" or rises(subset_err) and
  T"holds for the pixel counts but not for every loss" or
  F("does not hold strictly here: between the starts of one size the wrong pixels per letter " ..
    "spread by up to %.3f, against %.3f between the sizes' medians", subset_spread,
    math.max(table.unpack(subset_err)) - math.min(table.unpack(subset_err)))
local powell_args = { SUBSET_ITERS, powell_sub.loss, SUB, p50 or 0 / 0, N, powell_sub.per, powell_sub.all_per }
local powell_says = not p50 and
  FN("Powell after %d iteration: loss %.3g on %d letters against %.3g on all %d (%.3f and %.3f wrong pixels " ..
    "per letter).", "Powell after %d iterations: loss %.3g on %d letters against %.3g on all %d (%.3f and %.3f " ..
    "wrong pixels per letter).", SUBSET_ITERS, table.unpack(powell_args)) or powell_sub.loss < p50 and
  FN("Powell after %d iteration: loss %.3g on %d letters against %.3g on all %d (%.3f and %.3f wrong pixels " ..
    "per letter): the smaller set is fitted better, as the course says.", "Powell after %d iterations: loss %.3g " ..
    "on %d letters against %.3g on all %d (%.3f and %.3f wrong pixels per letter): the smaller set is fitted " ..
    "better, as the course says.", SUBSET_ITERS, table.unpack(powell_args)) or
  FN("Powell after %d iteration: loss %.3g on %d letters against %.3g on all %d (%.3f and %.3f wrong pixels " ..
    "per letter): here the smaller set is not fitted better.", "Powell after %d iterations: loss %.3g on %d " ..
    "letters against %.3g on all %d (%.3f and %.3f wrong pixels per letter): here the smaller set is not fitted " ..
    "better.", SUBSET_ITERS, table.unpack(powell_args))
f[#f + 1] = F("- Subsets (L-BFGS, %s letters): wrong pixels per trained letter %s (medians over starts), " ..
  "best losses %s. The course's remark (the larger the training set, the larger the error) %s.",
  table.concat(SIZES, ", "), list(subset_err, "%.3f"), list(subset_loss, "%.3g"), remark) .. " " .. powell_says
f[#f + 1] = F("- Adam's spikes: %d epochs in %d where the loss rose over 1.5×%s. Adam's step is " ..
  "lr·m̂/√v̂: it scales with the gradient's size relative to its recent average, not with the gradient itself, so " ..
  "|Δw| per epoch shrank only %.1f× (%.3g in the first tenth of the run, %.3g in the last) while the loss fell %.0f× " ..
  "(%.3g to %.3g). Near the bottom such steps overshoot the narrow valleys of saturated sigmoids; the gradient " ..
  "jumps, and v̂, which averages ~1000 steps (β2 = 0.999), lets the large steps run on until it catches up, so the " ..
  "loss spikes and falls back. With a learning rate decaying as lr/(1 + epoch/%d), whose steps shrink: %d spikes, " ..
  "final loss %.4g against %.4g.", n_spikes, ADAM_EPOCHS,
  n_spikes > 0 and F(" (the biggest ×%.1f at epoch %d)", biggest, spike_at) or
    F(" (none in this run, which ends at loss %.3g)", adam.loss),
  step_early / math.max(step_late, 1e-30), step_early, step_late, loss_early / math.max(loss_late, 1e-30), loss_early,
  loss_late, DECAY, d_spikes, last(dh.loss), adam.loss)
L:say(T"\nWhat the numbers say:\n%s", table.concat(f, "\n"))
L:section(T"What the numbers say", table.concat(f, "\n"))

L:metric("powell_loss", powell.loss, FN("Powell's final loss (%d iteration)", "Powell's final loss (%d iterations)",
  POWELL_ITERS, POWELL_ITERS))
L:metric("powell_evals", powell.n_evals, T"Powell's function evaluations")
L:metric("powell_pixel_errors", powell.total, T"Powell: wrong pixels over all letters")
L:metric("lbfgs_loss", lbfgs.loss, T"L-BFGS's final loss")
L:metric("lbfgs_evals", lbfgs.n_evals, T"L-BFGS's function evaluations")
L:metric("lbfgs_pixel_errors", lbfgs.total, T"L-BFGS: wrong pixels over all letters")
L:metric("adam_loss", adam.loss, F("Adam's final loss (%d epochs)", ADAM_EPOCHS))
L:metric("adam_pixel_errors", adam.total, T"Adam: wrong pixels over all letters")
L:metric("adam_spikes", n_spikes, T"epochs where Adam's loss rose over 1.5× (constant lr)")
L:metric("adam_decay_spikes", d_spikes, T"the same with a decaying lr")
L:metric("best_optimizer", best.name, T"the optimizer with the fewest wrong pixels")
L:metric("worst_pixel_errors", best.worst, T"wrong pixels of the worst letter (best optimizer)")
L:metric("train_loss", best.loss, T"final training loss of the best optimizer (BCE per pixel)")
-- the value stays a key ("none" or "a|b") in every language; the description is read
L:metric("new_letter", new and (chars[new.i] .. "|" .. chars[new.j]) or "none", T"the new symbol lies between")
L:finish()
