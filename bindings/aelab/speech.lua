-- Speech and noise for lesson 14, made from Debian packages on first use and
-- kept in the cache (<cache>/speech-v2, outside the repository):
--
--   synthetic speech  espeak-ng (GPL-3+) speaking generated sentences in its
--                     Spanish, Portuguese and English voices, each utterance
--                     with its own voice variant, speed and pitch; train and
--                     test use different sentences.
--   real speech       for testing only, read where the packages put it:
--                     asterisk-core-sounds-en-wav (Allison Smith's prompts,
--                     CC-BY-SA-3.0, 8 kHz) and pocketsphinx-testdata (CMU's
--                     test recordings and LibriVox readings, 16 kHz).
--   noise             white, pink (Kellet's filter) and brown (leaky
--                     integral) noise made here, and babble: six utterances
--                     of the split's own speech summed. Training and test
--                     noise are different draws.
--
-- Everything is mono float at 8 kHz (the asterisk prompts' rate: one rate
-- for every set, telephone bandwidth). scripts/prepare-speech.lua runs the
-- preparation by hand; ae.data.speech() runs it when the cache is missing.
local ae = require "aelab"
local json = require "aelab.json"
local sys = require "aelab.sys"

local S = { RATE = 8000, VERSION = "speech-v2" } -- a new version when the data change

S.ASTERISK = "/usr/share/asterisk/sounds/en_US_f_Allison"
S.POCKETSPHINX = "/usr/share/pocketsphinx/test/data"

-- Sentences from templates: subject, verb, object, place — many distinct
-- sentences from few words, in the course's three languages.
local WORDS = {
  en = {
    { "The old man", "My sister", "A small dog", "The teacher", "Our neighbour", "The child", "A tired nurse",
      "The baker" },
    { "found", "painted", "carried", "lost", "bought", "cleaned", "opened", "forgot" },
    { "a red box", "the heavy table", "three green apples", "an old letter", "the broken chair", "a warm coat",
      "the yellow bicycle" },
    { "in the kitchen.", "near the river.", "before dinner.", "on Sunday morning.", "at the market.",
      "behind the school.", "after the storm." },
  },
  es = {
    { "El anciano", "Mi hermana", "Un perro pequeño", "La maestra", "Nuestro vecino", "El niño", "Una enfermera",
      "El panadero" },
    { "encontró", "pintó", "llevó", "perdió", "compró", "limpió", "abrió", "olvidó" },
    { "una caja roja", "la mesa pesada", "tres manzanas verdes", "una carta antigua", "la silla rota",
      "un abrigo caliente", "la bicicleta amarilla" },
    { "en la cocina.", "cerca del río.", "antes de la cena.", "el domingo por la mañana.", "en el mercado.",
      "detrás de la escuela.", "después de la tormenta." },
  },
  pt = {
    { "O velho", "A minha irmã", "Um cão pequeno", "A professora", "O nosso vizinho", "A criança", "Uma enfermeira",
      "O padeiro" },
    { "encontrou", "pintou", "levou", "perdeu", "comprou", "limpou", "abriu", "esqueceu" },
    { "uma caixa vermelha", "a mesa pesada", "três maçãs verdes", "uma carta antiga", "a cadeira partida",
      "um casaco quente", "a bicicleta amarela" },
    { "na cozinha.", "perto do rio.", "antes do jantar.", "no domingo de manhã.", "no mercado.", "atrás da escola.",
      "depois da tempestade." },
  },
}
local VOICES = { en = { "en-us", "en-gb", "en-gb-scotland" }, es = { "es", "es-419" }, pt = { "pt", "pt-br" } }
local VARIANTS = { "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3" }
local LANGS = { "es", "pt", "en" }

-- How many utterances per language in each split, and seconds of noise.
local SIZES = {
  full = { train = 150, test = 20, noise_train = 60, noise_test = 30, asterisk = 40, pocketsphinx = 10 },
  quick = { train = 12, test = 1, noise_train = 10, noise_test = 8, asterisk = 1, pocketsphinx = 1 },
}

