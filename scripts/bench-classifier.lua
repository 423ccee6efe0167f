-- aelab against PyTorch on lesson 10's fine-tuned classifier: greedy
-- pretraining of a 784-256-64 sigmoid stack on the 8,000 MNIST training
-- digits, then 784-256-64-10 fine-tuned on the same 1,000 labelled digits
-- (aelab picks them and writes their rows; PyTorch reads that file), in one
-- run: rounds alternate between the contenders (scripts/race.lua), each a
-- fresh process; the race's figure is the median fine-tuning samples/s over
-- all epochs (batch 32: small steps, where per-step overhead shows). Both
-- use 2 threads. Test accuracy is on the 2,000 test digits.
--   ./aelab scripts/bench-classifier.lua [rounds=2] [fine-tuning epochs=50] [pretraining epochs=5]
local ae = require "aelab"
local rounds, epochs, pre = tonumber(arg[1]) or 2, tonumber(arg[2]) or 50, tonumber(arg[3]) or 5
local home = ae.options.home
local indices = os.tmpname() .. ".npy" -- written by the aelab side each round, read by PyTorch's
local contenders = {
  { name = "aelab (2 threads)", argv = { home .. "/aelab", "--threads", "2",
      home .. "/scripts/aelab_classifier.lua", "--json", "--epochs", tostring(epochs),
      "--pretrain-epochs", tostring(pre), "--indices", indices } },
  { name = "PyTorch, 2 threads", argv = { "/usr/bin/python3",
      home .. "/scripts/torch_classifier.py", "--threads", "2", "--json", "--epochs", tostring(epochs),
      "--pretrain-epochs", tostring(pre), "--indices", indices }, torch = true },
}

local race = require "scripts.race"
print(string.format("Lesson 10's fine-tuned classifier (784-256-64-10), MNIST: pretraining %d epochs a level " ..
  "on 8,000 digits, fine-tuning %d epochs on 1,000 labels, batch 32: %d rounds", pre, epochs, rounds))
local ok, err = pcall(race, contenders, rounds, 22, "test accuracy (%)", "test_accuracy")
os.remove(indices)
os.remove(indices:sub(1, -5))
if not ok then error(err, 0) end
print()
local a, t = contenders[1], contenders[2]
local ja, jt = ae.json.decode(a.json), ae.json.decode(t.json)
print(string.format("fine-tuning speed, aelab / PyTorch: %.2f× (median %.0f against %.0f samples/s)",
  a.median / t.median, a.median, t.median))
print(string.format("pretraining (both levels, last round): aelab %.1f s, PyTorch %.1f s: %.2f×; level-1 " ..
  "samples/s %.0f against %.0f", ja.pretrain_seconds, jt.pretrain_seconds, jt.pretrain_seconds / ja.pretrain_seconds,
  ja.pretrain_samples_per_s, jt.pretrain_samples_per_s))
print(string.format("test accuracy after %d epochs: aelab %.2f%%, PyTorch %.2f%% (difference %+.2f points)", epochs,
  a.metric[#a.metric], t.metric[#t.metric], a.metric[#a.metric] - t.metric[#t.metric]))
