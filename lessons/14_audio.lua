-- Lesson 14 — a denoising autoencoder for speech.
--
-- Question: lesson 05's denoising autoencoder learned to give back clean
-- images from noisy ones. Does the same idea clean speech? The network sees
-- the log-magnitude spectrum of a few noisy frames around a moment (the
-- context) and gives, for the middle frame, how much of each frequency bin
-- to keep (a gain in [0, 1]); that gain times the noisy spectrum, with the
-- noisy phase, is turned back into sound by the inverse STFT. It is trained
-- on synthetic voices only (espeak-ng speaking Spanish, Portuguese and
-- English) mixed with white, pink, brown and babble noise at 0, 5 and 10 dB,
-- and tested on held-out synthetic sentences and on real human recordings,
-- against two methods people use: spectral subtraction and sox's noisered;
-- and, for comparison, the same network on raw waveform frames.
--
--   ./aelab lessons/14_audio.lua [epochs]   (default 8 epochs; a few minutes)
--   ./aelab --quick lessons/14_audio.lua     (a small set, 2 epochs; seconds)
local ae = require "aelab"
local sys = require "aelab.sys"
-- Messages in the chosen language (README "Languages"): T translates, F
-- translates and formats (decimal comma in es and pt); fmt and num format
-- numbers only.
local T, F = ae.i18n.T, ae.i18n.F
local fmt, num = ae.i18n.fmt, ae.i18n.num

local L = ae.Lesson.new {
  name = "14_audio",
  title = T"Lesson 14 — a denoising autoencoder for speech (spectral frames, libsndfile + FFTW)",
  question = T("Trained on synthetic voices in noise, does a denoising autoencoder on spectral frames clean\n" ..
    "real human speech? By how much does it raise SI-SDR and segmental SNR at 0, 5 and 10 dB input SNR,\n" ..
    "against spectral subtraction and sox's noisered given a noise profile?"),
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 2 or 8)
local RATE, N_FFT, HOP, CONTEXT = 8000, 256, 128, 3 -- 32 ms frames, 16 ms hop, 3 frames each side
local BINS = N_FFT // 2 + 1
local SNRS = { 0, 5, 10 }
local KINDS = { "white", "pink", "brown", "babble" } -- keys, in file names too
local KIND_NAME = { white = T"white", pink = T"pink", brown = T"brown", babble = T"babble" }
local METHODS = { { key = "dae", name = T"spectral DAE" }, { key = "wave", name = T"waveform DAE" },
  { key = "specsub", name = T"spectral subtraction" }, { key = "sox", name = T"sox noisered" } }
local WF, WC = 256, 128 -- the waveform DAE: 256 samples out, 128 more each side in (64 ms in all)
local SS_ALPHA, SS_FLOOR = 2, 0.01 -- over-subtraction and spectral floor (on power)
local SOX_AMOUNT = "0.21"          -- noisered's default amount
local PROFILE_SECONDS = 1          -- the noise-only clip each baseline is given
local LISTEN_SNR = 5               -- the input SNR of the WAV files written for listening

math.randomseed(ae.options.seed)
ae.seed(ae.options.seed)

