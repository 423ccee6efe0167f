-- Model files: net:save(path), ae.load(path), net:load_weights(path).
-- (Named modelfiles.lua: the C module aelab.modelfile, which reads and
-- writes the safetensors bytes, is preloaded under the singular name.)
--
-- A file is safetensors (core/safetensors.h): one F32 tensor per parameter,
-- named "layers.<i>.<weight|bias>" with i the layer's 0-based position in
-- the model (PyTorch's state_dict names), and in __metadata__, as strings:
--   architecture   JSON {input = {784}, code = 2, layers = {{kind = "Dense", in = 784, out = 32, init = "glorot"}, ...}}
--                  kinds and fields as layer:config() gives them; a DenseTied
--                  has dense = the 0-based index of its Dense; a layer used
--                  twice is {kind = "Shared", layer = index}; the salt of a
--                  Dropout or GaussianSample is 16 hex digits (JSON numbers
--                  are doubles); a frozen layer has frozen = true (ae.load
--                  freezes it again)
--   training       JSON {loss = "bce", optimizer = {kind = "Adam", lr = ..., ...}}
--   aelab_version  the aelab that wrote it
--   (and the core's own aelab_format and crc32, checked on load)
-- Checkpoints (aelab/checkpoint.lua) add tensors and metadata of their own.
-- Every failure here raises an error that names the file; models.lua turns
-- those into nil, message for net:save, ae.load and net:load_weights.
local MF = require "aelab.modelfile"
local Layer = require "aelab.layer"
local Model = require "aelab.model"
local sys = require "aelab.sys"
local json = require "aelab.json"

local M = {}

local function version()
  local ok, o = pcall(require, "aelab.options")
  return ok and type(o) == "table" and o.version or "?"
end

local function shape_str(t) return "[" .. table.concat(t:size(), "×") .. "]" end

-- The architecture of net and its own parameters, in file order.
local function describe(net)
  local code = net:code_index()
  local arch = { input = net:shapes()[1], code = code, layers = {} }
  local names, tensors = {}, {}
  local seen = {} -- layer userdata → its 0-based index
  for i, l in ipairs(net:layers()) do
    local index = i - 1
    if seen[l] then
      arch.layers[i] = { kind = "Shared", layer = seen[l] }
    else
      seen[l] = index
      local c = l:config()
      if c.kind == "DenseTied" then
        c.dense = seen[l:tied_to()]
        if not c.dense then
          error(string.format("save: layer %d (DenseTied) uses a Dense that is not before it in this model", i), 3)
        end
      elseif c.salt then -- Dropout, GaussianSample
        c.salt = string.format("%016x", c.salt)
      end
      if l:is_frozen() then c.frozen = true end
      local own = {}
      for _, p in ipairs(c.params) do own[p] = true end
      c.params = nil
      local views = l:parameters()
      for j, p in ipairs(l:parameter_names()) do
        if own[p] then
          names[#names + 1] = string.format("layers.%d.%s", index, p)
          tensors[#tensors + 1] = views[j]
        end
      end
      arch.layers[i] = c
    end
  end
  return arch, names, tensors
end

local function training(net)
  local t = { loss = net:loss_name() }
  local opt = net:optimizer()
  if opt then t.optimizer = opt:config() end
  return t
end

-- save(net, path [, extra]): extra = {meta = {k = string}, names = {...},
-- tensors = {...}} is what a checkpoint adds.
function M.save(net, path, extra)
  if type(path) ~= "string" then error("save: expected a file name, got " .. type(path), 3) end
  local arch, names, tensors = describe(net)
  local meta = { architecture = json.encode(arch), training = json.encode(training(net)), aelab_version = version() }
  if extra then
    for k, v in pairs(extra.meta or {}) do meta[k] = v end
    for i, n in ipairs(extra.names or {}) do
      names[#names + 1] = n
      tensors[#tensors + 1] = extra.tensors[i]
    end
  end
  local ok, err = MF.write(path, meta, names, tensors)
  if not ok then error("save: " .. err, 3) end
  return path
end

-- read(path) → the file's tables, checked as an aelab model file.
function M.read(path, who)
  if type(path) ~= "string" then error(who .. ": expected a file name, got " .. type(path), 3) end
  local f, err = MF.read(path)
  if not f then error(who .. ": " .. err, 3) end
  if not f.meta.aelab_format then
    error(string.format("%s: %s is a safetensors file but not aelab's (no aelab_format in its metadata)", who, path), 3)
  end
  return f
end

-- The file's parameters into net: every parameter of net must be there with
-- its shape, and the file may hold no layer parameters net lacks.
-- Salts (Dropout, GaussianSample) come back too (from the architecture,
-- where the kinds agree), so the loaded model draws what the saved one did.
local function set_weights(net, f, path, who)
  local want, seen = {}, {} -- want: in layer order, so the first mismatch is named
  local layers = net:layers()
  for i, l in ipairs(layers) do
    if not seen[l] then -- a layer used twice keeps its parameters under its first index
      seen[l] = true
      local own = {}
      for _, p in ipairs(l:config().params) do own[p] = true end
      local views = l:parameters()
      for j, p in ipairs(l:parameter_names()) do
        if own[p] then
          want[#want + 1] = { name = string.format("layers.%d.%s", i - 1, p), layer = l, param = p, view = views[j], i = i }
          want[want[#want].name] = true
        end
      end
    end
  end
  for _, w in ipairs(want) do
    local t = f.tensors[w.name]
    if not t then
      error(string.format("%s: %s has no tensor %s (the model's layer %d, %s): not this model's file", who, path,
        w.name, w.i, tostring(w.layer)), 3)
    end
    local ws, ts = w.view:size(), t:size()
    local same = #ws == #ts
    for k = 1, #ws do same = same and ws[k] == ts[k] end
    if not same then
      error(string.format("%s: %s in %s is %s, but the model's layer %d (%s) has %s", who, w.name, path, shape_str(t),
        w.i, tostring(w.layer), shape_str(w.view)), 3)
    end
  end
  for _, name in ipairs(f.names) do
    if name:match("^layers%.") and not want[name] then
      error(string.format("%s: %s holds %s, which the model has no place for: not this model's file", who, path, name), 3)
    end
  end
  for _, w in ipairs(want) do w.layer:set_parameters { [w.param] = f.tensors[w.name] } end
  local arch = f.meta.architecture and json.decode(f.meta.architecture)
  if type(arch) == "table" and type(arch.layers) == "table" then
    for i, l in ipairs(layers) do
      local c = arch.layers[i]
      local salt = type(c) == "table" and type(c.salt) == "string" and c.salt:match("^%x+$") and #c.salt <= 16
        and tonumber(c.salt, 16)
      if salt and l:config().kind == c.kind then l:set_salt(salt) end
    end
  end
end

-- net:load_weights(path) → net: the weights of a file saved from a model of
-- the same shapes (and its salts).
function M.load_weights(net, path)
  local f = M.read(path, "load_weights")
  set_weights(net, f, path, "load_weights")
  return net, f
end

local function opts(c, keys)
  local o = {}
  for _, k in ipairs(keys) do o[k] = c[k] end
  return o
end

local conv_keys = { "stride", "padding", "init", "kernel" }
-- A salt from the architecture (16 hex digits), or nil: the layer draws one.
local function salt_of(c)
  local salt = type(c.salt) == "string" and c.salt:match("^%x+$") and #c.salt <= 16 and tonumber(c.salt, 16)
  return salt or nil
end
local build = {
  Dense = function(c) return Layer.Dense(c["in"], c.out, { init = c.init }) end,
  DenseTied = function(c, made)
    local d = math.type(c.dense) == "integer" and made[c.dense + 1]
    if not d then error("dense = " .. tostring(c.dense) .. " is not an earlier layer", 0) end
    return Layer.DenseTied(d)
  end,
  Shared = function(c, made)
    local l = math.type(c.layer) == "integer" and made[c.layer + 1]
    if not l then error("layer = " .. tostring(c.layer) .. " is not an earlier layer", 0) end
    return l
  end,
  LeakyReLU = function(c) return Layer.LeakyReLU(c.slope) end,
  Conv2D = function(c) return Layer.Conv2D(c.cin, c.cout, c.k, opts(c, conv_keys)) end,
  ConvTranspose2D = function(c) return Layer.ConvTranspose2D(c.cin, c.cout, c.k, opts(c, conv_keys)) end,
  MaxPool2D = function(c) return Layer.MaxPool2D(c.k, opts(c, { "stride", "padding" })) end,
  UpSampling2D = function(c) return Layer.UpSampling2D(c.scale) end,
  Reshape = function(c) return Layer.Reshape(c.shape) end,
  GaussianSample = function(c) return Layer.GaussianSample(c.latent, { beta = c.beta, salt = salt_of(c) }) end,
  Flatten = function() return Layer.Flatten() end,
  Dropout = function(c) return Layer.Dropout(c.p, { salt = salt_of(c) }) end,
}
for _, kind in ipairs { "ReLU", "Sigmoid", "Tanh", "Identity", "Softmax" } do
  build[kind] = function() return Layer[kind]() end
end

-- The model an architecture describes, with fresh weights.
local function rebuild(arch, path)
  if type(arch) ~= "table" or type(arch.layers) ~= "table" or #arch.layers == 0 then
    error(string.format("load: %s: its architecture lists no layers", path), 0)
  end
  local made = {}
  -- constructors draw initial weights from the generator: put it back after,
  -- so loading a model does not change what a script draws next
  local state = sys.rng_state()
  for i, c in ipairs(arch.layers) do
    local make = type(c) == "table" and build[c.kind]
    if not make then
      sys.rng_state(state)
      error(string.format("load: %s: layer %d is of kind %s, which this aelab does not know", path, i,
        tostring(type(c) == "table" and c.kind)), 0)
    end
    local ok, l = pcall(make, c, made)
    if not ok then
      sys.rng_state(state)
      if require("aelab.signal").is_interrupt(l) then error(l, 0) end
      error(string.format("load: %s: layer %d (%s) cannot be made: %s", path, i, c.kind, tostring(l)), 0)
    end
    if c.frozen == true then l:freeze() end
    made[i] = l
  end
  sys.rng_state(state)
  local ok, net = pcall(Model.new, made, arch.code, arch.input)
  if not ok then error(string.format("load: %s: its architecture does not make a model: %s", path, net), 0) end
  return net
end

-- copy(net) → a model of fresh layers with net's architecture and a copy of
-- its weights (nothing shared: training one leaves the other alone); the
-- frozen flags come along, the loss and optimizer do not.
function M.copy(net)
  local arch, _, tensors = describe(net)
  local new = rebuild(arch, "copy")
  local _, _, dest = describe(new)
  for i, t in ipairs(tensors) do dest[i]:copy(t) end
  return new -- the frozen flags come with the architecture
end

-- ae.load(path) → the model saved there, weights, loss and optimizer
-- settings and frozen layers included (load_weights sets weights only).
function M.load(path)
  local f = M.read(path, "load")
  local arch, err = json.decode(f.meta.architecture or "")
  if not arch then error(string.format("load: %s: its architecture is %s", path, f.meta.architecture and err or "missing"), 2) end
  local ok, net = pcall(rebuild, arch, path)
  if not ok then error(net, 2) end
  set_weights(net, f, path, "load")
  local t = f.meta.training and json.decode(f.meta.training)
  if type(t) == "table" then
    if type(t.loss) == "string" then
      local okl, e = pcall(net.set_loss, net, t.loss)
      if not okl then error(string.format("load: %s: loss %s: %s", path, t.loss, e), 2) end
    end
    local o = t.optimizer
    if type(o) == "table" and (o.kind == "Adam" or o.kind == "SGD" or o.kind == "RMSprop" or o.kind == "Adadelta") then
      local settings = {}
      for k, v in pairs(o) do if k ~= "kind" then settings[k] = v end end
      local oko, opt = pcall(require("aelab.optim")[o.kind], settings)
      if not oko then error(string.format("load: %s: optimizer: %s", path, opt), 2) end
      net:set_optimizer(opt)
    end
  end
  return net, f
end

return M
