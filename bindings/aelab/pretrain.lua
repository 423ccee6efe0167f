-- Greedy layer-wise pretraining, as ae.pretrain (the course's exercise 9,
-- Bengio et al. 2007, Vincent et al. 2010): autoencoder 1 learns to
-- reconstruct the pixels, autoencoder 2 its codes, and so on; each level is
-- trained alone with the levels below fixed, and its encoder is kept.
--
--   local encoders, info = ae.pretrain.stack(x, {sizes = {784, 256, 64},
--     epochs = 10, noise = ae.noise.masking{p = 0.25}})
--   local clf = ae.Sequential { encoders[1], encoders[2], ae.Dense(64, 10) }
--
-- The encoders come back as Sequentials of Dense + activation; putting them
-- into a model shares their layers (freeze them for "codes + softmax", leave
-- them trainable to fine-tune). x is the unlabelled pool: never the test set.
local T = require "aelab.tensor"
local Layer = require "aelab.layer"
local optcheck = require "aelab.optcheck"

local pretrain = {}

local OPTIONS = { "activation", "batch", "epochs", "loss", "lr", "noise", "penalty", "sizes", "verbose" }
local ACTIVATIONS = { sigmoid = Layer.Sigmoid, relu = Layer.ReLU, tanh = Layer.Tanh }

local NAME = "ae.pretrain.stack"

