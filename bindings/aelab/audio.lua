-- ae.audio: sound as tensors. Files through libsndfile, resampling through
-- libsoxr, the STFT on FFTW, measures in C (core/audio.h); this file gives
-- them options tables and defaults.
--
--   x, info = ae.audio.read(path, {rate = 8000, mono = true})   -- x [N] (mono) or [N×C]
--       info: {frames=, rate=} of x, {file_frames=, file_rate=} as stored, channels=, format=, encoding=
--   ae.audio.write(path, x, {rate = 8000, encoding = "pcm16"})  -- .wav/.flac/.ogg by the name
--   ae.audio.info(path)            → {frames=, rate=, channels=, format=, encoding=}
--   ae.audio.resample(x, from, to) → x at the new rate
--   S = ae.audio.stft(x, {n_fft = 256, hop = 64, window = "hann"})
--       → {mag = [T×F], phase = [T×F], n_fft=, hop=, window=, length = N}
--   ae.audio.istft(S) or ae.audio.istft(mag, S)   → [N] (a new magnitude, S's phase)
--   ae.audio.frames(x, {size =, hop =}) → [T×size];  ae.audio.overlap_add(frames, {hop =, length =})
--   ae.audio.context(frames, k) → [T×(2k+1)F]: each frame with k neighbours each side
--   ae.audio.snr(clean, est), .segsnr(clean, est, {frame = 256}), .sisdr(clean, est) → dB
--
-- A file problem (missing, not audio, truncated, unwritable) returns nil and
-- a message naming the file; a bad argument raises.
local C = require "aelab.audiocore"
local T = require "aelab.tensor"
local check = require("aelab.optcheck").check

local A = {}

local function tensor_arg(who, v, what, level)
  if not T.is_tensor(v) then
    error(string.format("%s: %s must be a tensor, got %s", who, what, type(v)), level + 1)
  end
  return v
end

local function positive_int(who, key, v, level)
  if v ~= nil and (math.type(v) ~= "integer" or v < 1) then
    error(string.format("%s: %s must be a positive integer, got %s", who, key, tostring(v)), level + 1)
  end
  return v
end

function A.info(path)
  if type(path) ~= "string" then error("ae.audio.info: path must be a string, got " .. type(path), 2) end
  return C.info(path)
end

-- read(path, {rate = Hz (default: the file's), mono = true (default)})
function A.read(path, o)
  o = check("ae.audio.read", o, { "mono", "rate" }, 2) or {}
  if type(path) ~= "string" then error("ae.audio.read: path must be a string, got " .. type(path), 2) end
  positive_int("ae.audio.read", "rate", o.rate, 2)
  local mono = o.mono
  if mono == nil then mono = true end
  local x, info = C.read(path, o.rate or 0, mono)
  if not x then return nil, info end
  -- info describes x (its rate and frames); file_rate and file_frames, the file
  info.file_rate, info.file_frames = info.rate, info.frames
  info.rate, info.frames = o.rate or info.rate, x:size(1)
  return x, info
end

-- write(path, x, {rate = Hz (required), encoding = "pcm16"|"pcm24"|"float"|"vorbis"})
function A.write(path, x, o)
  o = check("ae.audio.write", o, { "encoding", "rate" }, 2) or {}
  if type(path) ~= "string" then error("ae.audio.write: path must be a string, got " .. type(path), 2) end
  tensor_arg("ae.audio.write", x, "the samples", 2)
  if o.rate == nil then error("ae.audio.write: needs {rate = samples per second}", 2) end
  positive_int("ae.audio.write", "rate", o.rate, 2)
  return C.write(path, x, o.rate, o.encoding)
end

function A.resample(x, from, to)
  tensor_arg("ae.audio.resample", x, "the samples", 2)
  if type(from) ~= "number" or type(to) ~= "number" then
    error("ae.audio.resample(x, from, to): the two rates must be numbers", 2)
  end
  if from == to then return x:clone() end
  return C.resample(x, from, to)
end

local STFT_KEYS = { "hop", "n_fft", "window" }
local function stft_opts(who, o, level)
  o = check(who, o, STFT_KEYS, level + 1) or {}
  local n_fft = positive_int(who, "n_fft", o.n_fft, level + 1) or 256
  local hop = positive_int(who, "hop", o.hop, level + 1) or n_fft // 4
  local window = o.window or "hann"
  if window ~= "hann" and window ~= "hamming" and window ~= "rect" then
    error(string.format("%s: window '%s' is not one of hann, hamming, rect", who, tostring(window)), level + 1)
  end
  return n_fft, hop, window
end

-- stft(x [N], {n_fft = 256, hop = n_fft/4, window = "hann"}) → S
function A.stft(x, o)
  tensor_arg("ae.audio.stft", x, "the signal", 2)
  local n_fft, hop, window = stft_opts("ae.audio.stft", o, 2)
  local mag, phase = C.stft(x, n_fft, hop, window)
  return { mag = mag, phase = phase, n_fft = n_fft, hop = hop, window = window, length = x:size(1) }
end

-- istft(S) or istft(mag, S): back to a signal of S.length samples.
function A.istft(a, b)
  local S, mag = a, nil
  if T.is_tensor(a) then S, mag = b, a end
  if type(S) ~= "table" or not T.is_tensor(S.phase) then
    error("ae.audio.istft: needs what ae.audio.stft returned (istft(S), or istft(magnitude, S))", 2)
  end
  for _, k in ipairs { "n_fft", "hop", "length" } do
    if math.type(S[k]) ~= "integer" then
      error(string.format("ae.audio.istft: S.%s is %s; S must be what ae.audio.stft returned (it keeps n_fft, hop, " ..
        "window and length beside the phase)", k, tostring(S[k])), 2)
    end
  end
  return C.istft(mag or S.mag, S.phase, S.n_fft, S.hop, S.window, S.length)
end

function A.frames(x, o)
  o = check("ae.audio.frames", o, { "hop", "size" }, 2) or {}
  tensor_arg("ae.audio.frames", x, "the signal", 2)
  local size = positive_int("ae.audio.frames", "size", o.size, 2) or 256
  return C.frames(x, size, positive_int("ae.audio.frames", "hop", o.hop, 2) or size)
end

function A.overlap_add(frames, o)
  o = check("ae.audio.overlap_add", o, { "hop", "length" }, 2) or {}
  tensor_arg("ae.audio.overlap_add", frames, "the frames", 2)
  local hop = positive_int("ae.audio.overlap_add", "hop", o.hop, 2) or frames:size(2)
  local length = positive_int("ae.audio.overlap_add", "length", o.length, 2) or
    (frames:size(1) - 1) * hop + frames:size(2)
  return C.overlap_add(frames, hop, length)
end

function A.context(frames, k)
  tensor_arg("ae.audio.context", frames, "the frames", 2)
  if math.type(k) ~= "integer" or k < 0 then
    error("ae.audio.context(frames, k): k, the frames on each side, must be an integer ≥ 0", 2)
  end
  return C.context(frames, k)
end

function A.snr(clean, est)
  return C.snr(tensor_arg("ae.audio.snr", clean, "the clean signal", 2), tensor_arg("ae.audio.snr", est, "the estimate", 2))
end

function A.sisdr(clean, est)
  return C.sisdr(tensor_arg("ae.audio.sisdr", clean, "the clean signal", 2),
    tensor_arg("ae.audio.sisdr", est, "the estimate", 2))
end

-- segsnr(clean, est, {frame = 256 samples})
function A.segsnr(clean, est, o)
  o = check("ae.audio.segsnr", o, { "frame" }, 2) or {}
  tensor_arg("ae.audio.segsnr", clean, "the clean signal", 2)
  tensor_arg("ae.audio.segsnr", est, "the estimate", 2)
  return C.segsnr(clean, est, positive_int("ae.audio.segsnr", "frame", o.frame, 2) or 256)
end

return A
