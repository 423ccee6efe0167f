-- aelab against PyTorch on lesson 13's convolutional model with 3-channel
-- 64×64 crops (watermarked photo in, clean out; MSE, Adam, batch 32), same
-- data, in one run: the crops are cut here once (seeded) and saved as .npy
-- for both; rounds alternate between the contenders (scripts/race.lua),
-- each a fresh process; a contender's figure is the median over its
-- epochs. Both use 2 threads. Kept short: the machine is shared.
--   ./aelab scripts/bench-images.lua [rounds=2] [epochs=2] [train crops=1024]
local ae = require "aelab"
local rounds, epochs, n = tonumber(arg[1]) or 2, tonumber(arg[2]) or 2, tonumber(arg[3]) or 1024
local home = ae.options.home
local P = 64

local train, test = assert(ae.data.watermarks())
local function crops(list, count, seed0)
  local x, y = ae.zeros(count, 3, P, P), ae.zeros(count, 3, P, P)
  local per = math.ceil(count / #list)
  local at = 1
  for k, item in ipairs(list) do
    local m = item.marked[(k - 1) % #item.marked + 1]
    local take = math.min(per, count - at + 1)
    if take <= 0 then break end
    local px, c = ae.image.patches(m, { size = P, count = take, seed = seed0 + k })
    x:narrow(1, at, take):copy(px)
    y:narrow(1, at, take):copy(ae.image.patches(item.clean, { size = P, corners = c }))
    at = at + take
  end
  return x, y
end
local prefix = string.format("%s/bench-images-%d", os.getenv("TMPDIR") or "/tmp", require("aelab.sys").getpid())
local xtr, ytr = crops(train, n, 100)
local xte, yte = crops(test, 256, 900)
for name, t in pairs { ["train-x"] = xtr, ["train-y"] = ytr, ["test-x"] = xte, ["test-y"] = yte } do
  assert(t:save_npy(prefix .. "-" .. name .. ".npy"))
end

-- argv lists, no shell: the home folder and $TMPDIR are only paths
local contenders = {
  { name = "aelab (2 threads)", argv = { home .. "/aelab", "--threads", "2", home .. "/scripts/aelab_image_ae.lua",
    "--json", "--epochs", tostring(epochs), "--data", prefix } },
  { name = "PyTorch, 2 threads", argv = { "/usr/bin/python3", home .. "/scripts/torch_image_ae.py", "--threads", "2",
    "--json", "--epochs", tostring(epochs), "--data", prefix } },
}
local race = require "scripts.race"
print(string.format("Lesson 13's conv model (3→16→16→16→3, 3×3 'same'), %d crops of 3×64×64, batch 32: %d rounds × %d epochs",
  n, rounds, epochs))
local ok, err = pcall(race, contenders, rounds, 22, "test MSE")
for _, name in ipairs { "train-x", "train-y", "test-x", "test-y" } do os.remove(prefix .. "-" .. name .. ".npy") end
if not ok then error(err, 0) end
print()
print(string.format("ratio aelab / PyTorch: %.2f×", contenders[1].median / contenders[2].median))
