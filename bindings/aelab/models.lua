-- Models from Lua: the Sequential and Autoencoder constructors, and every
-- model method written in Lua, installed here and nowhere else on the
-- metatable of aelab.Model (bindings/lmodel.c holds the C methods: forward,
-- step, loss, gradient, parameters, layers, shapes, set_loss, loss_name, ...).
-- (Named models.lua, not model.lua: the host preloads the C module as
-- "aelab.model", and a preload wins over package.path.)
local Model = require "aelab.model"
local format = require "aelab.format"
local optcheck = require "aelab.optcheck"

local models = {}

local model_mt = Model.metatable
local methods = model_mt.__index

local is_model = Model.is_model
local Layer = require "aelab.layer"
local is_layer = Layer.is_layer
local vae = require "aelab.vae"
local modelfiles_copy -- set below, once modelfiles.lua is loaded

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
    if is_model(l) then
      -- a model among the layers (a pretrained encoder) puts its layers in,
      -- the same objects: shared, not copied (copy it first to keep it apart)
      for _, k in ipairs(l:layers()) do out[#out + 1] = k end
    elseif not is_layer(l) then
      error(string.format("%s: element %d is a %s, not a layer or model (e.g. ae.Dense(784, 32))", what, i,
        type(l)), 3)
    else
      out[#out + 1] = l
    end
  end
  if #out == 0 then error(what .. ": needs at least one layer", 3) end
  return out
end

-- Sequential{layer, layer, ...; input = {shape}}. An element may be a model
-- (net:encoder(), or another Sequential): its layers go in, shared.
function models.Sequential(spec)
  if type(spec) == "table" and not is_model(spec) then optcheck.check("Sequential", spec, { "input" }, 2) end
  return Model.new(layer_list(spec, "Sequential"), nil, spec.input)
end

-- Autoencoder{encoder = Sequential or {layers}, decoder = ...; input = {shape}}
function models.Autoencoder(spec)
  if type(spec) ~= "table" or not spec.encoder or not spec.decoder then
    error("Autoencoder: expected {encoder = ..., decoder = ...}", 2)
  end
  optcheck.check("Autoencoder", spec, { "decoder", "encoder", "input" }, 2)
  local enc = layer_list(spec.encoder, "Autoencoder encoder")
  local dec = layer_list(spec.decoder, "Autoencoder decoder")
  local all = {}
  for _, l in ipairs(enc) do all[#all + 1] = l end
  for _, l in ipairs(dec) do all[#all + 1] = l end
  return Model.new(all, #enc, spec.input)
end

-- VAE{encoder = Sequential or {layers}, latent = 2, decoder = ...; beta = 1,
-- input = {shape}}: the encoder, then the Dense to 2·latent (μ and log σ²)
-- and the GaussianSample that draws z and adds β·KL to the loss, then the
-- decoder, which takes latent values. An encoder whose output is not flat
-- (a convolutional one) gets a Flatten first. The code (encode) is μ.
function models.VAE(spec)
  if type(spec) ~= "table" or not spec.encoder or not spec.decoder or not spec.latent then
    error("VAE: expected {encoder = ..., latent = n, decoder = ...}", 2)
  end
  optcheck.check("VAE", spec, { "beta", "decoder", "encoder", "input", "latent" }, 2)
  local latent = spec.latent
  if math.type(latent) ~= "integer" or latent < 1 then error("VAE: latent must be a positive integer", 2) end
  if spec.beta ~= nil and (type(spec.beta) ~= "number" or not (spec.beta >= 0) or spec.beta == math.huge) then
    error("VAE: beta must be a finite number ≥ 0", 2)
  end
  local enc = layer_list(spec.encoder, "VAE encoder")
  local dec = layer_list(spec.decoder, "VAE decoder")
  -- the encoder's output width, from a model of the encoder alone
  local shapes = Model.new(enc, nil, spec.input):shapes()
  local out = shapes[#shapes]
  local width = 1
  for _, d in ipairs(out) do width = width * d end
  local all = {}
  for _, l in ipairs(enc) do all[#all + 1] = l end
  if #out > 1 then all[#all + 1] = Layer.Flatten() end
  all[#all + 1] = Layer.Dense(width, 2 * latent)
  all[#all + 1] = Layer.GaussianSample(latent, { beta = spec.beta })
  local code = #all
  for _, l in ipairs(dec) do all[#all + 1] = l end
  return Model.new(all, code, spec.input or shapes[1])
end

-- Mean losses per value between tensors of the same size, as the models
-- report them: squared error, and binary cross-entropy of probabilities p
-- against targets t (p clamped to [1e-7, 1 − 1e-7], as Keras does).
function models.mse(a, b) return Model.loss("mse", a, b) end
function models.bce(p, t) return Model.loss("bce", p, t) end

---------------------------------------------------------------------------
-- Methods
---------------------------------------------------------------------------

function methods:is_autoencoder()
  local code, n = self:code_index()
  return code < n
end

-- encode(x [, {sample = true}]): the code. A VAE's is μ, computed in
-- evaluation mode whatever the model's mode; with sample = true, z = μ + σ·ε
-- drawn from the seeded generator.
function methods:encode(x, o)
  optcheck.check("encode", o, { "sample" }, 2)
  local code = self:code_index()
  assert(self:is_autoencoder(), "encode: this model has no decoder (use forward)")
  local g, k = vae.sampler(self)
  if not g or k > code then
    if o and o.sample then error("encode: sample = true needs a model with a GaussianSample (ae.VAE)", 2) end
    return self:forward(x, 1, code)
  end
  local h = vae.moments(self, x)
  local was = g:is_training() -- the layer's own forward draws ε only in training mode
  if o and o.sample then g:training() else g:evaluate() end
  local ok, z = pcall(g.forward, g, h)
  if was then g:training() else g:evaluate() end
  if not ok then error(z, 0) end
  if k < code then z = vae.evaluating(self, self.forward, self, z, k + 1, code) end
  return z
end

-- sample(n) → n images decoded from z ~ N(0, I), drawn from the seeded
-- generator (a VAE: a model with a GaussianSample before its code).
function methods:sample(n)
  if math.type(n) ~= "integer" or n < 1 then error("sample: n must be a positive integer", 2) end
  local g, k = vae.sampler(self)
  if not g then error("sample: this model has no GaussianSample (make it with ae.VAE)", 2) end
  -- from the layer after the GaussianSample (the code, in ae.VAE's models)
  local _, last = self:code_index()
  return self:forward(require("aelab.tensor").randn(n, g:config().latent), k + 1, last)
end

-- loss_terms(x [, target]) → {reconstruction =, kl =, units = {...}}: a
-- VAE's loss on x in its parts (reconstruction decodes μ; KL is per sample,
-- unweighted by β; units is the KL of each latent unit).
function methods:loss_terms(x, target)
  if not vae.sampler(self) then error("loss_terms: this model has no GaussianSample (make it with ae.VAE)", 2) end
  return vae.loss_terms(self, x, target)
end

-- predict(x) → a vector [N] of 0-based classes: the largest output of each
-- row (a classifier's logits or Softmax), the labels' own convention.
function methods:predict(x)
  if not self:classes() then
    error(string.format("predict: the model's loss is '%s', not a loss on class labels, so its outputs are not " ..
      "class scores; for a classifier (last layer Dense(..., C)) call net:set_loss('cross_entropy') or train it " ..
      "with fit{loss = 'cross_entropy', target = labels} first; for an autoencoder's outputs use net:forward(x)",
      self:loss_name()), 2)
  end
  local y = self:forward(x)
  if y:dim() ~= 2 then error("predict: the model's output is not one row of class scores per sample", 2) end
  return y:argmax() - 1 -- argmax is 1-based in Lua; labels are 0-based
end

-- The layer range [from, to] (1-based, inclusive) a freeze names: no
-- arguments, every layer; from alone, that layer.
local function layer_range(self, who, from, to)
  local n = #self:layers()
  if from == nil then from, to = 1, n elseif to == nil then to = from end
  for _, v in ipairs { from, to } do
    if math.type(v) ~= "integer" or v < 1 or v > n then
      error(string.format("%s: layer %s is not one of 1..%d (net:%s([from [, to]]); no arguments: every layer)",
        who, tostring(v), n, who), 3)
    end
  end
  if from > to then error(string.format("%s: layers %d..%d: from is after to", who, from, to), 3) end
  return from, to
end

-- freeze([from [, to]]) / unfreeze([from [, to]]): layers from..to (one
-- layer when only from is given; every layer without arguments) keep
-- their weights in fit and step: no gradient, no update, whichever model
-- holds them (a frozen encoder stays frozen inside a classifier; also
-- net:apply_gradients, distributed fit's update). The
-- summary marks them. Returns the model. Their optimizer state and Adam's
-- count of their own updates wait (optim.h). Only net:step and fit read
-- the flags: opt:update(P, G) on net:parameters()'s arena updates every
-- value (momentum and weight decay move a zero gradient's weights too).
-- net:save keeps the flags (ae.load, net:copy); load_weights does not.
function methods:freeze(from, to)
  local layers = self:layers()
  from, to = layer_range(self, "freeze", from, to)
  for i = from, to do layers[i]:freeze() end
  return self
end

function methods:unfreeze(from, to)
  local layers = self:layers()
  from, to = layer_range(self, "unfreeze", from, to)
  for i = from, to do layers[i]:unfreeze() end
  return self
end

-- encoder([{copy = false}]) → a Sequential of the autoencoder's encoder
-- layers, ready to put into another model (ae.Sequential{net:encoder(),
-- ae.Dense(64, 10)}). By default the layers are the same objects (shared):
-- training the new model changes this autoencoder's encoder too. copy = true
-- gives fresh layers with a copy of the weights instead.
function methods:encoder(o)
  optcheck.check("encoder", o, { "copy" }, 2)
  local code = self:code_index()
  if not self:is_autoencoder() then error("encoder: this model has no decoder; it is its own encoder", 2) end
  local layers, enc = self:layers(), {}
  for i = 1, code do enc[i] = layers[i] end
  local seq = Model.new(enc, nil, self:shapes()[1])
  if o and o.copy then return modelfiles_copy(seq) end
  return seq
end

-- copy() → the same architecture with fresh layers and a copy of the weights.
function methods:copy() return modelfiles_copy(self) end

function methods:decode(z)
  local code, n = self:code_index()
  assert(self:is_autoencoder(), "decode: this model has no decoder")
  return self:forward(z, code + 1, n)
end

function methods:reconstruct(x) return self:forward(x) end

-- Torch7's modes, and nothing else. A step (fit) always trains, with Dropout
-- dropping; forward, reconstruct, loss and validation evaluate (Dropout is
-- the identity) unless training() was called: then forward drops too, until
-- evaluate(). Both return the model. The loss on data is net:loss(x [, target]).
function methods:training()
  self:set_training(true)
  return self
end

function methods:evaluate(...)
  if select("#", ...) > 0 then
    error("evaluate() only sets evaluation mode and takes no arguments; " ..
      "for the loss on x use net:loss(x [, target])", 2)
  end
  self:set_training(false)
  return self
end

-- Whether a loss was chosen for the model (set_loss, compile, fit, a
-- loaded file): until then its loss is the core's default (mse) and the
-- summary says "loss: set by fit" rather than a loss fit may replace.
-- Kept beside the C object, in a weak table (gone with the model).
local loss_chosen = setmetatable({}, { __mode = "k" })
local c_set_loss = methods.set_loss
function methods:set_loss(name)
  c_set_loss(self, name)
  loss_chosen[self] = true
end
function methods:loss_chosen() return loss_chosen[self] == true end
-- fit's undo: a fit that raised leaves the model's "chosen" as it was
function models.forget_loss_choice(model) loss_chosen[model] = nil end

-- compile{loss = "bce"|"mse"|"bce_sum"|"mse_sum", optimizer = ae.optim.Adam{...}}
function methods:compile(o)
  optcheck.check("compile", o, { "loss", "optimizer" }, 2)
  if o == nil then error("compile: expected {loss = ..., optimizer = ...}", 2) end
  if o.loss then self:set_loss(o.loss) end
  if o.optimizer and require("aelab.fullbatch").is(o.optimizer) then
    error(string.format("compile: %s runs whole iterations, not steps; give it to fit: net:fit(x, {optimizer = " ..
      "ae.optim.%s{...}, epochs = iterations})", o.optimizer.kind, o.optimizer.kind), 2)
  end
  if o.optimizer then self:set_optimizer(o.optimizer) end
  return self
end

-- fit(x, opts) → history: the standard training loop, in fit.lua (a loop
-- over the public methods above and step, which lessons may rewrite).
methods.fit = require "aelab.fit"

-- net:save(path) → path, net:load_weights(path) → net, and models.load(path)
-- (ae.load): safetensors files with the architecture (modelfiles.lua). As
-- every loader (README, "Errors"): a path that is not a string raises; a
-- file that cannot be written or read, or is not this model's, returns
-- nil and the message.
local modelfiles = require "aelab.modelfiles"
modelfiles_copy = modelfiles.copy
local function file_op(who, f, path, ...)
  if type(path) ~= "string" then error(who .. ": expected a file name, got " .. type(path), 3) end
  local ok, res = pcall(f, ...)
  if ok then return res end
  if require("aelab.signal").is_interrupt(res) then error(res, 0) end -- Ctrl-C is not a file problem
  return nil, (tostring(res):gsub("^[^\n]-%.lua:%d+: ", "")) -- the message, not where in modelfiles.lua
end
function methods:save(path) return file_op("save", modelfiles.save, path, self, path) end
function methods:load_weights(path) return file_op("load_weights", modelfiles.load_weights, path, self, path) end
function models.load(path) return file_op("load", modelfiles.load, path, path) end

-- print(net) and net:summary(): layers, shapes, parameters (format.lua).
function methods:summary() return format.summary(self) end
model_mt.__tostring = format.summary

-- print(net:profile([reset])): where the training steps' time went, per layer.
function methods:profile(reset) return format.profile(self, reset) end

models.is_model = is_model
return models
