-- Sound figures: spectrograms (time × frequency, a dB colour scale) and
-- waveforms, one panel per signal stacked top to bottom so that noisy,
-- cleaned and clean line up in time. Each takes a signal tensor or a list
-- of {label, signal} rows and an options table {out=, title=, terminal=,
-- size=, rate=, ...}; returns the output path, or nil and a reason.
local ae = require "aelab"
local E = require "plots.engine"

local Au = {}
local own, common, quote = E.own, E.common, E.quote

local check = require("aelab.optcheck").check
local with_common = E.with_common
local KEYS = {
  spectrogram = with_common { "hop", "n_fft", "range", "rate", "window", "xlabel" },
  waveform = with_common { "rate", "xlabel" },
}

-- A signal or a list of {label, signal}: the rows, each checked.
local function rows_of(who, x, level)
  local rows = ae.is_tensor(x) and { { "", x } } or x
  if type(rows) ~= "table" or #rows == 0 then
    error(who .. ": needs a signal tensor [N] or a list of {label, signal}", level + 1)
  end
  for i, r in ipairs(rows) do
    if type(r) ~= "table" or not ae.is_tensor(r[2]) or r[2]:dim() ~= 1 then
      error(string.format("%s: row %d must be {label, signal [N]}", who, i), level + 1)
    end
  end
  return rows
end

-- spectrogram(x or {{label, x}, ...}, {rate = 8000, n_fft = 256, hop = n_fft/4,
-- window = "hann", range = 80, xlabel = "seconds"}): |STFT| in dB relative to the loudest bin of
-- all panels, `range` dB of it shown (quieter is the bottom of the scale).
function Au.spectrogram(x, o)
  o = own(check("ae.plot.spectrogram", o, KEYS.spectrogram, 2))
  local rows = rows_of("ae.plot.spectrogram", x, 2)
  local rate, n_fft = o.rate or 8000, o.n_fft or 256
  local hop, range = o.hop or n_fft // 4, o.range or 80
  for k, v in pairs { rate = rate, range = range } do
    if type(v) ~= "number" or not (v > 0) then
      error(string.format("ae.plot.spectrogram: %s must be a positive number, got %s", k, tostring(v)), 2)
    end
  end
  local mats, top = {}, -math.huge
  for i, r in ipairs(rows) do
    local S = ae.audio.stft(r[2], { n_fft = n_fft, hop = hop, window = o.window })
    local db = (S.mag + 1e-9):log() * (20 / math.log(10)) -- [T×F]
    top = math.max(top, db:max())
    mats[i] = db
  end
  local n = #rows
  o.size = o.size or { 900, 60 + 210 * n }
  local fig = E.figure(o, "picture")
  common(fig, o)
  fig:cmd("set multiplot layout %d,1 %s", n, o.title and ("title " .. quote(o.title) .. " noenhanced") or "")
  fig:cmd("unset title") -- the title is the multiplot's, above all panels
  fig:cmd("set palette defined (0 '#000004', 1 '#3b0f70', 2 '#8c2981', 3 '#de4968', 4 '#fe9f6d', 5 '#fcfdbf')")
  fig:cmd("set cbrange [%g:0]; set cblabel 'dB'", -range)
  fig:cmd("set ylabel 'kHz'; set tics out nomirror; unset key")
  fig:cmd("set lmargin 9; set rmargin 12")
  for i, r in ipairs(rows) do
    local db = mats[i]:clamp(top - range, top) - top -- [T×F], 0 dB = the loudest bin
    local T, F = db:size(1), db:size(2)
    fig:cmd("set xrange [0:%g]; set yrange [0:%g]", (T - 1) * hop / rate, rate / 2000)
    fig:cmd("set xlabel %s", i == n and quote(o.xlabel or "seconds") or "''")
    fig:cmd("set label 1 %s at graph 0.01, graph 0.92 left front noenhanced tc rgb 'white' font ',11'", quote(r[1]))
    local src = fig:binary(db:t():tobytes()) -- [F×T]: time along x, frequency up
    fig:cmd("plot %s binary array=(%d,%d) format='%%float' dx=%g dy=%g with image notitle", src, T, F, hop / rate,
      rate / n_fft / 1000)
  end
  fig:cmd("unset multiplot")
  return fig:render()
end

-- waveform(x or {{label, x}, ...}, {rate = 8000, xlabel = "seconds"}): the samples against time,
-- drawn as each pixel column's min–max band (a few seconds are 10^4–10^5
-- samples; the band is what a screen shows of them anyway).
function Au.waveform(x, o)
  o = own(check("ae.plot.waveform", o, KEYS.waveform, 2))
  local rows = rows_of("ae.plot.waveform", x, 2)
  local rate = o.rate or 8000
  if type(rate) ~= "number" or not (rate > 0) then
    error("ae.plot.waveform: rate must be a positive number of samples per second, got " .. tostring(rate), 2)
  end
  local n = #rows
  o.size = o.size or { 900, 60 + 150 * n }
  local peak = 0
  for _, r in ipairs(rows) do peak = math.max(peak, r[2]:abs():max()) end
  peak = peak > 0 and peak * 1.05 or 1
  local fig = E.figure(o)
  common(fig, o)
  fig:cmd("set multiplot layout %d,1 %s", n, o.title and ("title " .. quote(o.title) .. " noenhanced") or "")
  fig:cmd("unset title") -- the title is the multiplot's, above all panels
  fig:cmd("set tics out nomirror; unset key; set grid xtics")
  -- three y tics: −step, 0, step with step a round number below the peak
  local step = 10 ^ math.floor(math.log(peak, 10))
  while step * 2 < peak * 0.9 do step = step * 2 end
  fig:cmd("set ytics %g", step)
  fig:cmd("set lmargin 9; set rmargin 3")
  for i, r in ipairs(rows) do
    local s = r[2]:totable()
    local N = #s
    local per = math.max(1, N // 1200)
    local lines = {}
    for b = 1, N, per do
      local lo, hi = math.huge, -math.huge
      for k = b, math.min(N, b + per - 1) do lo, hi = math.min(lo, s[k]), math.max(hi, s[k]) end
      lines[#lines + 1] = string.format("%.5f %.6g %.6g", (b - 1) / rate, lo, hi)
    end
    fig:block("w" .. i, lines)
    fig:cmd("set xrange [0:%g]; set yrange [%g:%g]", (N - 1) / rate, -peak, peak)
    fig:cmd("set xlabel %s", i == n and quote(o.xlabel or "seconds") or "''")
    fig:cmd("set label 1 %s at graph 0.01, graph 0.88 left front noenhanced font ',11'", quote(r[1]))
    fig:cmd("plot $w%d using 1:2:3 with filledcurves lc rgb '%s' notitle", i, E.colors[(i - 1) % #E.colors + 1])
  end
  fig:cmd("unset multiplot")
  return fig:render()
end

return Au
