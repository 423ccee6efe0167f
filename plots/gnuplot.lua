-- Figures through a gnuplot pipe: ae.plot. One function per kind of figure;
-- each takes tensors and an options table {out=, title=, terminal=, size={w,h}}
-- and returns the output path (nil and a reason when figures are skipped).
-- Beside every figure go its .gp script and data, so it can be restyled by
-- hand: `gnuplot figure.gp`. The work is in three files, by kind:
--   engine.lua   gnuplot itself: the pipe, escaping, the .gp and data files;
--                figures without a file shown in the terminal (chafa: show)
--   images.lua   images, image_rows, reconstructions, samples, manifold, interpolation
--                (and mosaic, stretch_rows, symmetric_rows)
--   charts.lua   history, latent, compare, series, histogram
--                (and principal_axes, to2d)
--   audio.lua    spectrogram, waveform (sound: lesson 14)
--   normal.lua   the normal quantile Φ⁻¹ behind manifold's Gaussian grid
local E = require "plots.engine"

local P = {
  colors = E.colors,
  available = E.available,
  _set_available = E._set_available, -- tests pretend gnuplot is missing
  figure = E.figure,
  show = E.show, -- show(path): a PNG or JPEG drawn in the terminal (chafa)
  quote = E.quote,
  normal_quantile = require("plots.normal").quantile,
}
local images, charts, audio = require "plots.images", require "plots.charts", require "plots.audio"
for _, part in ipairs { images, charts, audio } do
  for k, v in pairs(part) do P[k] = v end
end

return P
