-- The aelab side of the classifier race (scripts/bench-classifier.lua runs
-- it): lesson 10's fine-tuned stacked autoencoder on MNIST. Greedy
-- pretraining of 784-256-64 (sigmoid; BCE; Adam lr 1e-3, batch 64) on the
-- 8,000 training digits, no labels; then 784-256-64-10 fine-tuned end to end
-- on 1,000 labelled digits (100 per class, picked with seed 1) with softmax
-- cross-entropy (Adam lr 1e-3, batch 32); test accuracy on the 2,000 test
-- digits after each epoch. --indices FILE writes the labelled digits' rows
-- (0-based, .npy) for scripts/torch_classifier.py to train on the same ones.
--   ./aelab scripts/aelab_classifier.lua [--epochs 50] [--pretrain-epochs 5] [--labels 1000]
--                                        [--indices FILE] [--json]
local ae = require "aelab"
local epochs, pre_epochs, n_labels, indices, as_json = 50, 5, 1000, nil, false
local i = 1
while arg[i] do
  local a, v = arg[i], arg[i + 1]
  if a == "--epochs" then epochs = tonumber(v); i = i + 1
  elseif a == "--pretrain-epochs" then pre_epochs = tonumber(v); i = i + 1
  elseif a == "--labels" then n_labels = tonumber(v); i = i + 1
  elseif a == "--indices" then indices = v; i = i + 1
  elseif a == "--json" then as_json = true
  else error("aelab_classifier: unknown argument " .. tostring(a)) end
  i = i + 1
end
local train, test = assert(ae.data.mnist())

-- 100 per class (n_labels / 10), in the order of a permutation drawn with seed 1
local rows = ae.data.balanced(train.y, n_labels, 1)
local x, y = train.x:rows(rows), train.y:rows(rows)
if indices then
  local zero_based = {}
  for k, r in ipairs(rows) do zero_based[k] = r - 1 end
  assert(ae.tensor(zero_based):save_npy(indices))
end

ae.seed(2)
local t0 = ae.clock()
local enc, info = ae.pretrain.stack(train.x, { sizes = { 784, 256, 64 }, epochs = pre_epochs, batch = 64, lr = 1e-3,
  verbose = false })
local pre_seconds = ae.clock() - t0
local net = ae.Sequential { enc[1], enc[2], ae.Dense(64, 10) }
local h = net:fit(x, { target = y, loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 1e-3 }, epochs = epochs,
  batch = 32, validation = { x = test.x, target = test.y }, verbose = not as_json })
local acc = {}
for e = 1, h.epochs do acc[e] = 100 * h.val_accuracy[e] end
local median = ae.median(h.samples_per_s)
local fine_seconds = 0
for e = 1, h.epochs do fine_seconds = fine_seconds + h.seconds[e] end
if as_json then
  print(ae.json.encode { epochs = epochs, test_accuracy = acc, samples_per_s = h.samples_per_s,
    median_samples_per_s = median, pretrain_seconds = pre_seconds, finetune_seconds = fine_seconds,
    pretrain_samples_per_s = ae.median(info.histories[1].samples_per_s), threads = ae.threads(),
    labels = #rows, blas = ae.blas().arch })
else
  print(string.format("test accuracy %.2f%% after %d epochs on %d labels; fine-tuning median %.0f samples/s, " ..
    "pretraining %.1f s", acc[#acc], h.epochs, #rows, median, pre_seconds))
end
