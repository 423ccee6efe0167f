-- Lesson 10 — unsupervised pretraining: few labels, many unlabelled images.
--
-- Question: labels are expensive, images are not. If we train autoencoders on
-- every training image (no labels), greedily layer by layer (AE 1 on the
-- pixels, AE 2 on AE 1's codes), and then reuse their encoders as the first
-- layers of a classifier trained on only 100 or 1,000 labelled images, does
-- it beat the same network trained from random weights? And does that still
-- matter when every image has its label?
--
-- Six classifiers, each on 100, 1,000 and all labels of the training pool,
-- over 3 seeds (the seed picks the labelled subset, balanced by class, and the
-- classifier's initial weights), on MNIST and on Fashion-MNIST:
--   raw      pixels → softmax (784 → 10)
--   pca      PCA codes (64, fitted on the unlabelled pool) → softmax
--   random   784-256-64-10 (sigmoid), random weights, trained on the labels only
--   frozen   greedy stacked AE 784-256-64, frozen; only the softmax on its codes trains
--   sae      the same stacked AE, then every layer fine-tuned on the labels
--   sdae     a stacked denoising AE (masking noise), fine-tuned
-- The test set is never seen by the pretraining, the PCA or the training.
--
--   ./aelab lessons/10_pretraining.lua          (the full run: several minutes on 2 cores)
--   ./aelab --quick lessons/10_pretraining.lua  (a few hundred images, two seeds)
local ae = require "aelab"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt), FN picks a plural;
-- int writes a count with the language's digit groups.
local T, F, FN, int, fmt = ae.i18n.T, ae.i18n.F, ae.i18n.FN, ae.i18n.int, ae.i18n.fmt

local L = ae.Lesson.new {
  name = "10_pretraining",
  title = T"Lesson 10 — unsupervised pretraining: greedy stacked autoencoders as a classifier's first layers",
  question = T("With many unlabelled images and few labels, does a classifier whose first layers come from\n" ..
    "greedily pretrained (denoising) autoencoders beat the same network trained from random weights —\n" ..
    "at 100 labels, at 1,000, and when every image is labelled?"),
}

local quick = ae.options.quick
local t_lesson = ae.clock()
local SIZES = { 784, 256, 64 }       -- the stack: 784 → 256 → 64, then a softmax over 10 classes
local SEEDS = quick and { 1, 2 } or { 1, 2, 3 }
local POOL = quick and 200 or 8000   -- training pool: the unlabelled images, and where labels come from
local TEST_LIMIT = quick and 200 or nil
local FEW = quick and { 20, 100 } or { 100, 1000 } -- labelled subsets; then all of the pool
local PRE_EPOCHS = quick and 1 or 10 -- epochs per pretraining level
local MASK = 0.25                    -- masking noise ν of the denoising stack (Vincent et al. 2010's range)
local BATCH = 32
local LR, LR_SOFTMAX = 1e-3, 1e-2    -- Adam: whole networks; classifiers that train a softmax layer only
local CLASSES = 10

-- Epochs of classifier training for n labels: small sets get more passes, so
-- every classifier takes from about 800 (100 labels) to 3,750 steps (all).
local function epochs_for(n)
  if quick then return n <= 20 and 10 or n <= 100 and 3 or 2 end -- a few seconds: checks the plumbing, not the answer
  if n <= 100 then return 200 end
  if n <= 1000 then return 50 end
  return 15
end

-- (names in the language of the run: the table, legends and findings show them)
local ROWS = {
  { key = "raw", name = T"raw pixels + softmax", softmax_only = true },
  { key = "pca", name = T"PCA codes (64) + softmax", softmax_only = true },
  { key = "random", name = T"random init, 784-256-64-10, labels only" },
  { key = "frozen", name = T"stacked AE codes (frozen) + softmax", softmax_only = true },
  { key = "sae", name = T"stacked AE, fine-tuned" },
  { key = "sdae", name = T"stacked denoising AE (masking), fine-tuned" },
}

local datasets = {
  { key = "mnist", name = "MNIST", load = ae.data.mnist },
  { key = "fashion", name = "Fashion-MNIST", load = ae.data.fashion_mnist },
}

-- The pool: POOL training images drawn once (seed 0), so every seed's
-- labelled subset comes from the same unlabelled images.
local function draw_pool(train)
  ae.seed(0)
  local perm = ae.randperm(train.x:size(1)):narrow(1, 1, math.min(POOL, train.x:size(1)))
  return { x = train.x:rows(perm), y = train.y:rows(perm) }
end

-- A labelled subset of n images, n / 10 of each class, picked by the seed
-- (all of the pool when n is its size).
local function labelled(pool, n, seed)
  if n >= pool.x:size(1) then return pool.x, pool.y end
  local rows = ae.data.balanced(pool.y, n, 1000 + seed)
  return pool.x:rows(rows), pool.y:rows(rows)
end

local function train_classifier(net, x, y, lr)
  net:compile { loss = "cross_entropy", optimizer = ae.optim.Adam { lr = lr } }
  local n = x:size(1)
  local h = net:fit(x, { target = y, epochs = epochs_for(n), batch = math.min(BATCH, n), verbose = false })
  if h.stopped then L:say(T"    (training stopped: %s)", h.stopped) end
  return h
end

local function mean_sd(list)
  local s = 0
  for _, v in ipairs(list) do s = s + v end
  local mean = s / #list
  local s2 = 0
  for _, v in ipairs(list) do s2 = s2 + (v - mean) ^ 2 end
  return mean, #list > 1 and math.sqrt(s2 / (#list - 1)) or 0
end

-- How smooth first-layer filters are: the correlation of the weights of
-- neighbouring pixels (right and down), within one filter, averaged over
-- the filters. Random initial weights give ≈ 0; a filter that responds to
-- strokes or blobs weights neighbours alike (→ 1). Only pixels that carry
-- ink somewhere in the pool count: a pixel that is always 0 gets no
-- gradient, so its weights stay as initialized whatever the training.
local function neighbour_correlation(W, used)
  local rows = W:totable()
  local total = 0
  for _, w in ipairs(rows) do
    local sa, sb, saa, sbb, sab, k = 0, 0, 0, 0, 0, 0
    for r = 0, 27 do
      for c = 0, 27 do
        local i = r * 28 + c + 1
        if used[i] then
          for _, j in ipairs { c < 27 and i + 1 or nil, r < 27 and i + 28 or nil } do
            if used[j] then
              local a, b = w[i], w[j]
              sa, sb, saa, sbb, sab, k = sa + a, sb + b, saa + a * a, sbb + b * b, sab + a * b, k + 1
            end
          end
        end
      end
    end
    local cov = sab / k - (sa / k) * (sb / k)
    local va, vb = saa / k - (sa / k) ^ 2, sbb / k - (sb / k) ^ 2
    total = total + (va > 0 and vb > 0 and cov / math.sqrt(va * vb) or 0)
  end
  return total / #rows
end

-- Pixels with ink in the pool (mean above 1% of full scale).
local function inked(x)
  local mean = ae.full(1, 1, x:size(1)):matmul(x):totable()[1] -- column sums
  local used = {}
  for i, v in ipairs(mean) do used[i] = v / x:size(1) > 0.01 end
  return used
end

local R = {} -- R[ds][row][n] = {accuracies}; R[ds].pred[row][n] = seed 1's predictions
local info = {}
for _, ds in ipairs(datasets) do
  L:say(T"\n%s:", ds.name)
  local train, test = assert(ds.load(TEST_LIMIT and { test_limit = TEST_LIMIT } or nil))
  local pool = draw_pool(train)
  local N = pool.x:size(1)
  local counts = { FEW[1], FEW[2], N }
  L:say(T("  unlabelled pool: %s training images (of %s); labelled subsets of %s and %s and all %s; %s test " ..
    "images, used only to measure accuracy"), int(N), int(train.x:size(1)), int(FEW[1]), int(FEW[2]), int(N),
    int(test.x:size(1)))
  local r = { counts = counts, pred = {}, pool = N, test = test.x:size(1), classes = train.classes }
  R[ds.key] = r

  -- Unsupervised part: on the pool's images only, no labels.
  ae.seed(7)
  local t0 = ae.clock()
  L:say(FN("  greedy pretraining of the stacked autoencoder (%s), %d epoch a level:",
    "  greedy pretraining of the stacked autoencoder (%s), %d epochs a level:", PRE_EPOCHS, table.concat(SIZES, "-"),
    PRE_EPOCHS))
  local sae, sae_info = ae.pretrain.stack(pool.x, { sizes = SIZES, epochs = PRE_EPOCHS, batch = 64, verbose = false })
  L:say(T"  greedy pretraining of the stacked denoising autoencoder (masking noise ν = %.2f at each level):", MASK)
  local sdae, sdae_info = ae.pretrain.stack(pool.x, { sizes = SIZES, epochs = PRE_EPOCHS, batch = 64,
    noise = ae.noise.masking { p = MASK }, verbose = false })
  r.pretrain_seconds = ae.clock() - t0
  for k = 1, #SIZES - 1 do
    local a, d = sae_info.histories[k], sdae_info.histories[k]
    L:say(T"    level %d (%d → %d): reconstruction BCE %.4f → %.4f (AE), %.4f → %.4f (DAE, on masked inputs)", k,
      SIZES[k], SIZES[k + 1], a.loss[1], a.loss[#a.loss], d.loss[1], d.loss[#d.loss])
    L:metric(string.format("%s_pretrain_level%d_bce", ds.key, k), a.loss[#a.loss],
      FN("%s: stacked AE level %d, training reconstruction BCE after %d epoch",
        "%s: stacked AE level %d, training reconstruction BCE after %d epochs", PRE_EPOCHS, ds.name, k, PRE_EPOCHS))
  end
  local pca = ae.PCA(pool.x, SIZES[#SIZES])
  local test_pca = pca:transform(test.x)
  L:say(T"  (%.0f s of pretraining and PCA)", ae.clock() - t0)

  local makers = {
    raw = function() return ae.Sequential { ae.Dense(784, CLASSES) } end,
    pca = function() return ae.Sequential { ae.Dense(SIZES[#SIZES], CLASSES) } end,
    random = function()
      return ae.Sequential { ae.Dense(784, 256), ae.Sigmoid(), ae.Dense(256, 64), ae.Sigmoid(), ae.Dense(64, CLASSES) }
    end,
    -- copies: each run starts from the pretrained weights, and fine-tuning one
    -- does not move the encoders the next run starts from
    frozen = function()
      local net = ae.Sequential { sae[1]:copy(), sae[2]:copy(), ae.Dense(64, CLASSES) }
      return net:freeze(1, 4)
    end,
    sae = function() return ae.Sequential { sae[1]:copy(), sae[2]:copy(), ae.Dense(64, CLASSES) } end,
    sdae = function() return ae.Sequential { sdae[1]:copy(), sdae[2]:copy(), ae.Dense(64, CLASSES) } end,
  }
  for _, row in ipairs(ROWS) do r[row.key] = {}; r.pred[row.key] = {} end
  local t_clf = ae.clock()
  for _, n in ipairs(counts) do
    for _, seed in ipairs(SEEDS) do
      local x, y = labelled(pool, n, seed)
      local px = nil
      for _, row in ipairs(ROWS) do
        ae.seed(100 * seed + 1) -- each row starts from the same generator state
        local net = makers[row.key]()
        local xin, tx = x, test.x
        if row.key == "pca" then
          px = px or pca:transform(x)
          xin, tx = px, test_pca
        end
        train_classifier(net, xin, y, row.softmax_only and LR_SOFTMAX or LR)
        local pred = net:predict(tx)
        local acc = ae.metrics.accuracy(pred, test.y)
        r[row.key][n] = r[row.key][n] or {}
        table.insert(r[row.key][n], acc)
        if seed == SEEDS[1] then r.pred[row.key][n] = pred end
        if row.key == "random" and n == FEW[2] and seed == SEEDS[1] then r.random_net = net end
        if row.key == "sae" and n == FEW[2] and seed == SEEDS[1] then r.sae_net = net end
      end
    end
    local line = {}
    for _, row in ipairs(ROWS) do
      local m, s = mean_sd(r[row.key][n])
      -- the rows' keys (those of metrics.json, named in the lesson's header)
      line[#line + 1] = fmt("%s %.1f±%.1f", row.key, 100 * m, 100 * s)
    end
    L:say(T"  %s labels: %s", int(n), table.concat(line, ae.i18n.decimal == "," and "; " or ", "))
  end
  r.classifier_seconds = ae.clock() - t_clf
  L:save_model(r.sae_net, ds.name .. " stacked AE fine-tuned on " .. FEW[2] .. " labels",
    F("%s classifier 784-256-64-10: stacked AE, fine-tuned on %s labels", ds.name, int(FEW[2])))
  r.sae_encoders, r.sdae_encoders = sae, sdae
  info[ds.key] = { test = test }

  -- Figure: accuracy against labels, log x, mean ± sd over the seeds.
  local series = {}
  for _, row in ipairs(ROWS) do
    local ys, es = {}, {}
    for i, n in ipairs(counts) do
      ys[i], es[i] = mean_sd(r[row.key][n])
      ys[i], es[i] = 100 * ys[i], 100 * es[i]
    end
    series[#series + 1] = { label = row.name, x = counts, y = ys, err = es }
  end
  local lo = 100
  for _, s in ipairs(series) do for _, v in ipairs(s.y) do lo = math.min(lo, v) end end
  L:figure(ds.key .. "_accuracy.png", F("%s: test accuracy against the number of labelled training " ..
    "images (log scale), mean ± standard deviation over %d seeds, one line per classifier", ds.name, #SEEDS),
    ae.plot.series(series, { out = L:path(ds.key .. "_accuracy.png"), logscale = "x", xtics = counts,
      xrange = { counts[1] / 1.5, counts[3] * 1.5 }, yrange = { math.floor(lo / 5) * 5 - 5, 100 },
      key = "bottom right", xlabel = T"labelled training images", ylabel = T"test accuracy (%)",
      title = F("%s: accuracy against labels (%d seeds, mean ± sd)", ds.name, #SEEDS) }))

  -- Figure: the best classifier's confusion matrix at the middle label count.
  local best, best_acc = nil, -1
  for _, row in ipairs(ROWS) do
    local m = mean_sd(r[row.key][FEW[2]])
    if m > best_acc then best, best_acc = row, m end
  end
  r.best = best
  local cm = ae.metrics.confusion(r.pred[best.key][FEW[2]], test.y, CLASSES)
  r.confusion = cm
  L:figure(ds.key .. "_confusion.png", F("%s: confusion matrix on the test set of the best classifier " ..
    "at %s labels (%s, seed %d): rows true class, columns predicted, shade the share of the row", ds.name,
    int(FEW[2]), best.name, SEEDS[1]),
    ae.plot.confusion(cm, { out = L:path(ds.key .. "_confusion.png"), classes = ae.i18n.Tlist(train.classes),
      title = F("%s, %s labels: %s (%.1f%%)", ds.name, int(FEW[2]), best.name,
        100 * ae.metrics.accuracy(r.pred[best.key][FEW[2]], test.y)) }))

  -- Figure: first-layer filters, pretrained against random.
  local function filters(layer, k)
    local W = layer:parameters()[1]
    return ae.plot.stretch_rows(W:narrow(1, 1, k))
  end
  local K = 12
  local init = ae.Dense(784, 256) -- what the random network starts from
  local used = inked(pool.x)
  r.smooth = {
    init = neighbour_correlation(init:parameters()[1], used),
    random = neighbour_correlation(r.random_net:layers()[1]:parameters()[1], used),
    sae = neighbour_correlation(sae[1]:layers()[1]:parameters()[1], used),
    sdae = neighbour_correlation(sdae[1]:layers()[1]:parameters()[1], used),
  }
  -- whose filters, in words (the key stays in metrics.json); a fixed order, so the report's is too
  local whose = {
    { "init", F("%s: first-layer filters of the random initial weights: correlation of neighbouring pixels' " ..
      "weights, mean over the 256 filters", ds.name) },
    { "random", F("%s: first-layer filters of the labels-only network after %s labels: correlation of " ..
      "neighbouring pixels' weights, mean over the 256 filters", ds.name, int(FEW[2])) },
    { "sae", F("%s: first-layer filters of the stacked AE: correlation of neighbouring pixels' weights, mean " ..
      "over the 256 filters", ds.name) },
    { "sdae", F("%s: first-layer filters of the stacked DAE: correlation of neighbouring pixels' weights, mean " ..
      "over the 256 filters", ds.name) },
  }
  for _, w in ipairs(whose) do
    L:metric(string.format("%s_filters_%s_neighbour_corr", ds.key, w[1]), r.smooth[w[1]], w[2])
  end
  L:figure(ds.key .. "_filters.png", F("%s: the first %d of the 256 first-layer filters (input weights " ..
    "as 28×28 images, each stretched to its own range): random initial weights; the random-init network after " ..
    "training on %s labels; the stacked AE's and the stacked DAE's after pretraining alone (no labels)",
    ds.name, K, int(FEW[2])),
    ae.plot.image_rows({
      { T"random init", filters(init, K) },
      { F("random, %s labels", int(FEW[2])), filters(r.random_net:layers()[1], K) },
      { T"stacked AE", filters(sae[1]:layers()[1], K) },
      { T"stacked DAE", filters(sdae[1]:layers()[1], K) },
    }, { out = L:path(ds.key .. "_filters.png"), n = K, left = 190,
      title = F("%s: first-layer filters, random against pretrained", ds.name) }))

  for _, row in ipairs(ROWS) do
    for _, n in ipairs(counts) do
      local m, s = mean_sd(r[row.key][n])
      local label = n == N and "all" or tostring(n)
      L:metric(string.format("%s_%s_%s_accuracy", ds.key, row.key, label), m,
        F("%s, %s, %s labels: mean test accuracy over %d seeds", ds.name, row.name, int(n), #SEEDS))
      L:metric(string.format("%s_%s_%s_sd", ds.key, row.key, label), s,
        F("%s, %s, %s labels: its standard deviation", ds.name, row.name, int(n)))
    end
  end
  L:metric(ds.key .. "_pretrain_seconds", r.pretrain_seconds, F("%s: seconds of pretraining (both stacks) and PCA",
    ds.name))
  L:metric(ds.key .. "_classifier_seconds", r.classifier_seconds, F("%s: seconds training and testing every " ..
    "classifier", ds.name))
  L:save()
end

-- The table: both data sets, every row, every label count.
local function cell(list)
  local m, s = mean_sd(list)
  return fmt("%.1f ± %.1f", 100 * m, 100 * s)
end
local head = { T"| classifier |" }
local rule = { "|---|" }
for _, ds in ipairs(datasets) do
  for i, n in ipairs(R[ds.key].counts) do
    head[#head + 1] = i == 3 and F(" %s, all %s |", ds.name, int(n)) or fmt(" %s, %s |", ds.name, int(n))
    rule[#rule + 1] = "---:|"
  end
end
local lines = { table.concat(head), table.concat(rule) }
for _, row in ipairs(ROWS) do
  local cells = { "| " .. row.name .. " |" }
  for _, ds in ipairs(datasets) do
    for _, n in ipairs(R[ds.key].counts) do cells[#cells + 1] = " " .. cell(R[ds.key][row.key][n]) .. " |" end
  end
  lines[#lines + 1] = table.concat(cells)
end
L:section(F("Test accuracy (%%), mean ± standard deviation over %d seeds, by labelled training images",
  #SEEDS), table.concat(lines, "\n"))
L:say(T"\nTest accuracy (%%), mean ± standard deviation over %d seeds, by labelled training images:\n%s", #SEEDS,
  table.concat(lines, "\n"))

-- The filters described from one number each (neighbour_correlation), not
-- from how they looked in some other run.
local function filters_text()
  local function words(c)
    if c < 0.1 then return T"noise-like" end
    if c < 0.4 then return T"somewhat smooth" end
    return T"smooth"
  end
  local parts = {}
  for _, ds in ipairs(datasets) do
    local m = R[ds.key].smooth
    local cmp
    local pre = math.min(m.sae, m.sdae)
    if pre > m.random + 0.05 then
      cmp = T"both pretrained stacks' filters are smoother than the labels-only network's"
    elseif math.max(m.sae, m.sdae) < m.random - 0.05 then
      cmp = T"the labels-only network's filters are smoother than the pretrained ones"
    else
      cmp = T"pretrained and labels-only filters are about as smooth as each other (within 0.05)"
    end
    parts[#parts + 1] = F("%s: random init %.2f (%s), labels-only network after %s labels %.2f (%s), " ..
      "stacked AE %.2f (%s), stacked DAE %.2f (%s); %s", ds.name, m.init, words(m.init), int(FEW[2]),
      m.random, words(m.random), m.sae, words(m.sae), m.sdae, words(m.sdae), cmp)
  end
  return F("- `*_filters.png`: input weights of the first 12 hidden units as images. How smooth they are, as the " ..
    "correlation of neighbouring pixels' weights (mean over all 256 filters, pixels with ink only; 0 is pixel " ..
    "noise, 1 a smooth surface; below 0.1 we call it noise-like, 0.4 and above smooth): %s. Smooth filters " ..
    "respond to strokes and blobs rather than single pixels; what those shapes are is for the eye, in the figure.",
    table.concat(parts, "; "))
end

L:section(T"What the figures show", table.concat({
  T("- `*_accuracy.png`: test accuracy of the six classifiers against the number of labelled images, on a log " ..
    "scale; the bars are ± one standard deviation over the seeds (the labelled subset and the initial weights " ..
    "change with the seed; the pretraining does not)."),
  F("- `*_confusion.png`: where the best classifier at %s labels goes wrong: each row is a true class, each " ..
    "column the class predicted, the count in each cell and its shade the share of the row.", int(FEW[2])),
  filters_text(),
}, "\n"))

L:section(T"Departures from the course", table.concat({
  F("- Data: a pool of %s training images per data set (MNIST: the workbench's %s digits; " ..
    "Fashion-MNIST: %s drawn once from its 60,000), so the whole lesson runs in minutes on two cores; the course " ..
    "pretrains on all 60,000. \"All labels\" means all of that pool. Test sets: %s MNIST and %s Fashion-MNIST images.",
    int(POOL), int(R.mnist.pool), int(R.fashion.pool), int(R.mnist.test), int(R.fashion.test)),
  FN("- Sizes 784-256-64 with sigmoid units, %d epoch per pretraining level (Adam, lr 1e-3, batch " ..
    "64), and for the classifiers Adam with lr %g for whole networks and %g where only a softmax layer trains, " ..
    "batch %d, %d, %d and %d epochs for %s, %s and all labels: this lesson's own choices; the decks give no " ..
    "sizes or schedules for this exercise.",
    "- Sizes 784-256-64 with sigmoid units, %d epochs per pretraining level (Adam, lr 1e-3, batch " ..
    "64), and for the classifiers Adam with lr %g for whole networks and %g where only a softmax layer trains, " ..
    "batch %d, %d, %d and %d epochs for %s, %s and all labels: this lesson's own choices; the decks give no " ..
    "sizes or schedules for this exercise.", PRE_EPOCHS, PRE_EPOCHS, LR, LR_SOFTMAX, BATCH, epochs_for(FEW[1]),
    epochs_for(FEW[2]), epochs_for(POOL), int(FEW[1]), int(FEW[2])),
  T"- The classifier on top is a softmax layer trained with cross-entropy; the slides also mention an SVM.",
  T("- Each data set's two stacks are pretrained once (seed 7); the seeds vary the labelled subset, the " ..
    "classifier's initial weights and its training, so the ± does not include pretraining's own variation."),
  T"- No validation set and no early stopping: each classifier trains a fixed number of epochs.",
}, "\n"))

-- The answer, from this run's numbers. Each sentence is a template; its
-- numbers and its clauses (each a whole one) come from this run.
local findings = {}
local function m_of(dk, row, n) return (mean_sd(R[dk][row][n])) end
-- "20", "20 and 100", "20, 100 and all 200": label counts in a sentence
local function join(list)
  if #list == 1 then return list[1] end
  if #list == 2 then return F("%s and %s", list[1], list[2]) end
  return F("%s, %s and %s", list[1], list[2], list[3])
end
for _, ds in ipairs(datasets) do
  local r, dk = R[ds.key], ds.key
  local few, mid, all = r.counts[1], r.counts[2], r.counts[3]
  local function best_pre(n)
    local b, v = nil, -1
    for _, k in ipairs { "frozen", "sae", "sdae" } do
      local m = m_of(dk, k, n)
      if m > v then b, v = k, m end
    end
    return b, v
  end
  local parts = {}
  for _, n in ipairs { few, mid, all } do
    local b, v = best_pre(n)
    local rnd = m_of(dk, "random", n)
    local _, sd_r = mean_sd(r.random[n])
    local _, sd_b = mean_sd(r[b][n])
    local gap = 100 * (v - rnd)
    local noise = 100 * math.max(sd_r, sd_b)
    local verdict
    if gap > 2 * noise and gap >= 0.5 then verdict = T"pretraining helps"
    elseif gap < -2 * noise and gap <= -0.5 then verdict = T"pretraining hurts"
    else verdict = T"no clear difference (within twice the larger standard deviation)" end
    local name
    for _, row in ipairs(ROWS) do if row.key == b then name = row.name end end
    parts[#parts + 1] = n == all and
      F("all %s labels: best pretrained (%s) %.1f%% against random init %.1f%%, %+.1f points — %s", int(n), name,
        100 * v, 100 * rnd, gap, verdict) or
      F("%s labels: best pretrained (%s) %.1f%% against random init %.1f%%, %+.1f points — %s", int(n), name,
        100 * v, 100 * rnd, gap, verdict)
  end
  findings[#findings + 1] = fmt("- %s: %s.", ds.name, table.concat(parts, "; "))
  -- Where pretraining's gain (the better fine-tuned stack over random init)
  -- is clear, and where it peaks, with the test used above: a difference
  -- counts only beyond twice the larger standard deviation of the two.
  -- ("all 200" reads "todas las 200" in Spanish: each count is a phrase)
  local names = { int(few), int(mid), F("all %s", int(all)) }
  local gains, noise, clear = {}, {}, {}
  for i, n in ipairs { few, mid, all } do
    local k = m_of(dk, "sae", n) >= m_of(dk, "sdae", n) and "sae" or "sdae"
    local _, s_k = mean_sd(r[k][n])
    local _, s_r = mean_sd(r.random[n])
    gains[i] = 100 * (m_of(dk, k, n) - m_of(dk, "random", n))
    noise[i] = 100 * math.max(s_k, s_r)
    clear[i] = gains[i] > 2 * noise[i] and gains[i] >= 0.5 and 1 or gains[i] < -2 * noise[i] and gains[i] <= -0.5
      and -1 or 0
  end
  local helps, hurts = {}, {}
  for i = 1, 3 do
    if clear[i] == 1 then helps[#helps + 1] = names[i] elseif clear[i] == -1 then hurts[#hurts + 1] = names[i] end
  end
  local where
  if #helps == 0 then
    where = #hurts > 0 and F("at no label count is the fine-tuned stack clearly better than random init in this " ..
      "run (it is clearly worse at %s)", join(hurts)) or
      T"at no label count is the fine-tuned stack clearly better than random init in this run"
  else
    where = clear[3] == 1 and F("pretraining clearly helps at %s labels", join(helps)) or
      clear[3] == 0 and F("pretraining clearly helps at %s labels and stops mattering (no clear difference) once " ..
        "every image is labelled", join(helps)) or
      F("pretraining clearly helps at %s labels and hurts once every image is labelled", join(helps))
    -- the peak, only when it stands clear of every other count's gain
    local peak = 1
    for i = 2, 3 do if gains[i] > gains[peak] then peak = i end end
    local stands = true
    for i = 1, 3 do
      if i ~= peak and gains[peak] - gains[i] <= 2 * math.max(noise[peak], noise[i]) then stands = false end
    end
    where = where .. "; " .. (stands and F("the gain is clearly largest at %s labels", names[peak]) or
      F("the largest gain, at %s labels, is not clearly above the others", names[peak]))
  end
  findings[#findings + 1] = F("- %s, when pretraining pays: the better fine-tuned stack against random " ..
    "init, %+.1f ± %.1f, %+.1f ± %.1f and %+.1f ± %.1f points (± the larger sd) at %s labels; %s.",
    ds.name, gains[1], noise[1], gains[2], noise[2], gains[3], noise[3], join(names), where)
  -- frozen codes against fine-tuning the same stack, the same test at the fewest and at all labels
  local function versus(n)
    local fz, ft = m_of(dk, "frozen", n), m_of(dk, "sae", n)
    local _, s_f = mean_sd(r.frozen[n])
    local _, s_t = mean_sd(r.sae[n])
    local d, e = 100 * (ft - fz), 200 * math.max(s_f, s_t)
    return fz, ft, d > e and d >= 0.5 and 1 or d < -e and d <= -0.5 and -1 or 0
  end
  local fz1, ft1, v1 = versus(few)
  local fz, ft, v3 = versus(all)
  local verdict
  if v1 == 1 and v3 == 1 then
    verdict = T"fine-tuning is clearly better at both counts"
  elseif v3 == 1 then
    verdict = v1 == 0 and F("fine-tuning is clearly better with all labels but not at %s (no clear difference): " ..
      "letting the labels adjust the pretrained layers pays once there are enough of them", names[1]) or
      F("fine-tuning is clearly better with all labels but not at %s (frozen codes clearly better): letting the " ..
        "labels adjust the pretrained layers pays once there are enough of them", names[1])
  elseif v1 == 1 then
    verdict = v3 == 0 and F("fine-tuning is clearly better at %s labels but not with all (no clear difference)",
      names[1]) or
      F("fine-tuning is clearly better at %s labels but not with all (frozen codes clearly better)", names[1])
  elseif v1 == -1 and v3 == -1 then
    verdict = T"the frozen codes are clearly better at both counts, and fine-tuning at neither"
  elseif v1 == -1 then
    verdict = F("the frozen codes are clearly better at %s labels, and fine-tuning at neither", names[1])
  elseif v3 == -1 then
    verdict = T"the frozen codes are clearly better at all labels, and fine-tuning at neither"
  else
    verdict = T"no clear difference at either count (within twice the larger standard deviation)"
  end
  findings[#findings + 1] = F("- %s, frozen codes against fine-tuning the same stack: %.1f%% against " ..
    "%.1f%% at %s labels, %.1f%% against %.1f%% with all: %s.", ds.name, 100 * fz1, 100 * ft1, names[1],
    100 * fz, 100 * ft, verdict)
  local sd_, sa = m_of(dk, "sdae", mid), m_of(dk, "sae", mid)
  local raw, pc = m_of(dk, "raw", mid), m_of(dk, "pca", mid)
  findings[#findings + 1] = F("- %s at %s labels: denoising stack %.1f%% against plain stack %.1f%% " ..
    "(%+.1f points); the linear baselines: raw pixels %.1f%%, PCA codes %.1f%%.", ds.name, int(mid),
    100 * sd_, 100 * sa, 100 * (sd_ - sa), 100 * raw, 100 * pc)
end
do
  local v = m_of("mnist", "sae", R.mnist.counts[3])
  local d = m_of("mnist", "sdae", R.mnist.counts[3])
  findings[#findings + 1] = F("- Anchors, as context and not as targets (they train on all 60,000 " ..
    "MNIST labels, larger networks and far longer): UFLDL's stacked autoencoder exercise reaches 97.6%% after " ..
    "fine-tuning; Vincent et al. (2010) report 1.28%% error (98.7%%) for stacked denoising autoencoders. Ours, " ..
    "on %s MNIST labels: %.1f%% (stacked AE) and %.1f%% (denoising), fine-tuned.", int(R.mnist.counts[3]),
    100 * v, 100 * d)
end
local best_m, best_f = R.mnist.best, R.fashion.best
findings[#findings + 1] = F("- Best at %s labels: %s on MNIST, %s on Fashion-MNIST (the confusion " ..
  "matrices).", int(FEW[2]), best_m.name, best_f.name)
local total = ae.clock() - t_lesson
findings[#findings + 1] = F("- Run time: %.0f s in all (MNIST: %.0f s pretraining, %.0f s classifiers; " ..
  "Fashion-MNIST: %.0f s and %.0f s).", total, R.mnist.pretrain_seconds, R.mnist.classifier_seconds,
  R.fashion.pretrain_seconds, R.fashion.classifier_seconds)
L:say(T"\nWhat the numbers say:\n%s", table.concat(findings, "\n"))
L:section(T"What the numbers say", table.concat(findings, "\n"))
L:metric("seeds", #SEEDS, T"seeds per classifier and label count")
L:metric("pool", POOL, T"training pool per data set (unlabelled images; all labels = this many)")
L:metric("seconds", total, T"seconds for the whole lesson")
L:finish()