L:say(T"Speech: espeak-ng voices (es, pt, en) for training and testing, real recordings for testing only.")
local t_data = ae.clock()
local data, err = ae.data.speech { quick = quick }
if not data then error(err, 0) end
local data_seconds = ae.clock() - t_data
L:say(T"  %d training and %d test utterances of synthetic speech, %d real recordings (%d Hz), in %.1f s",
  #data.train, #data.test, #data.real, data.rate, data_seconds)
L:say(T"  (cached in %s)", data.dir)

local function rms(x) return math.sqrt((x * x):sum() / x:numel()) end

-- noisy = clean + noise·g, a random stretch of `noise` with g set for the
-- SNR; also a further stretch of the same noise at the same gain: the
-- noise-only clip the baselines get as their noise profile. The clean
-- signal is cut to fit when the noise is shorter.
local function mix(clean, noise, snr)
  local clip = PROFILE_SECONDS * RATE
  local n = math.min(clean:size(1), noise:size(1) - clip - 1)
  clean = clean:narrow(1, 1, n)
  local off = math.random(0, noise:size(1) - n - clip)
  local seg = noise:narrow(1, off + 1, n)
  local g = math.sqrt((clean * clean):sum() / ((seg * seg):sum() * 10 ^ (snr / 10)))
  local profile = noise:narrow(1, off + n + 1, clip) * g
  return clean + seg * g, clean, profile
end

-- The network's input for a signal: the STFT of the signal brought to a
-- fixed level (RMS 0.05: real recordings come at any level), log-magnitudes,
-- each frame with its CONTEXT neighbours. Returns the STFT of the signal as
-- it was (for resynthesis) and the input [T×(2·CONTEXT+1)·F].
local function features(noisy)
  local S = ae.audio.stft(noisy, { n_fft = N_FFT, hop = HOP })
  local scale = 0.05 / math.max(rms(noisy), 1e-8)
  local logmag = (S.mag * scale + 1e-4):log()
  return S, ae.audio.context(logmag, CONTEXT)
end

-- The target gain of each bin: |clean| / |noisy|, at most 1.
local function target_gain(S_noisy, clean)
  local C = ae.audio.stft(clean, { n_fft = N_FFT, hop = HOP })
  return (C.mag / (S_noisy.mag + 1e-8)):clamp(0, 1)
end

-- The utterances' input and target rows, one above the other: [rows×·] each.
local function stack(ins, outs, rows)
  local X, Y = ae.zeros(rows, ins[1]:size(2)), ae.zeros(rows, outs[1]:size(2))
  local row = 1
  for i = 1, #ins do
    local n = ins[i]:size(1)
    X:narrow(1, row, n):copy(ins[i])
    Y:narrow(1, row, n):copy(outs[i])
    row = row + n
  end
  return X, Y
end

---------------------------------------------------------------------------
-- Training set: each training utterance once, in a noise kind by turn and
-- an SNR drawn from {0, 5, 10} dB, mixed with the training noise.
---------------------------------------------------------------------------
local t_train0 = ae.clock()
local ins, outs, frames = {}, {}, 0
local mixtures = {} -- kept for the waveform DAE below: the same noisy and clean pairs
for i, u in ipairs(data.train) do
  local kind = KINDS[(i - 1) % #KINDS + 1]
  local noisy, clean = mix(u.x, data.noise.train[kind], SNRS[math.random(#SNRS)])
  mixtures[i] = { noisy = noisy, clean = clean }
  local S, x = features(noisy)
  ins[i], outs[i] = x, target_gain(S, clean)
  frames = frames + x:size(1)
end
local D = ins[1]:size(2)
local X, Y = stack(ins, outs, frames)
ins, outs = nil, nil
-- each input column to mean 0, standard deviation 1 (statistics of the training set)
local mean = X:mean(1)
local centred = X - mean
local std = ((centred * centred):mean(1) + 1e-6):sqrt()
X = centred / std
centred = nil
collectgarbage()
-- the last tenth of the frames (whole utterances, shuffled later) for validation
local nval = frames // 10
local Xtr, Ytr = X:narrow(1, 1, frames - nval), Y:narrow(1, 1, frames - nval)
local Xval, Yval = X:narrow(1, frames - nval + 1, nval), Y:narrow(1, frames - nval + 1, nval)
L:say(T"\nTraining frames: %s (%d utterances; %s kept for validation), input %d = %d frames × %d bins, output %d gains",
  ae.i18n.int(frames - nval), #data.train, ae.i18n.int(nval), D, 2 * CONTEXT + 1, BINS, BINS)

local HIDDEN, CODE = quick and 256 or 512, quick and 128 or 256
local net = ae.Autoencoder {
  encoder = { ae.Dense(D, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, CODE), ae.ReLU() },
  decoder = { ae.Dense(CODE, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, BINS), ae.Sigmoid() },
}
net:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 1e-3 } }
L:say(T"  the model: %d → %d → %d (code) → %d → %d gains, %s parameters; MSE on the gains, Adam, %d epochs",
  D, HIDDEN, CODE, HIDDEN, BINS, ae.i18n.int(net:param_count()), epochs)
local history = net:fit(Xtr, { target = Ytr, epochs = epochs, batch = 256, validation = { x = Xval, target = Yval },
  verbose = false, on_epoch = function(e, h)
    L:say(T"    epoch %2d: gain MSE train %.4f, validation %.4f", e, h.loss[e], h.val_loss[e])
  end })
local train_seconds = ae.clock() - t_train0
L:save_model(net, "speech DAE", METHODS[1].name)
X, Y, Xtr, Ytr, Xval, Yval = nil, nil, nil, nil, nil, nil
collectgarbage()

---------------------------------------------------------------------------
-- The same idea on raw samples: a denoising autoencoder on waveform frames.
-- In: 512 noisy samples (the signal scaled to RMS 1); out: the clean middle
-- 256; frames every 128 samples, the overlapping outputs averaged.
---------------------------------------------------------------------------
local t_wave0 = ae.clock()
local function wave_in(noisy)
  local scale = 1 / math.max(rms(noisy), 1e-8)
  return ae.audio.frames(noisy * scale, { size = WF + 2 * WC, hop = WF // 2 }), scale
end
local function wave_target(clean, scale, nframes)
  local body = (clean * scale):narrow(1, WC + 1, clean:size(1) - WC)
  return ae.audio.frames(body, { size = WF, hop = WF // 2 }):narrow(1, 1, nframes)
end
local wins, wouts, wframes = {}, {}, 0
for i, m in ipairs(mixtures) do
  local x, scale = wave_in(m.noisy)
  wins[i], wouts[i] = x, wave_target(m.clean, scale, x:size(1))
  wframes = wframes + x:size(1)
end
mixtures = nil
local WX, WY = stack(wins, wouts, wframes)
wins, wouts = nil, nil
local wval = wframes // 10
local wave_net = ae.Autoencoder {
  encoder = { ae.Dense(WF + 2 * WC, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, CODE), ae.ReLU() },
  decoder = { ae.Dense(CODE, HIDDEN), ae.ReLU(), ae.Dense(HIDDEN, WF) },
}
wave_net:compile { loss = "mse", optimizer = ae.optim.Adam { lr = 1e-3 } }
L:say(T("\nThe waveform DAE: %d noisy samples → %d → %d → %d → %d clean samples (linear), %s parameters, " ..
  "%s frames, %d epochs"), WF + 2 * WC, HIDDEN, CODE, HIDDEN, WF, ae.i18n.int(wave_net:param_count()),
  ae.i18n.int(wframes - wval), epochs)
local wave_history = wave_net:fit(WX:narrow(1, 1, wframes - wval), { target = WY:narrow(1, 1, wframes - wval),
  epochs = epochs, batch = 256, verbose = false,
  validation = { x = WX:narrow(1, wframes - wval + 1, wval), target = WY:narrow(1, wframes - wval + 1, wval) },
  on_epoch = function(e, h)
    if e == epochs or e % 4 == 0 then
      L:say(T"    epoch %2d: sample MSE train %.4f, validation %.4f (the noisy input's mean square is 1)",
        e, h.loss[e], h.val_loss[e])
    end
  end })
local wave_seconds = ae.clock() - t_wave0
L:save_model(wave_net, "waveform DAE", METHODS[2].name)
WX, WY = nil, nil
collectgarbage()

local function wave_clean(noisy)
  local x, scale = wave_in(noisy)
  local y = wave_net:forward(x)
  local nframes = y:size(1)
  local body = ae.audio.overlap_add(y, { hop = WF // 2, length = (nframes - 1) * (WF // 2) + WF })
  local out = ae.zeros(noisy:size(1))
  local n = math.min(body:size(1), noisy:size(1) - WC)
  out:narrow(1, WC + 1, n):copy(body:narrow(1, 1, n))
  return out / scale
end

---------------------------------------------------------------------------
-- The three ways to clean a noisy signal.
---------------------------------------------------------------------------
local function dae_clean(noisy)
  local S, x = features(noisy)
  local gain = net:forward((x - mean) / std)
  return ae.audio.istft(S.mag * gain, S)
end

-- Power spectral subtraction (Berouti et al. 1979) over the same STFT:
-- |Ŝ|² = max(|X|² − α·N̂, β·|X|²), N̂ the noise clip's mean power per bin.
local function specsub_clean(noisy, profile)
  local S = ae.audio.stft(noisy, { n_fft = N_FFT, hop = HOP })
  local P = ae.audio.stft(profile, { n_fft = N_FFT, hop = HOP })
  local noise_power = (P.mag * P.mag):mean(1)            -- [1×F]
  local snr = (S.mag * S.mag + 1e-12) / (noise_power + 1e-12) -- |X|² / N̂ per bin, [T×F]
  local gain = (1 - SS_ALPHA / snr):clamp(SS_FLOOR, 1):sqrt()
  return ae.audio.istft(S.mag * gain, S)
end

-- sox: `sox clip.wav -n noiseprof prof` then `sox noisy.wav out.wav
-- noisered prof 0.21`, started from argument vectors (no shell); float
-- WAVs so that no 16-bit rounding enters the comparison.
local scratch = L:path(".sox")
assert(sys.mkdir(scratch))
local sox_ok = sys.which("sox") ~= nil
local sox_short = 0 -- the most samples sox's noisered gave back fewer than it was given
local function run(argv)
  local p, why = sys.spawn(argv, { stdin = "inherit", stdout = "null", stderr = "capture" })
  if not p then return nil, why end
  local ok, _, code, text = p:close()
  if not ok then return nil, F("%s exited %s: %s", argv[1], tostring(code), text) end
  return true
end
-- a failing step takes the scratch folder with it, then stops the lesson
local function sox_step(what, ok, why)
  if ok then return ok end
  sys.remove_tree(scratch)
  error(string.format("%s: %s", what, tostring(why)), 0)
end
local function sox_clean(noisy, profile)
  local clip, prof, inp, out = scratch .. "/clip.wav", scratch .. "/noise.prof", scratch .. "/in.wav", scratch .. "/out.wav"
  sox_step(T"writing the noise clip", ae.audio.write(clip, profile, { rate = RATE, encoding = "float" }))
  sox_step(T"writing the noisy input", ae.audio.write(inp, noisy, { rate = RATE, encoding = "float" }))
  sox_step("sox noiseprof", run { "sox", clip, "-n", "noiseprof", prof })
  sox_step("sox noisered", run { "sox", inp, "-e", "floating-point", out, "noisered", prof, SOX_AMOUNT })
  local y = sox_step(T"reading sox's output", ae.audio.read(out))
  -- noisered drops the end of the signal that does not fill its last
  -- half window: those samples come back as zeros, and how many is reported
  if y:size(1) ~= noisy:size(1) then
    sox_short = math.max(sox_short, noisy:size(1) - y:size(1))
    local n = math.min(y:size(1), noisy:size(1))
    local z = ae.zeros(noisy:size(1))
    z:narrow(1, 1, n):copy(y:narrow(1, 1, n))
    y = z
  end
  return y
end

---------------------------------------------------------------------------
-- Testing: every test utterance at every SNR, its noise kind by turn, the
-- held-out test noise. Improvements are each method's dB minus the noisy
-- input's.
---------------------------------------------------------------------------
-- key: in metrics.json's keys; name: in the tables and figures
local sets = { { key = "synthetic", name = T"synthetic", list = data.test },
  { key = "real", name = T"real", list = data.real } }
local R = {} -- R[set][snr][method] = {sisdr = sum, segsnr = sum, n}; method "noisy" too
local by_kind = {} -- by_kind[kind][method] = sum of SI-SDR improvement, n
local listen = {}
-- which ones, each in its own noise: tag → noise kind
local LISTEN_TAGS = quick and { es = "white", asterisk = "white" } or
  { es = "pink", pt = "babble", en = "white", asterisk = "white", pocketsphinx = "brown" }
-- Cleaning one utterance is a few hundred frames: one thread does it faster
-- than two (waking the second costs more than it saves, on a busy machine
-- much more).
local threads = ae.threads()
ae.threads(1)
local t_test0 = ae.clock()
local time_used = { dae = 0, wave = 0, specsub = 0, sox = 0 }
for _, set in ipairs(sets) do
  R[set.key] = {}
  for _, snr in ipairs(SNRS) do
    local cell = {}
    R[set.key][snr] = cell
    for i, u in ipairs(set.list) do
      local kind = KINDS[(i - 1) % #KINDS + 1]
      local noisy, clean, profile = mix(u.x, data.noise.test[kind], snr)
      local out = { noisy = noisy }
      local t = ae.clock()
      out.dae = dae_clean(noisy)
      time_used.dae = time_used.dae + ae.clock() - t
      t = ae.clock()
      out.wave = wave_clean(noisy)
      time_used.wave = time_used.wave + ae.clock() - t
      t = ae.clock()
      out.specsub = specsub_clean(noisy, profile)
      time_used.specsub = time_used.specsub + ae.clock() - t
      if sox_ok then
        t = ae.clock()
        out.sox = sox_clean(noisy, profile)
        time_used.sox = time_used.sox + ae.clock() - t
      end
      local base_sdr, base_seg = ae.audio.sisdr(clean, noisy), ae.audio.segsnr(clean, noisy)
      for key, y in pairs(out) do
        local c = cell[key] or { sisdr = 0, segsnr = 0, n = 0, sisdr_abs = 0 }
        cell[key] = c
        local sdr, seg = ae.audio.sisdr(clean, y), ae.audio.segsnr(clean, y)
        c.sisdr, c.segsnr, c.n, c.sisdr_abs = c.sisdr + sdr - base_sdr, c.segsnr + seg - base_seg, c.n + 1, c.sisdr_abs + sdr
        if key ~= "noisy" then
          by_kind[kind] = by_kind[kind] or {}
          local b = by_kind[kind][key] or { sum = 0, n = 0 }
          by_kind[kind][key] = b
          b.sum, b.n = b.sum + sdr - base_sdr, b.n + 1
        end
      end
      -- a few to listen to: one per language and per real source, at LISTEN_SNR
      if snr == LISTEN_SNR then
        local tag = set.key == "synthetic" and u.lang or u.source
        local have = false
        for _, l in ipairs(listen) do if l.tag == tag then have = true end end
        if not have and LISTEN_TAGS[tag] == kind then
          listen[#listen + 1] = { tag = tag, set = set.key, kind = kind, clean = clean, out = out, u = u,
            sisdr = { noisy = base_sdr } }
          for key, y in pairs(out) do listen[#listen].sisdr[key] = ae.audio.sisdr(clean, y) end
        end
      end
    end
  end
end
local test_seconds = ae.clock() - t_test0
ae.threads(threads)
sys.remove_tree(scratch)

local function mean_of(c, field) return c and c[field] / c.n or 0 / 0 end
local methods = {}
for _, m in ipairs(METHODS) do if m.key ~= "sox" or sox_ok then methods[#methods + 1] = m end end
if not sox_ok then L:say(T"  note: sox is not installed, so its column is missing (apt-get install sox)") end

-- The table: input SNR × set × method.
local head = { T"| input SNR | test set | noisy SI-SDR (dB) |" }
local rule = { "|---:|---|---:|" }
for _, m in ipairs(methods) do
  head[#head + 1] = " " .. m.name .. ": ΔSI-SDR / ΔsegSNR |"
  rule[#rule + 1] = "---:|"
end
local rows = { table.concat(head), table.concat(rule) }
for _, snr in ipairs(SNRS) do
  for _, set in ipairs(sets) do
    local cell = R[set.key][snr]
    local line = { fmt("| %d dB | %s | %.1f |", snr, set.name, mean_of(cell.noisy, "sisdr_abs")) }
    for _, m in ipairs(methods) do
      local si, seg = mean_of(cell[m.key], "sisdr"), mean_of(cell[m.key], "segsnr")
      line[#line + 1] = fmt(" %+.1f / %+.1f |", si, seg)
      L:metric(string.format("%s_%ddb_%s_sisdr_gain", set.key, snr, m.key), si,
        set.key == "real" and F("real speech at %d dB: %s, SI-SDR improvement (dB)", snr, m.name) or
        F("synthetic speech at %d dB: %s, SI-SDR improvement (dB)", snr, m.name))
      L:metric(string.format("%s_%ddb_%s_segsnr_gain", set.key, snr, m.key), seg,
        set.key == "real" and F("real speech at %d dB: %s, segmental SNR improvement (dB)", snr, m.name) or
        F("synthetic speech at %d dB: %s, segmental SNR improvement (dB)", snr, m.name))
    end
    rows[#rows + 1] = table.concat(line)
  end
end
local table_md = table.concat(rows, "\n")
L:say(T"\nImprovement over the noisy input (mean over utterances, dB; SI-SDR / segmental SNR):\n%s", table_md)
L:section(T"Improvement over the noisy input",
  T("Mean over the test utterances, in dB: each method's SI-SDR and segmental SNR minus the noisy input's.") .. " " ..
  F("%d synthetic utterances (sentences never trained on) and %d real recordings, each at every " ..
    "input SNR, the noise kind (white, pink, brown, babble) taken by turn from held-out noise.", #data.test,
    #data.real) .. "\n\n" .. table_md)

-- by noise kind (both sets, every SNR)
local method_names = {}
for i, m in ipairs(methods) do method_names[i] = m.name end
local krows = { T"| noise |" .. " " .. table.concat(method_names, " | ") .. " |",
  "|---|" .. string.rep("---:|", #methods) }
for _, kind in ipairs(KINDS) do
  local line = { "| " .. KIND_NAME[kind] .. " |" }
  for _, m in ipairs(methods) do
    local b = by_kind[kind] and by_kind[kind][m.key]
    line[#line + 1] = fmt(" %+.1f |", b and b.sum / b.n or 0 / 0)
  end
  krows[#krows + 1] = table.concat(line)
end
L:section(T"SI-SDR improvement by noise kind (dB, both test sets, every SNR)", table.concat(krows, "\n"))
L:metric("train_frames", frames - nval, T"training frames")
L:metric("train_utterances", #data.train, T"training utterances (synthetic)")
L:metric("test_synthetic", #data.test, T"synthetic test utterances")
L:metric("test_real", #data.real, T"real test recordings")
L:metric("val_loss", history.val_loss[#history.val_loss], T"validation MSE of the gains")
L:metric("data_seconds", data_seconds, T"seconds to load (or on first use prepare) the speech and noise")
L:metric("train_seconds", train_seconds, T"seconds to build the training set and train the spectral DAE")
L:metric("wave_train_seconds", wave_seconds, T"seconds to build the frames and train the waveform DAE")
L:metric("test_seconds", test_seconds, T"seconds to clean and measure every test mixture with every method")
L:save()

---------------------------------------------------------------------------
-- Files to listen to and figures.
---------------------------------------------------------------------------
local listen_rows = { T("| file prefix | speech | noise | SI-SDR noisy → spectral DAE / waveform DAE / spectral " ..
  "subtraction / sox (dB) |"),
  "|---|---|---|---|" }
for _, l in ipairs(listen) do
  local prefix = string.format("%s_%s_%ddB", l.tag, l.kind, LISTEN_SNR)
  local wrote = {}
  local function wav(name, x)
    local file = prefix .. "_" .. name .. ".wav"
    local ok, why = ae.audio.write(L:path(file), x, { rate = RATE })
    if ok then wrote[#wrote + 1] = "`" .. file .. "`" else L:say(T"  could not write %s: %s", file, why) end
  end
  wav("noisy", l.out.noisy)
  wav("dae", l.out.dae)
  wav("wave", l.out.wave)
  wav("specsub", l.out.specsub)
  if l.out.sox then wav("sox", l.out.sox) end
  wav("clean", l.clean)
  local what = l.u.text and string.format("%s, espeak-ng %s+%s: \"%s\"", l.u.lang, l.u.voice, l.u.variant, l.u.text)
    or (l.u.file:match("[^/]+$") .. " (" .. l.u.source .. ")")
  listen_rows[#listen_rows + 1] = F("| `%s_*.wav` | %s | %s at %d dB | %.1f → %.1f / %.1f / %.1f / %s |",
    prefix, what, KIND_NAME[l.kind], LISTEN_SNR, l.sisdr.noisy, l.sisdr.dae, l.sisdr.wave, l.sisdr.specsub,
    l.sisdr.sox and num(l.sisdr.sox, "%.1f") or "—")
  L:say(T"  sound: %s/%s_{noisy,dae,wave,specsub,%sclean}.wav", L.final, prefix, l.out.sox and "sox," or "")
  local rows_spec = { { F("noisy (%s, %d dB)", KIND_NAME[l.kind], LISTEN_SNR), l.out.noisy },
    { METHODS[1].name, l.out.dae }, { METHODS[2].name, l.out.wave }, { METHODS[3].name, l.out.specsub } }
  if l.out.sox then rows_spec[#rows_spec + 1] = { METHODS[4].name, l.out.sox } end
  rows_spec[#rows_spec + 1] = { T"clean", l.clean }
  local fig = "spectrogram_" .. prefix .. ".png"
  L:figure(fig, F("Spectrograms of %s: noisy, cleaned four ways, clean (dB, one scale)", prefix),
    ae.plot.spectrogram(rows_spec, { out = L:path(fig), rate = RATE, n_fft = N_FFT, hop = N_FFT // 4,
      title = F("%s: before, after, clean", prefix), xlabel = T"seconds" }))
  local wf = "waveform_" .. prefix .. ".png"
  L:figure(wf, F("Waveforms of %s: noisy, cleaned by the two DAEs, clean", prefix),
    ae.plot.waveform({ { T"noisy", l.out.noisy }, { METHODS[1].name, l.out.dae }, { METHODS[2].name, l.out.wave },
      { T"clean", l.clean } },
      { out = L:path(wf), rate = RATE, title = F("%s: waveform before, after, clean", prefix), xlabel = T"seconds" }))
end
L:section(T"Files to listen to", T("Beside this report, for each: `_noisy`, `_dae` (the spectral DAE), `_wave` (the " ..
  "waveform DAE), `_specsub`, `_sox` and `_clean` WAV files (16-bit, 8 kHz).") .. "\n\n" ..
  table.concat(listen_rows, "\n"))

-- SI-SDR improvement against input SNR, one line per method and set
local series = {}
for _, set in ipairs(sets) do
  for _, m in ipairs(methods) do
    local y = {}
    for k, snr in ipairs(SNRS) do y[k] = mean_of(R[set.key][snr][m.key], "sisdr") end
    series[#series + 1] = { label = m.name .. ", " .. set.name, x = SNRS, y = y }
  end
end
L:figure("improvement.png", T"SI-SDR improvement against the input SNR, per method and test set",
  ae.plot.series(series, { out = L:path("improvement.png"), title = T"SI-SDR improvement over the noisy input",
    xlabel = T"input SNR (dB)", ylabel = T"ΔSI-SDR (dB)", key = "below", size = { 800, 620 } }))
L:figure("loss.png", T"The spectral DAE's training and validation MSE of the gains, per epoch",
  ae.plot.history(history, { out = L:path("loss.png"), title = T"spectral DAE: MSE of the predicted gains" }))
L:figure("wave_loss.png", T"The waveform DAE's training and validation MSE of the samples (signal at RMS 1), per epoch",
  ae.plot.history(wave_history, { out = L:path("wave_loss.png"), title = T"waveform DAE: MSE of the clean samples" }))

---------------------------------------------------------------------------
-- What the numbers say, from this run's numbers: each sentence a template,
-- its numbers and clauses from this run.
---------------------------------------------------------------------------
local function avg(set, key, field)
  local s, n = 0, 0
  for _, snr in ipairs(SNRS) do s, n = s + mean_of(R[set][snr][key], field), n + 1 end
  return s / n
end
local findings = {}
for _, set in ipairs(sets) do
  local parts, best, best_v = {}, nil, -math.huge
  for _, m in ipairs(methods) do
    local v = avg(set.key, m.key, "sisdr")
    parts[#parts + 1] = fmt("%s %+.1f dB", m.name, v)
    if v > best_v then best, best_v = m.name, v end
  end
  findings[#findings + 1] = set.key == "real" and
    F("- Real speech, SI-SDR improvement averaged over 0, 5 and 10 dB: %s; the best is %s.",
      table.concat(parts, ", "), best) or
    F("- Synthetic speech, SI-SDR improvement averaged over 0, 5 and 10 dB: %s; the best is %s.",
      table.concat(parts, ", "), best)
end
do
  local syn, real = avg("synthetic", "dae", "sisdr"), avg("real", "dae", "sisdr")
  local wsyn, wreal = avg("synthetic", "wave", "sisdr"), avg("real", "wave", "sisdr")
  findings[#findings + 1] = (syn + real) > (wsyn + wreal) and
    F("- Spectral frames against raw samples: the same network shape gains %+.1f dB (synthetic) and %+.1f dB " ..
      "(real) on log-spectral frames, %+.1f and %+.1f dB on waveform frames: the spectrum, where speech and noise " ..
      "sit in different bins, is the easier place to separate them.", syn, real, wsyn, wreal) or
    F("- Spectral frames against raw samples: the same network shape gains %+.1f dB (synthetic) and %+.1f dB " ..
      "(real) on log-spectral frames, %+.1f and %+.1f dB on waveform frames: here the raw samples did as well.",
      syn, real, wsyn, wreal)
  findings[#findings + 1] = real >= syn - 1 and
    F("- Generalization: the spectral DAE, trained on espeak-ng voices only, gains %+.1f dB on held-out synthetic " ..
      "sentences and %+.1f dB on real human speech: it carries over to real voices almost whole.", syn, real) or
    F("- Generalization: the spectral DAE, trained on espeak-ng voices only, gains %+.1f dB on held-out synthetic " ..
      "sentences and %+.1f dB on real human speech: %.1f dB of its gain is lost on real voices, which it has " ..
      "never heard.", syn, real, syn - real)
  local lo, hi = mean_of(R.real[SNRS[1]].dae, "sisdr"), mean_of(R.real[SNRS[#SNRS]].dae, "sisdr")
  findings[#findings + 1] = lo > hi and
    F("- Input SNR: on real speech the spectral DAE gains %+.1f dB at %d dB and %+.1f dB at %d dB: the noisier the " ..
      "input, the more there is to take away.", lo, SNRS[1], hi, SNRS[#SNRS]) or
    F("- Input SNR: on real speech the spectral DAE gains %+.1f dB at %d dB and %+.1f dB at %d dB: its gain does " ..
      "not shrink as the input gets cleaner.", lo, SNRS[1], hi, SNRS[#SNRS])
  local segd, segw, segs = avg("real", "dae", "segsnr"), avg("real", "wave", "segsnr"), avg("real", "specsub", "segsnr")
  findings[#findings + 1] = sox_ok and
    F("- Segmental SNR on real speech (frames of speech only, clamped to [-10, 35] dB): spectral DAE %+.1f dB, " ..
      "waveform DAE %+.1f dB, spectral subtraction %+.1f dB, sox %+.1f dB.", segd, segw, segs,
      avg("real", "sox", "segsnr")) or
    F("- Segmental SNR on real speech (frames of speech only, clamped to [-10, 35] dB): spectral DAE %+.1f dB, " ..
      "waveform DAE %+.1f dB, spectral subtraction %+.1f dB.", segd, segw, segs)
  local worst, wv = nil, math.huge
  for _, kind in ipairs(KINDS) do
    local b = by_kind[kind] and by_kind[kind].dae
    if b and b.sum / b.n < wv then worst, wv = kind, b.sum / b.n end
  end
  if worst then
    findings[#findings + 1] = worst == "babble" and
      F("- The hardest noise for the spectral DAE is babble (%+.1f dB SI-SDR on average): babble is speech itself, " ..
        "and a per-frame gain cannot tell one voice from another.", wv) or
      F("- The hardest noise for the spectral DAE is %s (%+.1f dB SI-SDR on average).", KIND_NAME[worst], wv)
  end
end
findings[#findings + 1] = F("- Time: data %.0f s (cached after the first run), training set and %d " ..
  "epochs %.0f s (of which the waveform DAE %.0f s), testing %.0f s (the spectral DAE %.1f s, the waveform DAE " ..
  "%.1f s, spectral subtraction %.1f s, sox %.1f s, for %d mixtures each).", data_seconds, epochs,
  train_seconds + wave_seconds, wave_seconds, test_seconds, time_used.dae, time_used.wave, time_used.specsub,
  time_used.sox, (#data.test + #data.real) * #SNRS)
L:say(T"\nWhat the numbers say:\n%s", table.concat(findings, "\n"))

L:section(T"How it was run", table.concat({
  F("- Signals at %d Hz (the asterisk prompts' rate; the pocketsphinx recordings and espeak-ng's " ..
    "22,050 Hz output resampled with libsoxr). STFT: %d-point Hann window, hop %d (FFTW).", RATE, N_FFT, HOP),
  F("- Network input: log-magnitude of %d frames (the frame and %d each side), each column standardized " ..
    "on the training set; output: %d gains in [0, 1] (sigmoid), trained with MSE against min(|clean| / |noisy|, 1). " ..
    "The noisy signal is brought to one level before the features, so the input does not depend on loudness.",
    2 * CONTEXT + 1, CONTEXT, BINS),
  F("- Spectral subtraction: |Ŝ|² = max(|X|² − %g·N̂, %g·|X|²), N̂ the mean power per bin of a " ..
    "%d-second noise-only clip; sox: `noiseprof` on the same clip, then `noisered` with amount %s. Both baselines " ..
    "are given that clip (the same noise kind, level and recording, a different stretch); the DAE gets nothing " ..
    "but the noisy signal.", SS_ALPHA, SS_FLOOR, PROFILE_SECONDS, SOX_AMOUNT) .. (sox_short > 0 and
      " " .. F("sox's noisered gives back up to %d samples (%.0f ms) fewer than it is given (the end that " ..
        "does not fill its last half window): they are taken as silence.", sox_short, 1000 * sox_short / RATE) or ""),
  T("- SI-SDR: scale-invariant signal-to-distortion ratio (Le Roux et al. 2019), zero-mean signals. Segmental SNR: " ..
    "32 ms frames, each clamped to [-10, 35] dB, frames 40 dB below the loudest clean frame left out."),
  T("- Data: espeak-ng (GPL-3+) speech in es, pt and en voices, with voice variant, speed (130–190 words/min) and " ..
    "pitch (25–75) drawn per utterance; test sentences are never in training. Real speech, tested only: " ..
    "asterisk-core-sounds-en-wav (Allison Smith, CC-BY-SA-3.0), pocketsphinx-testdata (CMU Sphinx test " ..
    "recordings, BSD-2; its LibriVox readings are public domain). Noise: white, pink (Kellet's filter), brown " ..
    "and babble (six utterances summed), training and test noise drawn separately."),
  F("- The waveform DAE: the same layer sizes on %d raw samples (the noisy signal scaled to RMS 1) in, " ..
    "the clean middle %d out (linear), frames every %d samples, overlapping outputs averaged (ae.audio.frames and " ..
    "overlap_add); the first %d samples of each output are left at zero.", WF + 2 * WC, WF, WF // 2, WC),
}, "\n"))
L:section(T"What the figures show", table.concat({
  T("- `spectrogram_*.png`: time across, frequency up (0 to 4 kHz), colour the level in dB below the loudest bin " ..
    "of the panels: noisy, the spectral DAE's output, the waveform DAE's, spectral subtraction's, sox's, and the " ..
    "clean speech. Look for the harmonics (the horizontal ladders of voiced sounds) surviving, and for what is " ..
    "left between words, where the clean panel is dark."),
  T"- `waveform_*.png`: the same utterance as samples against time: noisy, the two DAEs' outputs, clean, on one scale.",
  T"- `improvement.png`: the table's SI-SDR column as lines, one per method and test set.",
  T("- `loss.png`, `wave_loss.png`: the MSE of the predicted gains (samples) by epoch; where validation stops " ..
    "falling, more epochs only fit the training voices."),
}, "\n"))
L:section(T"What the numbers say", table.concat(findings, "\n"))
L:metric("epochs", epochs, T"epochs")
L:metric("cpu_seconds", os.clock(), T"CPU seconds of the whole process, all threads (sox's own not counted)")
L:finish()