-- An option that may be one value for every level or a list of one per
-- level. Called from level_options, from stack: level 4 is stack's caller.
local function per_level(o, key, level, levels)
  local v = o[key]
  if type(v) == "table" and getmetatable(v) == nil then
    if #v ~= levels then
      error(string.format("%s: %s lists %d values, one per level is %d", NAME, key, #v, levels), 4)
    end
    return v[level] or nil -- false: none at this level
  end
  return v
end

-- Every level's options, checked before any level trains (a typo in the
-- last level's must not cost the first levels' training): a list of
-- {epochs, batch, lr, loss, noise, penalty}. Errors point at stack's caller.
local function level_options(x, o, levels, activation)
  local Model = require "aelab.model"
  local reg = require "aelab.regularize"
  local out = {}
  local function bad(k, key, v, want)
    error(string.format("%s: level %d's %s is %s; %s", NAME, k, key, tostring(v), want), 4) -- bad, level_options, stack
  end
  for k = 1, levels do
    local l = {
      epochs = per_level(o, "epochs", k, levels) or 10,
      batch = per_level(o, "batch", k, levels) or 64,
      lr = per_level(o, "lr", k, levels) or 1e-3,
      loss = per_level(o, "loss", k, levels),
      noise = per_level(o, "noise", k, levels),
      penalty = per_level(o, "penalty", k, levels),
    }
    if math.type(l.epochs) ~= "integer" or l.epochs < 1 then bad(k, "epochs", l.epochs, "give a positive integer") end
    if math.type(l.batch) ~= "integer" or l.batch < 1 then bad(k, "batch", l.batch, "give a positive integer") end
    if type(l.lr) ~= "number" or not (l.lr > 0 and l.lr < math.huge) then
      bad(k, "lr", l.lr, "give a positive learning rate (Adam's, 1e-3 by default)")
    end
    if l.loss ~= nil then
      if type(l.loss) ~= "string" then bad(k, "loss", l.loss, "give a loss name: 'bce' or 'mse'") end
      -- a reconstruction loss of the catalogue: a loss on class labels (cross_entropy) is refused here
      local ok, err = pcall(Model.loss, l.loss, T.zeros(1), T.zeros(1))
      if not ok then
        bad(k, "loss", "'" .. l.loss .. "'", "each level reconstructs its input, so its loss is one on targets " ..
          "shaped like the input ('bce', 'mse', 'bce_sum', 'mse_sum'): " .. tostring(err):gsub("^[^\n]-:%d+: ", ""))
      end
      if (l.loss == "bce" or l.loss == "bce_sum") then
        local outside = k == 1 and (x:min() < 0 or x:max() > 1) or k > 1 and activation ~= "sigmoid"
        if outside then
          bad(k, "loss", "'" .. l.loss .. "'", k == 1 and "BCE needs inputs in [0, 1] (scale x, or use 'mse')"
            or "BCE needs codes in [0, 1], which only the sigmoid activation gives (use 'mse')")
        end
      end
    end
    if l.noise ~= nil and not reg.is_noise(l.noise) then
      bad(k, "noise", l.noise, "give one made by ae.noise.gaussian/masking/salt_pepper (false for none)")
    end
    if l.penalty ~= nil and not reg.is_penalty(l.penalty) then
      bad(k, "penalty", l.penalty, "give one made by ae.penalty.l1/kl_sparsity/contractive (false for none)")
    end
    out[k] = l
  end
  return out
end

-- stack(x, opts) → encoders, info
--   sizes = {784, 256, 64}: the input width and each level's code width
--   epochs (10), batch (64), lr (1e-3, Adam, a fresh optimizer per level),
--   activation ("sigmoid" | "relu" | "tanh"; sigmoid by default, the
--     course's and the original papers'),
--   noise (an ae.noise: a denoising level), penalty (an ae.penalty on the
--     level's code: a sparse level), loss ("bce" when the level's input lies
--     in [0, 1], with a Sigmoid output; else "mse" with a linear one),
--   verbose (true): each of epochs, batch, lr, noise, penalty, loss may
--   also be a list with one entry per level (false for none:
--   {ae.noise.masking{p = 0.3}, false}). Every level's options are checked
--   before the first level trains.
-- info = {autoencoders = {...}, histories = {...}, seconds = {...}, codes =
-- the top level's codes of x}.
function pretrain.stack(x, o)
  optcheck.check("ae.pretrain.stack", o, OPTIONS, 2)
  if not T.is_tensor(x) or x:dim() ~= 2 then
    error("ae.pretrain.stack: x must be a matrix [N×D] of unlabelled samples", 2)
  end
  if type(o) ~= "table" or type(o.sizes) ~= "table" or #o.sizes < 2 then
    error("ae.pretrain.stack: give sizes = {input, code 1, code 2, ...}, e.g. {784, 256, 64}", 2)
  end
  for i, s in ipairs(o.sizes) do
    if math.type(s) ~= "integer" or s < 1 then
      error(string.format("ae.pretrain.stack: sizes[%d] = %s is not a positive integer", i, tostring(s)), 2)
    end
  end
  if o.sizes[1] ~= x:size(2) then
    error(string.format("ae.pretrain.stack: sizes[1] = %d but x has %d columns", o.sizes[1], x:size(2)), 2)
  end
  local act = ACTIVATIONS[o.activation or "sigmoid"]
  if not act then
    error("ae.pretrain.stack: activation must be 'sigmoid', 'relu' or 'tanh', got " .. tostring(o.activation), 2)
  end
  local levels = #o.sizes - 1
  local opts = level_options(x, o, levels, o.activation or "sigmoid")
  local optim = require "aelab.optim"
  local models = require "aelab.models"
  local sys = require "aelab.sys"
  local encoders, info = {}, { autoencoders = {}, histories = {}, seconds = {} }
  local input = x
  for k = 1, levels do
    local d_in, d_code = o.sizes[k], o.sizes[k + 1]
    local lv = opts[k]
    local loss = lv.loss
    local lo, hi = input:min(), input:max()
    loss = loss or ((lo >= 0 and hi <= 1) and "bce" or "mse")
    local decoder = { Layer.Dense(d_code, d_in) }
    if loss == "bce" or loss == "bce_sum" then decoder[2] = Layer.Sigmoid() end
    local net = models.Autoencoder {
      encoder = { Layer.Dense(d_in, d_code), act() },
      decoder = decoder,
    }
    if o.verbose ~= false then
      local noise, pen = lv.noise, lv.penalty
      print(string.format("  level %d/%d: %d → %d → %d, loss %s%s%s", k, levels, d_in, d_code, d_in, loss,
        noise and ", noise " .. tostring(noise) or "", pen and ", penalty " .. tostring(pen) or ""))
    end
    local t0 = sys.clock()
    local history = net:fit(input, {
      epochs = lv.epochs,
      batch = lv.batch,
      loss = loss,
      optimizer = optim.Adam { lr = lv.lr },
      noise = lv.noise,
      penalty = lv.penalty,
      verbose = o.verbose,
    })
    info.seconds[k] = sys.clock() - t0
    if history.stopped then
      error(string.format("ae.pretrain.stack: level %d stopped: %s", k, history.stopped), 2)
    end
    encoders[k] = net:encoder()
    info.autoencoders[k], info.histories[k] = net, history
    input = encoders[k]:forward(input) -- the next level learns these codes
  end
  info.codes = input
  return encoders, info
end

return pretrain
