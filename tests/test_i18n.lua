-- Languages (README "Languages"): the catalogues hold every message the
-- lessons use, translated, in every language of po/LINGUAS; the language
-- changes words and decimal signs, never a number of metrics.json.
local lu = require "luaunit"
local H = require "helpers"
local ae = require "aelab"
local i18n = require "aelab.i18n"

local bin = H.BIN
local q = H.quote or function(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- The languages with catalogues (po/LINGUAS, comments dropped).
local function linguas()
  local list = {}
  for line in assert(io.open("po/LINGUAS")):lines() do
    local code = line:gsub("#.*", ""):match("^%s*(%S+)")
    if code then list[#list + 1] = code end
  end
  return list
end

-- A .po or .pot file as entries {ctx=, id=, plural=, str={...}, fuzzy=bool,
-- file=}; the header (msgid "") left out.
local function unquote(s) -- a PO string literal's contents
  return (s:gsub('\\(.)', { n = "\n", t = "\t", ['"'] = '"', ["\\"] = "\\" }))
end
local function parse_po(text, file)
  local entries, e, field = {}, nil, nil
  local function close()
    if e and e.id and e.id ~= "" or (e and e.ctx) then entries[#entries + 1] = e end
    e = nil
  end
  for line in (text .. "\n\n"):gmatch("([^\n]*)\n") do
    if line == "" then close()
    else
      e = e or { str = {}, file = file }
      if line:match("^#,.*fuzzy") then e.fuzzy = true end
      if line:match("^#~") then e.obsolete = true end
      local key, s = line:match('^(msg%S+) "(.*)"$')
      if key then
        field = key
        local n = key:match("^msgstr%[(%d+)%]$")
        if key == "msgctxt" then e.ctx = unquote(s)
        elseif key == "msgid" then e.id = unquote(s)
        elseif key == "msgid_plural" then e.plural = unquote(s)
        elseif key == "msgstr" then e.str[1] = unquote(s)
        elseif n then e.str[tonumber(n) + 1] = unquote(s) end
      elseif line:match('^"') then
        local s2 = unquote(line:match('^"(.*)"$'))
        local n = field and field:match("^msgstr%[(%d+)%]$")
        if field == "msgctxt" then e.ctx = e.ctx .. s2
        elseif field == "msgid" then e.id = e.id .. s2
        elseif field == "msgid_plural" then e.plural = e.plural .. s2
        elseif field == "msgstr" then e.str[1] = e.str[1] .. s2
        elseif n then e.str[tonumber(n) + 1] = e.str[tonumber(n) + 1] .. s2 end
      end
    end
  end
  local out = {}
  for _, x in ipairs(entries) do
    if not x.obsolete and x.id then out[#out + 1] = x end
  end
  return out
end
local function key_of(e) return (e.ctx and (e.ctx .. "\4") or "") .. e.id end
local function load_po(path)
  local text = H.read(path)
  if not text then return nil end
  local map = {}
  for _, e in ipairs(parse_po(text, path)) do map[key_of(e)] = e end
  return map
end

-- The messages of one source file, extracted as `make pot` extracts them
-- (xgettext through scripts/po.sh).
local function extract(file)
  local out, err, code = H.run("scripts/po.sh extract " .. q(file))
  lu.assertEquals(code, 0, "xgettext failed on " .. file .. ": " .. err)
  return parse_po(out, file)
end

-- The compiled catalogue's source: build/locale/<ll>/LC_MESSAGES/aelab.po.
local function catalogue(ll)
  local path = require("aelab.options").localedir .. "/" .. ll .. "/LC_MESSAGES/aelab.po"
  local map = load_po(path)
  lu.assertNotNil(map, "no compiled catalogue " .. path .. " (make builds it from po/" .. ll .. ".po)")
  return map
end

local function lessons()
  local list = {}
  local p = assert(io.popen("ls lessons/*.lua"))
  for f in p:lines() do list[#list + 1] = f end
  p:close()
  return list
end

-- Every message of `file` translated (not empty, not fuzzy) in every catalogue.
local function assert_translated(file, entries)
  for _, ll in ipairs(linguas()) do
    local cat = catalogue(ll)
    local missing = {}
    for _, e in ipairs(entries) do
      local t = cat[key_of(e)]
      local why = not t and "missing" or t.fuzzy and "fuzzy" or nil
      if t and not why then
        for i = 1, e.plural and 2 or 1 do
          if not t.str[i] or t.str[i] == "" then why = "untranslated" end
        end
      end
      if why then missing[#missing + 1] = string.format("  %s: %q", why, e.id:sub(1, 70)) end
    end
    lu.assertEquals(#missing, 0, string.format("%s: %d message(s) not in the %s catalogue (po/%s.po or " ..
      "po/lessons/<lesson>.%s.po; scripts/po.sh pot, then translate):\n%s", file, #missing, ll, ll, ll,
      table.concat(missing, "\n")))
  end
end

TestCatalogues = {}

-- A lesson that uses T/F/FN is converted: each of its messages must be in
-- every language, from its own fragment po/lessons/<lesson>.<ll>.po.
function TestCatalogues:testEveryLessonMessageIsTranslated()
  local converted = 0
  for _, file in ipairs(lessons()) do
    local entries = extract(file)
    if #entries > 0 then
      converted = converted + 1
      local name = file:match("([^/]+)%.lua$")
      for _, ll in ipairs(linguas()) do
        lu.assertNotNil(H.read("po/lessons/" .. name .. "." .. ll .. ".po"), string.format(
          "%s has messages but no po/lessons/%s.%s.po (msginit -l %s -i po/lessons/%s.pot ...; README)", file, name,
          ll, ll, name))
      end
      assert_translated(file, entries)
    end
  end
  lu.assertTrue(converted >= 2, "lessons 01 and 02 at least are translated; found " .. converted)
end

-- What every lesson shows through the framework: narration, report, progress
-- line, plots' own labels, the common errors.
function TestCatalogues:testFrameworkMessagesAreTranslated()
  for _, file in ipairs { "bindings/aelab/lesson.lua", "bindings/aelab/progress.lua", "bindings/aelab/fit.lua",
    "bindings/aelab/optcheck.lua", "bindings/aelab/datasets.lua", "bindings/aelab/i18n.lua", "plots/charts.lua",
    "plots/images.lua" } do
    assert_translated(file, extract(file))
  end
end

-- The C core's shape errors (core/ae.h: ae_fail_shape; ae_fail translates
-- them) are framework messages too: each in every catalogue. xgettext finds
-- them only as ae_fail_shape(e, "literal", ...), so a shape error raised
-- any other way, or from a format that is not a literal, fails here.
function TestCatalogues:testCoreShapeMessagesAreTranslated()
  local p = assert(io.popen("ls core/*.c"))
  local files, n = {}, 0
  for f in p:lines() do files[#files + 1] = f end
  p:close()
  for _, file in ipairs(files) do
    local text = H.read(file)
    local function where(pos) return string.format("%s:%d", file, select(2, text:sub(1, pos):gsub("\n", "")) + 1) end
    local at = text:find("ae_fail%s*%([^,;]*,%s*AE_ESHAPE")
    lu.assertNil(at, at and where(at) .. ": a shape error not marked for translation " ..
      "(write ae_fail_shape(e, \"...\", ...))")
    for pos, first in text:gmatch("()ae_fail_shape%s*%([^,;]*,%s*(.)") do
      lu.assertEquals(first, '"', where(pos) .. ": ae_fail_shape's format must be a string literal (xgettext reads it)")
    end
    local entries = extract(file)
    n = n + #entries
    assert_translated(file, entries)
  end
  lu.assertTrue(n >= 40, "the core's shape messages are about 50; xgettext found " .. n .. " (scripts/po.sh extract)")
end

-- Two files of one language that share a message translate it alike (the
-- build keeps the first, so a disagreement would be silent).
function TestCatalogues:testFragmentsAgree()
  for _, ll in ipairs(linguas()) do
    local seen = {}
    local p = assert(io.popen("ls po/" .. ll .. ".po po/lessons/*." .. ll .. ".po 2>/dev/null"))
    for path in p:lines() do
      for _, e in ipairs(parse_po(H.read(path), path)) do
        local k, s = key_of(e), table.concat(e.str, "\0")
        local before = seen[k]
        if before and before.s ~= s and s ~= "" and before.s ~= "" then
          lu.fail(string.format("%q is %q in %s but %q in %s: make them agree", e.id, before.s, before.file, s, path))
        end
        if not before or before.s == "" then seen[k] = { s = s, file = path } end
      end
    end
    p:close()
  end
end

-- A lesson's messages reach the catalogue only through a literal: T"…",
-- F("…" .. "…", ...). A bare string handed to the lesson framework, or
-- T(variable), would stay English without any test noticing.
function TestCatalogues:testConvertedLessonsWrapTheirStrings()
  for _, file in ipairs(lessons()) do
    if #extract(file) > 0 then
      local n = 0
      for line in assert(io.open(file)):lines() do
        n = n + 1
        local code = line:gsub("%-%-.*", "")
        local bad = code:match("L:say%s*%(%s*[\"'%[]") or code:match("L:section%s*%(%s*[\"'%[]")
          or code:match("L:explain%s*%(%s*[\"'%[]") or code:match("L:figure%s*%(%s*\"[^\"]*\"%s*,%s*[\"'%[]")
          or code:match("L:metric%s*%(.-,%s*\"[^\"]*\"%s*%)")
          or code:match("%f[%w_]title%s*=%s*[\"'%[]") or code:match("%f[%w_]question%s*=%s*[\"'%[]")
          or code:match("%f[%w_][xy]label%s*=%s*[\"'%[]")
          or code:match("%f[%w_][TF]N?%s*%(%s*[%a_]")
        lu.assertNil(bad, string.format("%s:%d: a string the student reads is not marked for translation " ..
          "(wrap it: T\"...\" or F(\"...\", ...), with the literal inside): %s", file, n, line))
      end
    end
  end
end

-- The arguments of each call `prefix(...)` in text, split at their top-level
-- commas (strings and nested brackets skipped), with the call's line.
local function calls(text, prefix)
  local found, at = {}, 1
  while true do
    local s, e = text:find(prefix, at, true)
    if not s then return found end
    local args, depth, i, start = {}, 1, e + 1, e + 1
    while depth > 0 and i <= #text do
      local c = text:sub(i, i)
      if c == '"' or c == "'" then -- a string: to its closing quote
        local j = i + 1
        while j <= #text and text:sub(j, j) ~= c do j = j + (text:sub(j, j) == "\\" and 2 or 1) end
        i = j
      elseif c == "(" or c == "{" or c == "[" then depth = depth + 1
      elseif c == ")" or c == "}" or c == "]" then depth = depth - 1
      elseif c == "," and depth == 1 then args[#args + 1] = text:sub(start, i - 1); start = i + 1 end
      i = i + 1
    end
    args[#args + 1] = text:sub(start, i - 2)
    local _, line = text:sub(1, s):gsub("\n", "")
    found[#found + 1] = { args = args, line = line + 1 }
    at = e + 1
  end
end

-- A converted lesson names every model it saves for the student: the
-- report's Models section would otherwise list the English file name
-- (L:save_model(net, name, label): name the file's, label the report's).
function TestCatalogues:testConvertedLessonsLabelTheirModels()
  local saved = 0
  for _, file in ipairs(lessons()) do
    if #extract(file) > 0 then
      for _, c in ipairs(calls(H.read(file):gsub("%-%-[^\n]*", ""), "L:save_model(")) do
        saved = saved + 1
        lu.assertTrue(#c.args >= 3 and c.args[3]:match("%S") ~= nil, string.format("%s:%d: L:save_model without a " ..
          "label: the report would show the file's English name (pass T\"...\" or F(...) as the third argument)",
          file, c.line))
      end
    end
  end
  lu.assertTrue(saved >= 15, "every lesson saves a model; found " .. saved .. " calls")
end

TestFormat = {}
function TestFormat:setUp() self.lang = i18n.lang end
function TestFormat:tearDown() i18n.set(self.lang) end

function TestFormat:testEnglishIsStringFormat()
  i18n.set("en")
  lu.assertEquals(i18n.fmt("%d: %.4f %s %g%%", 3, 0.25, "report.md", 1.5), "3: 0.2500 report.md 1.5%")
  lu.assertEquals(i18n.int(50992), "50,992")
  lu.assertEquals(i18n.num(0.5, "%.3f"), "0.500")
  lu.assertEquals(i18n.T("epoch"), "epoch")
end

function TestFormat:testDecimalCommaInSpanishAndPortuguese()
  for _, ll in ipairs { "es", "pt" } do
    lu.assertEquals(i18n.set(ll), ll)
    -- numbers get the comma; %d, %s (a file name) and %% do not change
    lu.assertEquals(i18n.fmt("%d: %.4f %s %g%%", 3, 0.25, "report.md", 1.5), "3: 0,2500 report.md 1,5%")
    lu.assertEquals(i18n.fmt("%.2e", 12345.0), "1,23e+04")
    lu.assertEquals(i18n.int(50992), "50.992")
    lu.assertEquals(i18n.int(-1234567), "-1.234.567")
    lu.assertEquals(i18n.num(0.5, "%.3f"), "0,500")
    lu.assertEquals(i18n.T("epoch"), "época")
  end
end

-- Plural forms come from each catalogue's Plural-Forms (ngettext).
function TestFormat:testPlurals()
  local s, p = "Fashion-MNIST, codes of 2 and 32, MSE, Adam 1e-3, batch 256, %d epoch.",
    "Fashion-MNIST, codes of 2 and 32, MSE, Adam 1e-3, batch 256, %d epochs."
  local want = {
    en = { [1] = "1 epoch.", [3] = "3 epochs.", [0] = "0 epochs." },
    es = { [1] = "1 época.", [3] = "3 épocas.", [0] = "0 épocas." },
    pt = { [1] = "1 época.", [3] = "3 épocas.", [0] = "0 épocas." },
  }
  for ll, cases in pairs(want) do
    i18n.set(ll)
    for n, ending in pairs(cases) do
      local got = i18n.FN(s, p, n, n)
      lu.assertEquals(got:sub(-#ending), ending, ll .. ": " .. got)
    end
  end
end

-- The core's errors: a shape error in the user's language (ae_fail asks
-- gettext), every other code in English, by design.
TestCoreMessages = {}
function TestCoreMessages:setUp() self.lang = i18n.lang end
function TestCoreMessages:tearDown() i18n.set(self.lang) end

local function dense_error()
  return H.error_containing(lu, "Dense(32→784)", function() return ae.Dense(32, 784):forward(ae.zeros(4, 2)) end)
end

function TestCoreMessages:testShapeErrorsSpeakTheLanguage()
  lu.assertEquals(i18n.set("en"), "en")
  lu.assertStrContains(dense_error(), "Dense(32→784): input has 2 columns, expected 32")
  lu.assertEquals(i18n.set("es"), "es")
  lu.assertStrContains(dense_error(), "Dense(32→784): la entrada tiene 2 columnas, se esperaban 32")
  -- a message built from two (the model's prefix, the layer's own)
  H.error_containing(lu, "capa 2, Dense(4→2): la entrada tiene 3 columnas, se esperaban 4", ae.Sequential,
    { ae.Dense(5, 3), ae.Dense(4, 2) })
  lu.assertEquals(i18n.set("pt"), "pt")
  lu.assertStrContains(dense_error(), "Dense(32→784): a entrada tem 2 colunas, mas eram esperadas 32")
  -- and back to English
  i18n.set("en")
  lu.assertStrContains(dense_error(), "Dense(32→784): input has 2 columns, expected 32")
end

function TestCoreMessages:testOtherCodesStayEnglish()
  i18n.set("es")
  -- ae.PCA: too few samples is a shape error, zero components a bad argument (AE_EARG)
  H.error_containing(lu, "PCA: la covarianza necesita al menos 2 muestras, y hay 1", ae.PCA, ae.zeros(1, 3), 2)
  H.error_containing(lu, "PCA: asked for 0 components; ask for at least 1", ae.PCA, ae.zeros(5, 3), 0)
end

-- The host as a user starts it: AELAB_LANG picks the language of C's messages too.
function TestCoreMessages:testTheHostTranslatesShapeErrors()
  local out, err, code = H.run(string.format("env AELAB_LANG=es %s -e %s", bin,
    q("ae.Dense(32, 784):forward(ae.zeros(4, 2))")))
  lu.assertEquals(code, 1, out .. err)
  lu.assertStrContains(err, "Dense(32→784): la entrada tiene 2 columnas, se esperaban 32")
end

-- fit's warnings and stops are kept twice: English (metrics.json's
-- training_notes) and in the student's language (the report, the terminal).
function TestFormat:testFitNotesInBothLanguages()
  local ae = require "aelab"
  for _, ll in ipairs { "es", "pt" } do
    i18n.set(ll)
    local net = ae.Sequential { ae.Dense(4, 4) }
    net:freeze()
    local h = net:fit(ae.rand(8, 4), { epochs = 1, verbose = false })
    lu.assertStrContains(h.warning, "every layer with weights is frozen, so nothing trains")
    lu.assertNotStrContains(h.warning_shown, "nothing trains")
    lu.assertStrContains(h.warning_shown, ll == "es" and "nada se entrena" or "nada é treinado")
    -- a diverging run: both texts name the same epoch and batch, the shown
    -- one with the language's decimal sign in the learning rate
    local d = ae.Sequential { ae.Dense(20, 8), ae.ReLU(), ae.Dense(8, 20), ae.Sigmoid() }
    local hd = d:fit(ae.rand(256, 20), { epochs = 3, batch = 32, loss = "bce", optimizer = ae.optim.Adam { lr = 1e6 },
      verbose = false })
    lu.assertNotNil(hd.stopped, "Adam at lr = 1e6 diverges")
    lu.assertStrContains(hd.stopped, "diverged: in epoch 1, batch 2 the loss jumped to")
    lu.assertStrContains(hd.stopped_shown, ll == "es" and "divergió: en la época 1, lote 2, la pérdida saltó a"
      or "divergiu: na época 1, lote 2, a perda saltou para")
    lu.assertStrContains(hd.stopped_shown, ll == "es" and "la tasa de aprendizaje (1e+06)" or
      "a taxa de aprendizado (1e+06)")
  end
  i18n.set("en")
  local en, shown = i18n.EF("the learning rate (%g) is likely too large: try %g", 0.5, 0.05)
  lu.assertEquals(en, "the learning rate (0.5) is likely too large: try 0.05")
  lu.assertEquals(shown, en)
  i18n.set("es")
  en, shown = i18n.EF("the learning rate (%g) is likely too large: try %g", 0.5, 0.05)
  lu.assertEquals(en, "the learning rate (0.5) is likely too large: try 0.05")
  lu.assertEquals(shown, "la tasa de aprendizaje (0,5) probablemente es demasiado grande: pruebe 0,05")
end

TestChoice = {}

local function lang_of(env, opts)
  local out, err, code = H.run(string.format("env -u AELAB_LANG -u LANGUAGE -u LC_ALL -u LC_MESSAGES -u LANG %s %s %s " ..
    "-e 'io.write(ae.i18n.lang)'", env, bin, opts or ""))
  lu.assertEquals(code, 0, err)
  return out, err
end

function TestChoice:testOrder()
  lu.assertEquals(lang_of(""), "en")
  lu.assertEquals(lang_of("LANG=pt_BR.UTF-8"), "pt")
  lu.assertEquals(lang_of("LANG=pt_BR.UTF-8 LC_MESSAGES=es_ES.UTF-8"), "es")
  lu.assertEquals(lang_of("LANG=pt_BR.UTF-8 LANGUAGE=es:en"), "es")
  lu.assertEquals(lang_of("LANG=C.UTF-8"), "en")
  lu.assertEquals(lang_of("LANG=pt_BR.UTF-8 AELAB_LANG=es"), "es")
  lu.assertEquals(lang_of("AELAB_LANG=es", "--lang pt"), "pt")
  lu.assertEquals(lang_of("AELAB_LANG=es", "--lang en"), "en")
end

function TestChoice:testUnknownLanguageWarnsAndUsesEnglish()
  local out, err = lang_of("", "--lang xx")
  lu.assertEquals(out, "en")
  lu.assertStrContains(err, "no messages in language 'xx' (from --lang); using English")
  local all = linguas()
  all[#all + 1] = "en"
  table.sort(all)
  lu.assertStrContains(err, "(languages: " .. table.concat(all, ", ") .. ";")
  out, err = lang_of("AELAB_LANG=zz")
  lu.assertEquals(out, "en")
  lu.assertStrContains(err, "'zz' (from AELAB_LANG)")
  -- a locale aelab has no messages for is no mistake of the user's: English, quietly
  out, err = lang_of("LANG=de_DE.UTF-8")
  lu.assertEquals(out, "en")
  lu.assertEquals(err, "")
end

-- The same run in two languages: the same numbers, other words.
TestLessonLanguages = {}
function TestLessonLanguages:setUp() self.out = H.tmpdir() end
function TestLessonLanguages:tearDown() H.rmdir(self.out) end

function TestLessonLanguages:testSpanishChangesNoNumber()
  local metrics, report = {}, {}
  for _, ll in ipairs { "en", "es" } do
    local dir = self.out .. "/" .. ll
    local out, err, code = H.run(string.format("%s --quick --lang %s --threads 1 --out %s lessons/01_undercomplete.lua",
      bin, ll, q(dir)))
    lu.assertEquals(code, 0, out .. err)
    metrics[ll] = require("aelab.json").decode(H.read(dir .. "/01_undercomplete/metrics.json"))
    report[ll] = H.read(dir .. "/01_undercomplete/report.md")
    if ll == "es" then
      lu.assertStrContains(out, "Entrenando durante 3 épocas")
      lu.assertStrContains(out, "época 1/3  pérdida 0,")
      lu.assertStrContains(out, "Lo que dicen los números:")
    end
  end
  -- keys alike; every value alike but the clock's and the memory's
  local timing = { seconds = true, seconds_total = true, samples_per_s = true, peak_rss_bytes = true }
  for k, v in pairs(metrics.en) do
    lu.assertNotNil(metrics.es[k], "metrics.json in es lacks " .. k)
    if not timing[k] then lu.assertEquals(metrics.es[k], v, "metrics.json's " .. k .. " differs with the language") end
  end
  for k in pairs(metrics.es) do lu.assertNotNil(metrics.en[k], "metrics.json in es has an extra key " .. k) end
  -- the Spanish report: Spanish words, decimal commas, the same key column
  local es, en = report.es, report.en
  for _, w in ipairs { "## Métricas", "## Lo que dicen los números", "autocodificador", "pérdida final de validación",
    "`val_loss`", "--lang es" } do
    lu.assertStrContains(es, w)
  end
  lu.assertStrContains(en, "## What the numbers say")
  -- the model: its file keeps the English name, the report says what it is in the language
  lu.assertStrContains(es, "## Modelos")
  lu.assertStrContains(es, "- [`autoencoder.safetensors`](autoencoder.safetensors): Autocodificador 784-32-784 sobre " ..
    "Fashion-MNIST")
  lu.assertStrContains(en, "- [`autoencoder.safetensors`](autoencoder.safetensors): 784-32-784 autoencoder on " ..
    "Fashion-MNIST")
  for _, ll in ipairs { "en", "es" } do
    lu.assertNotNil(H.read(self.out .. "/" .. ll .. "/01_undercomplete/autoencoder.safetensors"), ll)
  end
  local val_es = es:match("| ([%d,]+) | `val_loss` |")
  lu.assertNotNil(val_es, "the validation loss in the Spanish report has no decimal comma")
  lu.assertEquals(tonumber((val_es:gsub(",", "."))), tonumber(string.format("%.4g", metrics.es.val_loss)))
  lu.assertNil(es:match("| %-?0%.%d+ |"), "a decimal point in the Spanish tables")
  lu.assertNotNil(es:match("| 0,%d+ | `train_loss` |"), "the training loss has no decimal comma")
  lu.assertStrContains(es, "| 50.992 | `parameters` |")
  -- figures: translated labels, decimal comma in the ticks, data left in C's format
  local gp = H.read(self.out .. "/es/01_undercomplete/loss.gp")
  lu.assertStrContains(gp, "set decimalsign ','")
  lu.assertStrContains(gp, "'época'")
  lu.assertNotNil(gp:match("\n1 0%.%d+ 0%.%d+\n"), "loss.gp's data must keep the decimal point")
  lu.assertNil(H.read(self.out .. "/en/01_undercomplete/loss.gp"):match("decimalsign"))
end

-- L:save_model(net, name, label): the report lists the model by its label,
-- in the language of the run, and the file is named from `name` in every
-- language (scripts find it); without a label the report shows the name.
TestModelLabels = {}
function TestModelLabels:setUp() self.out = H.tmpdir() end
function TestModelLabels:tearDown() H.rmdir(self.out) end

function TestModelLabels:testLabelInTheReportFileFromTheName()
  local sys = require "aelab.sys"
  sys.mkdir(self.out .. "/lessons")
  local script = self.out .. "/lessons/99_models.lua"
  -- the label is a message lesson 08 has in every catalogue
  H.write_file(script, [[
local ae = require "aelab"
local L = ae.Lesson.new { name = "99_models", title = "Models" }
local function net() return ae.Autoencoder { encoder = { ae.Dense(4, 2) }, decoder = { ae.Dense(2, 4) } } end
L:save_model(net(), "mnist convolutional", ae.i18n.F("%s: convolutional autoencoder", "MNIST"))
L:save_model(net(), "DAE trained at 0.5")
L:finish()
]])
  local files = {}
  for _, ll in ipairs { "en", "es", "pt" } do
    local dir = self.out .. "/" .. ll
    local out, err, code = H.run(string.format("%s --lang %s --out %s %s", bin, ll, q(dir), q(script)))
    lu.assertEquals(code, 0, out .. err)
    local lesson = dir .. "/99_models/"
    local label = ({ en = "MNIST: convolutional autoencoder", es = "MNIST: autocodificador convolucional",
      pt = "MNIST: autocodificador convolucional" })[ll]
    local report = H.read(lesson .. "report.md")
    lu.assertStrContains(report, "- [`mnist-convolutional.safetensors`](mnist-convolutional.safetensors): " .. label)
    lu.assertStrContains(report, "- [`dae-trained-at-0-5.safetensors`](dae-trained-at-0-5.safetensors): DAE trained at 0.5")
    -- the narration: where the file went, then what it is
    lu.assertStrContains(out, lesson .. "mnist-convolutional.safetensors — " .. label)
    lu.assertStrContains(out, lesson .. "dae-trained-at-0-5.safetensors\n")
    local names = {}
    for _, e in ipairs(sys.listdir(lesson)) do
      if e.name:match("%.safetensors$") then names[#names + 1] = e.name end
    end
    table.sort(names)
    files[ll] = names
    lu.assertNotNil(require("aelab").load(lesson .. "mnist-convolutional.safetensors"))
  end
  lu.assertEquals(files.en, { "dae-trained-at-0-5.safetensors", "mnist-convolutional.safetensors" })
  lu.assertEquals(files.es, files.en)
  lu.assertEquals(files.pt, files.en)
end