function S.cache_dir(quick)
  local base = require("aelab.datasets").mnist_dir():gsub("/mnist$", "")
  return base .. "/" .. S.VERSION .. (quick and "-quick" or "")
end

-- A deterministic generator of our own (xorshift), so the data are the
-- same whatever ae.seed the lesson uses.
local function rng(seed)
  local s = seed
  return function(n)
    s = s ~ (s << 13) & 0xffffffff
    s = s ~ (s >> 17)
    s = s ~ (s << 5) & 0xffffffff
    return n and (s % n) + 1 or (s % 1000000) / 1000000
  end
end

-- All sentences of a language in a fixed shuffled order.
local function sentences(lang, pick)
  local w, all = WORDS[lang], {}
  for _, a in ipairs(w[1]) do
    for _, b in ipairs(w[2]) do
      for _, c in ipairs(w[3]) do
        for _, d in ipairs(w[4]) do all[#all + 1] = a .. " " .. b .. " " .. c .. " " .. d end
      end
    end
  end
  for i = #all, 2, -1 do
    local j = pick(i)
    all[i], all[j] = all[j], all[i]
  end
  return all
end

local function rms(x) return math.sqrt(((x * x):sum()) / x:numel()) end

-- Speaks one utterance into a WAV at RATE, its level set to an RMS of 0.05.
local function speak(u, tmp, out)
  local p, err = sys.spawn({ "espeak-ng", "-w", tmp, "-v", u.voice .. "+" .. u.variant, "-s", tostring(u.speed),
    "-p", tostring(u.pitch), "--", u.text }, { stdin = "inherit", stdout = "null", stderr = "capture" })
  if not p then return nil, "cannot run espeak-ng: " .. tostring(err) end
  return p, function()
    local ok, _, code, text = p:close()
    if not ok then return nil, string.format("espeak-ng failed (exit %s): %s", tostring(code), text) end
    local x, why = ae.audio.read(tmp, { rate = S.RATE })
    os.remove(tmp)
    if not x then return nil, why end
    x = x * (0.05 / math.max(rms(x), 1e-6))
    return ae.audio.write(out, x:clamp(-0.99, 0.99), { rate = S.RATE })
  end
end

-- Noise of `kind` for n samples from generator g (uniform in [0, 1)).
local function colored(kind, n, g)
  local t, b0, b1, b2, br = {}, 0, 0, 0, 0
  for i = 1, n do
    -- a Gaussian draw from two uniforms (Box-Muller)
    local w = math.sqrt(-2 * math.log(1 - g())) * math.cos(2 * math.pi * g())
    if kind == "white" then
      t[i] = w
    elseif kind == "pink" then -- Paul Kellet's economy filter: −3 dB per octave
      b0 = 0.99765 * b0 + w * 0.0990460
      b1 = 0.96300 * b1 + w * 0.2965164
      b2 = 0.57000 * b2 + w * 1.0526913
      t[i] = b0 + b1 + b2 + w * 0.1848
    else -- brown: a leaky integral, −6 dB per octave above a few hertz
      br = 0.995 * br + w * 0.1
      t[i] = br
    end
  end
  local x = ae.tensor(t)
  return x * (0.05 / rms(x))
end

-- Babble: six streams of the split's utterances end to end, each from a
-- random point of its first utterance, summed.
local function babble(files, n, g)
  local sum = ae.zeros(n, 1)
  for _ = 1, 6 do
    local stream = ae.zeros(n, 1)
    local pos = nil -- where the next utterance starts in the stream (1-based)
    while pos == nil or pos <= n do
      local x = assert(ae.audio.read(files[g(#files)]))
      local len = x:size(1)
      local from = pos and 1 or g(len) -- the first one starts part-way through
      pos = pos or 1
      local count = math.min(len - from + 1, n - pos + 1)
      stream:copy_block(pos, 1, x:reshape(len, 1), from, 1, count, 1)
      pos = pos + count
    end
    sum = sum + stream
  end
  return (sum * (0.05 / rms(sum))):reshape(n)
end

-- Real recordings: the asterisk prompts of at least 1.5 s (every k-th, in
-- name order) and pocketsphinx-testdata's WAV files.
local function real_files(sz)
  local list = {}
  local ast = sys.listdir(S.ASTERISK)
  if ast then
    local long = {}
    for _, e in ipairs(ast) do
      if e.name:match("%.wav$") and not e.dir then
        local info = ae.audio.info(S.ASTERISK .. "/" .. e.name)
        if info and info.frames >= 1.5 * info.rate then long[#long + 1] = e.name end
      end
    end
    local step = math.max(1, #long // sz.asterisk)
    for i = 1, #long, step do
      if #list < sz.asterisk then list[#list + 1] = { source = "asterisk", file = S.ASTERISK .. "/" .. long[i] } end
    end
  end
  local n = 0
  for _, sub in ipairs { "librivox", "cards" } do
    local d = sys.listdir(S.POCKETSPHINX .. "/" .. sub)
    for _, e in ipairs(d or {}) do
      if e.name:match("%.wav$") and n < sz.pocketsphinx then
        n = n + 1
        list[#list + 1] = { source = "pocketsphinx", file = S.POCKETSPHINX .. "/" .. sub .. "/" .. e.name }
      end
    end
  end
  return list
end

local function missing_packages()
  local missing = {}
  if not sys.which("espeak-ng") then missing[#missing + 1] = "espeak-ng" end
  if not ae.audio.info(S.ASTERISK .. "/activated.wav") then missing[#missing + 1] = "asterisk-core-sounds-en-wav" end
  if not sys.listdir(S.POCKETSPHINX .. "/librivox") then missing[#missing + 1] = "pocketsphinx-testdata" end
  return missing
end

-- Makes the cache folder for `quick` (or the full set). Returns the folder
-- | nil, message. `say` prints progress (default: to stderr).
function S.prepare(quick, say)
  say = say or function(s) io.stderr:write(s, "\n") end
  local missing = missing_packages()
  if #missing > 0 then
    return nil, "speech data needs the Debian packages " .. table.concat(missing, ", ") ..
      " (scripts/install-deps.sh installs them: sudo apt-get install " .. table.concat(missing, " ") .. ")"
  end
  local sz = SIZES[quick and "quick" or "full"]
  local final = S.cache_dir(quick)
  local root = final:match("^(.*)/[^/]*$")
  local ok, err = sys.mkdir(root)
  if not ok then return nil, err end
  local dir = string.format("%s/.%s.partial-%d", root, final:match("[^/]*$"), sys.getpid())
  sys.remove_tree(dir)
  for _, d in ipairs { dir, dir .. "/train", dir .. "/test", dir .. "/noise" } do
    ok, err = sys.mkdir(d)
    if not ok then return nil, err end
  end
  local t0 = ae.clock()
  say(string.format("preparing speech data in %s (first use): %d + %d utterances per language from espeak-ng...",
    final, sz.train, sz.test))
  local g = rng(20261207)
  local manifest = { rate = S.RATE, train = {}, test = {}, real = real_files(sz), noise = {} }
  local jobs = {}
  for _, lang in ipairs(LANGS) do
    local all = sentences(lang, g)
    -- in a fixed order (not pairs'): the draws below give each utterance its voice
    for _, split in ipairs { "train", "test" } do
      for i = 1, sz[split] do
        -- test sentences come from the end of the shuffled list: never trained on
        local text = split == "train" and all[i] or all[#all - i + 1]
        local vs = VOICES[lang]
        local u = { lang = lang, text = text, voice = vs[g(#vs)], variant = VARIANTS[g(#VARIANTS)],
          speed = 130 + g(61) - 1, pitch = 25 + g(51) - 1 }
        u.file = string.format("%s/%s-%03d.wav", split, lang, i)
        table.insert(manifest[split], u)
        jobs[#jobs + 1] = u
      end
    end
  end
  -- two espeak-ng at a time (the machine's cores); each job's result read after it ends
  local running = {}
  local function drain(limit)
    while #running > limit do
      local job = table.remove(running, 1)
      local fine, why = job.finish()
      if not fine then error(why, 0) end
    end
  end
  local okrun, failure = pcall(function()
    for k, u in ipairs(jobs) do
      local tmp = string.format("%s/espeak-%d.wav", dir, k)
      local p, finish = speak(u, tmp, dir .. "/" .. u.file)
      if not p then error(finish, 0) end
      running[#running + 1] = { finish = finish }
      drain(1)
    end
    drain(0)
  end)
  if not okrun then
    for _, job in ipairs(running) do pcall(job.finish) end -- the other espeak-ng waited for, not left writing
    sys.remove_tree(dir)
    return nil, "preparing speech data: " .. tostring(failure)
  end
  say(string.format("  %d utterances spoken in %.1f s; making noise...", #jobs, ae.clock() - t0))
  for _, split in ipairs { "train", "test" } do
    local n = sz["noise_" .. split] * S.RATE
    local files = {}
    for _, u in ipairs(manifest[split]) do files[#files + 1] = dir .. "/" .. u.file end
    for _, kind in ipairs { "white", "pink", "brown", "babble" } do
      local x = kind == "babble" and babble(files, n, g) or colored(kind, n, g)
      local file = string.format("noise/%s-%s.wav", kind, split)
      ok, err = ae.audio.write(dir .. "/" .. file, x, { rate = S.RATE, encoding = "float" })
      if not ok then
        sys.remove_tree(dir)
        return nil, err
      end
      manifest.noise[kind .. "_" .. split] = file
    end
  end
  ok, err = sys.write_file(dir .. "/manifest.json", json.encode(manifest, "  ") .. "\n")
  if ok then ok, err = sys.replace_dir(dir, final) end
  if not ok then
    sys.remove_tree(dir)
    return nil, err
  end
  say(string.format("  done in %.1f s", ae.clock() - t0))
  return final
end

-- load{quick = bool} → data | nil, message. data = {rate = 8000,
--   train = {{x = Tensor [N], lang=, voice=, variant=, speed=, pitch=, text=, file=}, ...},
--   test = {...}, real = {{x =, source = "asterisk"|"pocketsphinx", file =}, ...},
--   noise = {train = {white =, pink =, brown =, babble =}, test = {...}}, dir = the cache folder}
function S.load(o)
  o = require("aelab.optcheck").check("ae.data.speech", o, { "quick" }, 2) or {}
  local dir = S.cache_dir(o.quick)
  local f = io.open(dir .. "/manifest.json", "rb")
  if not f then
    local made, err = S.prepare(o.quick)
    if not made then return nil, err end
    f = assert(io.open(dir .. "/manifest.json", "rb"))
  end
  local manifest = json.decode(f:read("a"))
  f:close()
  local data = { rate = manifest.rate, train = {}, test = {}, real = {}, noise = { train = {}, test = {} }, dir = dir }
  for _, split in ipairs { "train", "test" } do
    for _, u in ipairs(manifest[split]) do
      local x, err = ae.audio.read(dir .. "/" .. u.file)
      if not x then return nil, err .. " (remove " .. dir .. " to prepare the data again)" end
      u.x = x
      table.insert(data[split], u)
    end
  end
  for _, r in ipairs(manifest.real) do
    local x, err = ae.audio.read(r.file, { rate = manifest.rate })
    if not x then return nil, err end
    r.x = x * (0.05 / math.max(rms(x), 1e-6)) -- the same level as the synthetic speech
    table.insert(data.real, r)
  end
  for key, file in pairs(manifest.noise) do
    local kind, split = key:match("^(%w+)_(%w+)$")
    local x, err = ae.audio.read(dir .. "/" .. file)
    if not x then return nil, err end
    data.noise[split][kind] = x
  end
  return data
end

return S
