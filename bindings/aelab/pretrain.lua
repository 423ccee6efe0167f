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

-- An option that may be one value for every level or a list of one per level.
local function per_level(o, key, level, levels)
  local v = o[key]
  if type(v) == "table" and getmetatable(v) == nil then
    if #v ~= levels then
      error(string.format("ae.pretrain.stack: %s lists %d values, one per level is %d", key, #v, levels), 4)
    end
    return v[level] or nil -- false: none at this level
  end
  return v
end

-- stack(x, opts) → encoders, info
--   sizes = {784, 256, 64}: the input width and each level's code width
--   epochs (10), batch (64), lr (1e-3, Adam, a fresh optimizer per level),
--   activation ("sigmoid" | "relu" | "tanh"; sigmoid by default, the
--     course's and the original papers'),
--   noise (an ae.noise: a denoising level), penalty (an ae.penalty on the
--     level's code: a sparse level), loss ("bce" when the level's input lies
--     in [0, 1], with a Sigmoid output; else "mse" with a linear one),
--   verbose (true): each of epochs, noise, penalty, loss may also be a list
--   with one entry per level (false for none: {ae.noise.masking{p = 0.3}, false}).
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
  local optim = require "aelab.optim"
  local models = require "aelab.models"
  local sys = require "aelab.sys"
  local levels = #o.sizes - 1
  local encoders, info = {}, { autoencoders = {}, histories = {}, seconds = {} }
  local input = x
  for k = 1, levels do
    local d_in, d_code = o.sizes[k], o.sizes[k + 1]
    local loss = per_level(o, "loss", k, levels)
    local lo, hi = input:min(), input:max()
    loss = loss or ((lo >= 0 and hi <= 1) and "bce" or "mse")
    local decoder = { Layer.Dense(d_code, d_in) }
    if loss == "bce" or loss == "bce_sum" then decoder[2] = Layer.Sigmoid() end
    local net = models.Autoencoder {
      encoder = { Layer.Dense(d_in, d_code), act() },
      decoder = decoder,
    }
    if o.verbose ~= false then
      local noise, pen = per_level(o, "noise", k, levels), per_level(o, "penalty", k, levels)
      print(string.format("  level %d/%d: %d → %d → %d, loss %s%s%s", k, levels, d_in, d_code, d_in, loss,
        noise and ", noise " .. tostring(noise) or "", pen and ", penalty " .. tostring(pen) or ""))
    end
    local t0 = sys.clock()
    local history = net:fit(input, {
      epochs = per_level(o, "epochs", k, levels) or 10,
      batch = o.batch or 64,
      loss = loss,
      optimizer = optim.Adam { lr = o.lr or 1e-3 },
      noise = per_level(o, "noise", k, levels),
      penalty = per_level(o, "penalty", k, levels),
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
