-- aelab: the public Lua API, assembled. The C modules (aelab.tensor,
-- aelab.layer, aelab.model, aelab.optim, aelab.data, aelab.sys, aelab.pca) do
-- the numbers; the files under bindings/aelab/ give them their user-facing
-- shape, one job each: models.lua (constructors and every Lua model method,
-- fit from fit.lua), datasets.lua, format.lua (summary, profile, commas),
-- regularize.lua, linalg.lua, help.lua; lesson.lua and plots/ load on first use.
local T = require "aelab.tensor"
local Layer = require "aelab.layer"
local sys = require "aelab.sys"

-- What the host was told (bindings/main.c preloads it); defaults otherwise.
local ok_opts, options = pcall(require, "aelab.options")
if not ok_opts then
  options = { quick = false, show = false, out = "out", seed = 42, home = ".", version = "?" }
  package.loaded["aelab.options"] = options
end

local ae = {}
ae.options = options
-- Messages and number formats in the chosen language (--lang; aelab/i18n.lua).
ae.i18n = require "aelab.i18n"
ae.version = options.version

-- Tensors and layers
for k, v in pairs(T) do ae[k] = v end
ae.Tensor = T.zeros
ae.is_tensor = T.is_tensor
for k, v in pairs(Layer) do ae[k] = v end

-- Models
local models = require "aelab.models"
ae.Sequential, ae.Autoencoder = models.Sequential, models.Autoencoder
ae.VAE = models.VAE -- a variational autoencoder (aelab/models.lua)
ae.mse, ae.bce = models.mse, models.bce
ae.cross_entropy = require("aelab.model").cross_entropy -- mean softmax cross-entropy of logits against 0-based labels
ae.metrics = require "aelab.metrics" -- accuracy, confusion
ae.pretrain = require "aelab.pretrain" -- greedy layer-wise pretraining (stack)
ae.load = models.load -- a model saved by net:save(path)

-- Process settings
ae.seed = sys.seed
ae.threads = sys.threads
ae.blas = sys.blas
ae.clock = sys.clock
ae.peak_rss = sys.peak_rss

ae.optim = require "aelab.optim"
require "aelab.fullbatch" -- adds ae.optim.LBFGS, CG and Powell (full-batch, on the flat parameters)
-- PCA(x, k): exact PCA in the core (covariance by BLIS, LAPACK eigensolver).
ae.pca = require "aelab.pca"
ae.PCA = ae.pca.fit
-- Sound: files, resampling, STFT, measures (aelab/audio.lua over core/audio.h).
ae.audio = require "aelab.audio"
ae.linalg = require "aelab.linalg"
ae.json = require "aelab.json"
ae.metrics = require "aelab.metrics" -- binary_accuracy (Keras' `accuracy` on pixels)
-- Noise, schedules and penalties.
local regularize = require "aelab.regularize"
ae.noise, ae.schedule, ae.penalty = regularize.noise, regularize.schedule, regularize.penalty

-- Data
ae.data = require "aelab.datasets"
ae.file_exists = ae.data.file_exists

-- Text
local format = require "aelab.format"
ae.commas, ae.median = format.commas, format.median
ae.help = require "aelab.help"
ae.pretty = require("aelab.pretty").format -- a value as text: tables nested and shortened (what the REPL prints)

-- Plots, lessons, sweeps and images (ae.image) load on first use (gnuplot is optional).
local lazy = { plot = "plots.gnuplot", Lesson = "aelab.lesson", sweep = "aelab.sweep", image = "aelab.images" }
setmetatable(ae, {
  __index = function(t, k)
    if lazy[k] then
      local m = require(lazy[k])
      rawset(t, k, m)
      return m
    end
  end,
})

return ae
