-- ae.audio: sound files (libsndfile), resampling (libsoxr), STFT (FFTW),
-- measures (SNR, segmental SNR, SI-SDR), frames, and the errors for bad files.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"
local A = ae.audio

local STFT_TOL = 1e-5

TestAudio = {}

function TestAudio:setUp()
  self.dir = H.tmpdir()
  H.seed(H.SEED)
end
function TestAudio:tearDown() H.rmdir(self.dir) end

-- A tensor of n samples on the 16-bit grid (k/32768), in [-1, 1).
local function pcm16_signal(n, channels)
  local x = ae.rand(n, channels or 1) * 2 - 1
  local t = x:totable()
  for i = 1, n do
    for c = 1, channels or 1 do t[i][c] = math.floor(t[i][c] * 32767) / 32768 end
  end
  local y = ae.tensor(t)
  if not channels or channels == 1 then y = y:reshape(n) end
  return y
end

local function sine(n, rate, hz, amp)
  local t = {}
  for i = 1, n do t[i] = (amp or 0.5) * math.sin(2 * math.pi * hz * (i - 1) / rate) end
  return ae.tensor(t)
end

function TestAudio:testWavRoundTrips16BitExactMonoAndStereoAtSeveralRates()
  for _, rate in ipairs { 8000, 16000, 22050, 44100 } do
    for _, ch in ipairs { 1, 2 } do
      local x = pcm16_signal(1000 + rate // 100, ch)
      local p = string.format("%s/x%d_%d.wav", self.dir, rate, ch)
      lu.assertTrue(A.write(p, x, { rate = rate }))
      local info = A.info(p)
      lu.assertEquals({ info.rate, info.channels, info.encoding, info.format, info.frames },
        { rate, ch, "pcm16", "WAV", x:size(1) })
      local y = A.read(p, { mono = false })
      lu.assertEquals(y:shape(), x:shape())
      lu.assertEquals((y - x):abs():max(), 0, "16-bit samples changed at " .. rate .. " Hz, " .. ch .. " channels")
      -- and the file written again from what was read is the same bytes
      local p2 = p .. ".again.wav"
      assert(A.write(p2, y, { rate = rate }))
      lu.assertEquals(H.read(p2), H.read(p))
    end
  end
end

function TestAudio:testFloatWavAndFlacAndPcm24RoundTrips()
  local x = ae.rand(3000, 2) * 1.8 - 0.9
  local pf = self.dir .. "/f.wav"
  assert(A.write(pf, x, { rate = 48000, encoding = "float" }))
  lu.assertEquals(A.info(pf).encoding, "float")
  lu.assertEquals((A.read(pf, { mono = false }) - x):abs():max(), 0, "float WAV is not bit-exact")
  local x16 = pcm16_signal(3000, 2)
  local pflac = self.dir .. "/x.flac"
  assert(A.write(pflac, x16, { rate = 16000 }))
  lu.assertEquals(A.info(pflac).format, "FLAC")
  lu.assertEquals((A.read(pflac, { mono = false }) - x16):abs():max(), 0, "16-bit FLAC is not lossless")
  local p24 = self.dir .. "/x24.wav"
  assert(A.write(p24, x, { rate = 16000, encoding = "pcm24" }))
  local y = A.read(p24, { mono = false })
  lu.assertTrue((y - x):abs():max() <= 0.5 / 8388608 + 1e-9, "24-bit WAV is off by more than half a step")
  -- Ogg Vorbis is lossy: it comes back close, not equal
  local pogg = self.dir .. "/x.ogg"
  local s = sine(16000, 16000, 440)
  assert(A.write(pogg, s, { rate = 16000 }))
  local back = A.read(pogg)
  lu.assertEquals(A.info(pogg).encoding, "vorbis")
  lu.assertTrue(A.snr(s, back:narrow(1, 1, s:size(1))) > 15, "Ogg Vorbis sine came back too far off")
end

function TestAudio:testMonoIsTheMeanOfTheChannels()
  local x = pcm16_signal(500, 2)
  local p = self.dir .. "/st.wav"
  assert(A.write(p, x, { rate = 8000 }))
  local m = A.read(p)
  lu.assertEquals(m:dim(), 1)
  local t = x:totable()
  for _, i in ipairs { 1, 77, 500 } do
    lu.assertAlmostEquals(m:get(i), (t[i][1] + t[i][2]) / 2, 1e-7)
  end
end

function TestAudio:testClippingNotWrapping()
  local x = ae.tensor { 1.5, -1.5, 0.25 }
  local p = self.dir .. "/clip.wav"
  assert(A.write(p, x, { rate = 8000 }))
  local y = A.read(p)
  lu.assertEquals(y:get(1), 32767 / 32768)
  lu.assertEquals(y:get(2), -1)
  lu.assertEquals(y:get(3), 0.25)
end

-- Count the sign changes of a signal: a sine of f Hz over d seconds has 2·f·d.
local function crossings(x)
  local n, prev = 0, x:get(1)
  for i = 2, x:size(1) do
    local v = x:get(i)
    if (prev < 0) ~= (v < 0) then n = n + 1 end
    prev = v
  end
  return n
end

function TestAudio:testResamplingKeepsASinesFrequency()
  local rate, hz = 16000, 440
  local x = sine(rate, rate, hz) -- one second
  for _, to in ipairs { 8000, 22050, 44100 } do
    local y = A.resample(x, rate, to)
    lu.assertTrue(math.abs(y:size(1) - to) <= 1, string.format("%d Hz → %d: %d samples", rate, to, y:size(1)))
    -- the same number of cycles per second: zero crossings in the middle half second
    local mid = y:narrow(1, to // 4 + 1, to // 2)
    lu.assertTrue(math.abs(crossings(mid) - hz) <= 2, string.format("%d crossings in 0.5 s at %d Hz, want %d",
      crossings(mid), to, hz))
    -- and its amplitude: the resampled sine against one drawn at the new rate
    local ref = sine(to, to, hz)
    local snr = A.snr(ref:narrow(1, to // 4 + 1, to // 2), mid)
    lu.assertTrue(snr > 30, string.format("resampled sine at %d Hz is %.1f dB from the true one", to, snr))
  end
  -- reading with a rate resamples on the way in
  local p = self.dir .. "/s.wav"
  assert(A.write(p, x, { rate = rate, encoding = "float" }))
  local y, info = A.read(p, { rate = 8000 })
  lu.assertEquals({ info.rate, info.file_rate, info.frames, info.file_frames }, { 8000, 16000, y:size(1), 16000 })
  lu.assertTrue(math.abs(y:size(1) - 8000) <= 1)
end

function TestAudio:testStftInverseReproducesTheSignal()
  local x = ae.randn(4000) * 0.3
  for _, c in ipairs { { 256, 64, "hann" }, { 512, 128, "hamming" }, { 256, 128, "hann" }, { 64, 32, "rect" } } do
    local S = A.stft(x, { n_fft = c[1], hop = c[2], window = c[3] })
    lu.assertEquals(S.mag:shape(), { 4000 // c[2] + 1, c[1] // 2 + 1 })
    local y = A.istft(S)
    local err = (y - x):abs():max()
    lu.assertTrue(err < STFT_TOL, string.format("stft %s: inverse is off by %g", table.concat(c, "/"), err))
  end
  -- a table with the phase but not the rest of S says what is missing
  local S = A.stft(x)
  H.error_containing(lu, "S.n_fft is nil", A.istft, S.mag, { phase = S.phase })
end

function TestAudio:testStftOfASineHasItsPeakInTheRightBin()
  local rate, n_fft = 8000, 256
  local x = sine(8000, rate, 1000) -- 1000 Hz = bin 1000/(8000/256) = 32 (0-based)
  local S = A.stft(x, { n_fft = n_fft })
  local row = S.mag:narrow(1, 10, 1):reshape(n_fft // 2 + 1)
  local best = 1
  for f = 2, n_fft // 2 + 1 do if row:get(f) > row:get(best) then best = f end end
  lu.assertEquals(best, 33) -- 1-based
  -- Hann window: amplitude 0.5 → peak 0.5 · n/2 · mean(window) = 0.5·128·0.5
  lu.assertAlmostEquals(row:get(33), 32, 0.05)
end

function TestAudio:testSnrAndSisdrHandCases()
  local ref = ae.tensor { 1, -1, 1, -1 }
  local est = ae.tensor { 1.5, -0.5, 1.5, -0.5 } -- error 0.5 everywhere: SNR 10 log10(4 / 1) = 6.02
  lu.assertAlmostEquals(A.snr(ref, est), 10 * math.log(4, 10), 1e-6)
  lu.assertEquals(A.snr(ref, ref), math.huge)
  -- SI-SDR: zero-mean, est = 0.5·ref + 0.5 (a constant) → after removing means: exactly 0.5·ref: +inf
  lu.assertTrue(A.sisdr(ref, est) > 100)
  -- ref (1,0,-1,0)... hand case: est = ref + n with n ⟂ ref, |n|² = |ref|²/4 → 6.02 dB
  local r = ae.tensor { 1, 0, -1, 0 }
  local e = ae.tensor { 1, 0.5, -1, -0.5 }
  lu.assertAlmostEquals(A.sisdr(r, e), 10 * math.log(2 / 0.5, 10), 1e-6)
  -- scale invariance: any positive gain leaves SI-SDR as it was; SNR changes
  local x = ae.randn(2000)
  local y = x + ae.randn(2000) * 0.3
  local s1 = A.sisdr(x, y)
  for _, g in ipairs { 0.01, 0.5, 3, 100 } do
    lu.assertAlmostEquals(A.sisdr(x, y * g), s1, 1e-3)
  end
  lu.assertTrue(math.abs(A.snr(x, y * 3) - A.snr(x, y)) > 5, "SNR should punish a gain")
  -- shapes must match
  H.error_containing(lu, "the same N", A.sisdr, ae.randn(10), ae.randn(11))
end

function TestAudio:testSegmentalSnr()
  -- two loud frames with known SNRs (20 dB and 0 dB → mean 10) and a silent frame skipped
  local n = 100
  local ref, est = {}, {}
  for i = 1, 3 * n do
    local s = (i <= 2 * n) and ((i % 2 == 0) and 1 or -1) or 0
    ref[i] = s
    if i <= n then est[i] = s * 1.1 elseif i <= 2 * n then est[i] = s * 2 else est[i] = 0.5 end
  end
  local v = A.segsnr(ae.tensor(ref), ae.tensor(est), { frame = n })
  lu.assertAlmostEquals(v, (20 + 0) / 2, 1e-4)
  -- clamped to [-10, 35]: a perfect estimate gives 35, a hopeless one -10
  lu.assertAlmostEquals(A.segsnr(ae.tensor(ref), ae.tensor(ref), { frame = n }), 35, 1e-9)
  lu.assertAlmostEquals(A.segsnr(ae.tensor(ref), ae.tensor(ref) * -100, { frame = n }), -10, 1e-9)
end

function TestAudio:testFramesAndContext()
  local x = ae.tensor { 1, 2, 3, 4, 5, 6, 7 }
  local f = A.frames(x, { size = 4, hop = 2 })
  lu.assertEquals(f:totable(), { { 1, 2, 3, 4 }, { 3, 4, 5, 6 }, { 5, 6, 7, 0 } })
  lu.assertEquals(A.overlap_add(f, { hop = 2, length = 7 }):totable(), { 1, 2, 3, 4, 5, 6, 7 })
  local c = A.context(ae.tensor { { 1, 10 }, { 2, 20 }, { 3, 30 } }, 1)
  lu.assertEquals(c:totable(), { { 1, 10, 1, 10, 2, 20 }, { 1, 10, 2, 20, 3, 30 }, { 2, 20, 3, 30, 3, 30 } })
  -- rows of (2k+1)·F values that an int cannot count are refused, not wrapped
  H.error_containing(lu, "too long for a tensor", A.context, ae.zeros(1, 20000000), 64)
end

function TestAudio:testBadFilesGiveClearErrors()
  local d = self.dir
  local ok, msg = A.read(d .. "/missing.wav")
  lu.assertNil(ok)
  lu.assertStrContains(msg, "missing.wav: No such file or directory")
  H.write_file(d .. "/text.wav", "this is a text file, no sound in it at all, just words and more words")
  ok, msg = A.read(d .. "/text.wav")
  lu.assertNil(ok)
  lu.assertStrContains(msg, "not a sound file")
  H.write_file(d .. "/empty.wav", "")
  ok, msg = A.read(d .. "/empty.wav")
  lu.assertNil(ok)
  lu.assertStrContains(msg, "empty")
  local x = pcm16_signal(4000)
  assert(A.write(d .. "/whole.wav", x, { rate = 8000 }))
  local bytes = H.read(d .. "/whole.wav")
  H.write_file(d .. "/cut.wav", bytes:sub(1, #bytes // 2))
  ok, msg = A.read(d .. "/cut.wav")
  lu.assertNil(ok)
  lu.assertStrContains(msg, "truncated")
  H.write_file(d .. "/header.wav", bytes:sub(1, 30))
  ok, msg = A.read(d .. "/header.wav")
  lu.assertNil(ok)
  lu.assertStrContains(msg, "header.wav")
  ok, msg = A.read(d)
  lu.assertNil(ok)
  lu.assertStrContains(msg, "folder")
  -- writing: a missing folder is a file problem; a bad extension or encoding is a bad argument
  ok, msg = A.write(d .. "/no/such/folder/x.wav", x, { rate = 8000 })
  lu.assertNil(ok)
  lu.assertStrContains(msg, "No such file or directory")
  H.error_containing(lu, "unknown extension '.mp3'", A.write, d .. "/x.mp3", x, { rate = 8000 })
  H.error_containing(lu, "cannot hold float", A.write, d .. "/x.flac", x, { rate = 8000, encoding = "float" })
  H.error_containing(lu, "needs {rate", A.write, d .. "/x.wav", x)
  H.error_containing(lu, "did you mean 'rate'", A.read, d .. "/whole.wav", { rates = 8000 })
  H.error_containing(lu, "hop 200 must be 1 to n_fft/2", A.stft, x, { n_fft = 256, hop = 200 })
  -- nothing half-written is left behind by the failures
  for _, e in ipairs(require("aelab.sys").listdir(d)) do
    lu.assertNil(e.name:find("%.tmp%-"), "a temporary file was left: " .. e.name)
  end
end

-- A WAV written to a pipe cannot have its lengths filled in afterwards:
-- its writer leaves a placeholder (0xffffffff, or espeak-ng's 0x7ffff000),
-- and the sound after it is whole. It reads; a file cut short still does not.
function TestAudio:testStreamedWavHeaderIsNotTruncation()
  local x = pcm16_signal(4000)
  local p = self.dir .. "/whole.wav"
  assert(A.write(p, x, { rate = 8000 }))
  local b = H.read(p)
  lu.assertEquals(b:sub(37, 40), "data")
  for _, len in ipairs { 0xffffffff, 0x7ffff000 } do
    local q = string.format("%s/streamed-%x.wav", self.dir, len)
    H.write_file(q, b:sub(1, 4) .. string.pack("<I4", len) .. b:sub(9, 40) .. string.pack("<I4", len) .. b:sub(45))
    local y, err = A.read(q)
    lu.assertNotNil(y, err)
    lu.assertEquals((y - x):abs():max(), 0)
  end
  H.write_file(self.dir .. "/cut1.wav", b:sub(1, #b - 2))
  local y, msg = A.read(self.dir .. "/cut1.wav")
  lu.assertNil(y)
  lu.assertStrContains(msg, "truncated")
end

-- The real speech the lesson tests on reads as what its package says it is.
function TestAudio:testDebianSpeechPackagesRead()
  local p = "/usr/share/asterisk/sounds/en_US_f_Allison/activated.wav"
  local info = A.info(p)
  if not info then lu.skip("asterisk-core-sounds-en-wav is not installed") end
  lu.assertEquals({ info.rate, info.channels, info.encoding }, { 8000, 1, "pcm16" })
  local x = A.read(p, { rate = 16000 })
  lu.assertTrue(math.abs(x:size(1) - 2 * info.frames) <= 2)
end

function TestAudio:testSpectrogramAndWaveformFigures()
  if not ae.plot.available() then lu.skip("gnuplot is not installed") end
  local x = sine(8000, 8000, 1000)
  local noisy = x + ae.randn(8000) * 0.1
  local p = self.dir .. "/spec.png"
  lu.assertEquals(ae.plot.spectrogram({ { "noisy", noisy }, { "clean", x } }, { out = p, rate = 8000, title = "t" }), p)
  local w, h = H.png_size(p)
  lu.assertEquals({ w, h }, { 900, 60 + 2 * 210 })
  local gp = H.read(self.dir .. "/spec.gp")
  lu.assertStrContains(gp, "set cbrange [-80:0]")
  lu.assertStrContains(gp, "'noisy'")
  local q = self.dir .. "/wave.png"
  lu.assertEquals(ae.plot.waveform(x, { out = q }), q)
  lu.assertNotNil(H.png_size(q))
  H.error_containing(lu, "did you mean 'rate'", ae.plot.spectrogram, x, { out = p, rates = 8000 })
  H.error_containing(lu, "rate must be a positive number", ae.plot.spectrogram, x, { out = p, rate = 0 })
  H.error_containing(lu, "range must be a positive number", ae.plot.spectrogram, x, { out = p, range = -20 })
  H.error_containing(lu, "rate must be a positive number", ae.plot.waveform, x, { out = q, rate = "8k" })
  H.error_containing(lu, "row 1 must be {label, signal [N]}", ae.plot.waveform, { { "x", ae.zeros(3, 2) } }, { out = q })
end

-- The prepared speech (quick set): three languages, test sentences never in
-- training, every signal at 8 kHz and not silent, training and test noise apart.
function TestAudio:testSpeechDataQuickSet()
  local d, err = ae.data.speech { quick = true }
  if not d then
    if tostring(err):find("needs the Debian packages", 1, true) then lu.skip(err) end
    lu.fail(err)
  end
  lu.assertEquals(d.rate, 8000)
  local langs, train_text = {}, {}
  for _, u in ipairs(d.train) do
    langs[u.lang] = true
    train_text[u.text] = true
    lu.assertTrue(u.x:size(1) > 4000 and u.x:abs():max() > 0.05, u.file)
  end
  lu.assertEquals(langs, { es = true, pt = true, en = true })
  for _, u in ipairs(d.test) do lu.assertNil(train_text[u.text], "a test sentence is in training: " .. u.text) end
  local sources = {}
  for _, r in ipairs(d.real) do sources[r.source] = true end
  lu.assertEquals(sources, { asterisk = true, pocketsphinx = true })
  for _, kind in ipairs { "white", "pink", "brown", "babble" } do
    local a, b = d.noise.train[kind], d.noise.test[kind]
    lu.assertTrue(a:size(1) >= 8 * 8000 and b:size(1) >= 8 * 8000, kind)
    local n = math.min(a:size(1), b:size(1))
    -- independent draws: one explains almost nothing of the other (the same noise would give +inf)
    local sdr = ae.audio.sisdr(a:narrow(1, 1, n), b:narrow(1, 1, n))
    lu.assertTrue(sdr < -10, string.format("%s: training and test noise are alike (SI-SDR %.1f dB)", kind, sdr))
  end
  -- pink noise has more power below 500 Hz than white noise, brown more still
  local function low_share(x)
    local S = ae.audio.stft(x:narrow(1, 1, 16000), { n_fft = 256 })
    local p = (S.mag * S.mag):mean(1):totable()[1]
    local low, all = 0, 0
    for f, v in ipairs(p) do all = all + v; if f <= 17 then low = low + v end end -- 16 bins · 31.25 Hz
    return low / all
  end
  local w, pk, br = low_share(d.noise.test.white), low_share(d.noise.test.pink), low_share(d.noise.test.brown)
  lu.assertTrue(w < pk and pk < br, string.format("low-frequency share white %.2f, pink %.2f, brown %.2f", w, pk, br))
end
