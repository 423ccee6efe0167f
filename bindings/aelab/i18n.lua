-- ae.i18n: lessons, reports and figures in English, Spanish or Portuguese
-- (GNU gettext catalogues under po/, compiled by the Makefile; README
-- "Languages"). The language: --lang, else AELAB_LANG, else the locale
-- (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else English.
--
--   local T, F, FN = ae.i18n.T, ae.i18n.F, ae.i18n.FN
--   L:say(T"Training...")                        -- a message
--   L:say(T"After %d epochs: loss %.4f", e, v)   -- say formats, numbers localized
--   s = F("loss %.4f (floor %.3f)", v, f)        -- translate, then format: "pérdida 0,2910 ..."
--   s = FN("%d epoch", "%d epochs", n, n)        -- a plural form (ngettext), then format
--   s = ae.i18n.num(0.25, "%.3f")                -- one number: "0,250" in es and pt
--
-- Only the words change: metrics.json, .gp data and every number a program
-- reads keep the decimal point. xgettext finds the messages by these names
-- (scripts/po.sh), so call them by their bare names T, F, TN, FN, N_, P on a
-- literal string ("a" .. "b" is fine), never i18n.T(x) on a variable.
local ok_core, core = pcall(require, "aelab.i18ncore")
local options = package.loaded["aelab.options"] or {}

local M = {}
M.lang = "en"
M.decimal, M.group = ".", ","

local active = false -- gettext set up and a catalogue in use

-- T(msg): msg in the current language (msg itself in English or when the
-- catalogue lacks it).
function M.T(msg)
  if not active then return msg end
  return core.gettext(msg)
end

-- TN(singular, plural, n): the form n needs, by the language's plural rule.
function M.TN(singular, plural, n)
  n = math.tointeger(n) or math.floor(tonumber(n) or 0)
  if not active then return n == 1 and singular or plural end
  return core.ngettext(singular, plural, n)
end

-- Tlist(list): a copy of a list of messages, each translated (class names
-- marked with N_ where the list is made).
function M.Tlist(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = M.T(v) end
  return out
end

-- N_(msg): marks msg for the catalogue without translating it now (a table
-- of messages translated where they are used, with T(value)).
function M.N_(msg) return msg end

-- P(context, msg): msg translated in a context (gettext's pgettext), for
-- short words that mean different things in different places.
function M.P(context, msg)
  if not active then return msg end
  local key = context .. "\4" .. msg
  local t = core.gettext(key)
  return t == key and msg or t
end

-- num(x, spec): one number formatted by spec ("%.4g" when none), with the
-- language's decimal sign. An integer-valued spec (%d) is left as it is.
function M.num(x, spec)
  local s = string.format(spec or "%.4g", x)
  if M.decimal ~= "." then s = s:gsub("%.", M.decimal) end
  return s
end

-- int(n): an integer with the language's digit groups (50,992 / 50.992).
function M.int(n)
  local s = string.format("%d", math.floor(n + 0.5))
  local sep = M.group:gsub("%%", "%%%%")
  while true do
    local k
    s, k = s:gsub("^(-?%d+)(%d%d%d)", "%1" .. sep .. "%2")
    if k == 0 then return s end
  end
end

-- fmt(fmt, ...): string.format, with the language's decimal sign in %f,
-- %e, %g (identical to string.format in English).
function M.fmt(f, ...)
  if M.decimal == "." then return string.format(f, ...) end
  local args, i = table.pack(...), 0
  return (f:gsub("%%[-+ #0]*%d*%.?%d*[%a%%]", function(d)
    if d == "%%" then return "%" end
    i = i + 1
    if d:find("[eEfgGaA]$") then return M.num(args[i], d) end
    return string.format(d, args[i])
  end))
end

-- F(fmt, ...): fmt translated, then formatted by fmt above.
function M.F(f, ...) return M.fmt(M.T(f), ...) end

-- EF(fmt, ...) → english, shown: fmt formatted as it is (for metrics.json
-- and other files read by programs) and translated (for the student), from
-- one message, so the two never drift apart.
function M.EF(f, ...) return string.format(f, ...), M.F(f, ...) end

-- FN(singular, plural, n, ...): the plural form for n, then formatted.
function M.FN(singular, plural, n, ...) return M.fmt(M.TN(singular, plural, n), ...) end

-- The languages there are messages for: English, and each compiled catalogue.
function M.available()
  local list = { "en" }
  local dir = options.localedir
  local sys = package.loaded["aelab.sys"] or select(2, pcall(require, "aelab.sys"))
  local entries = dir and type(sys) == "table" and sys.listdir(dir)
  for _, e in ipairs(entries or {}) do
    local mo = io.open(dir .. "/" .. e.name .. "/LC_MESSAGES/aelab.mo", "rb")
    if mo then
      mo:close()
      list[#list + 1] = e.name
    end
  end
  table.sort(list)
  return list
end

-- "es_ES.UTF-8" → "es", "pt_BR" → "pt", "C" and "POSIX" → "en".
local function code_of(s)
  s = s:match("^[^:]*") -- LANGUAGE is a list
  if s == "C" or s == "POSIX" or s:match("^C%.") then return "en" end
  return (s:match("^(%a+)") or s):lower()
end

-- The language asked for and who asked: --lang, AELAB_LANG or the locale.
function M.requested()
  if options.lang then return code_of(options.lang), "--lang" end
  local env = os.getenv("AELAB_LANG")
  if env and env ~= "" then return code_of(env), "AELAB_LANG" end
  for _, v in ipairs { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" } do
    local s = os.getenv(v)
    if s and s ~= "" and s:match("^[^:]*") ~= "" then return code_of(s), v end
  end
  return "en", "default"
end

-- set(lang [, source]): messages in lang from now on. A language with no
-- catalogue falls back to English, with a warning when the user named it
-- (--lang, AELAB_LANG; a locale aelab has no messages for is silent).
-- Returns the language in use.
function M.set(lang, source)
  lang = code_of(tostring(lang))
  local known = false
  for _, l in ipairs(M.available()) do known = known or l == lang end
  if not known then
    if source ~= "LANGUAGE" and source ~= "LC_ALL" and source ~= "LC_MESSAGES" and source ~= "LANG" then
      io.stderr:write(string.format("aelab: warning: no messages in language '%s'%s; using English " ..
        "(languages: %s; a catalogue missing from %s/<lang>: run make)\n", lang,
        source and (" (from " .. source .. ")") or "", table.concat(M.available(), ", "),
        tostring(options.localedir)))
    end
    lang = "en"
  end
  active = false
  if ok_core and lang ~= "en" then
    local ok, why = core.setup(options.localedir)
    if ok then
      core.use(lang)
      active = true
    else
      io.stderr:write("aelab: warning: " .. why .. "\n")
      lang = "en"
    end
  elseif ok_core then
    core.use("en")
  end
  M.lang = lang
  local P = M.P -- by its bare name, for xgettext
  -- TRANSLATORS: the decimal sign of numbers in reports and figures ("," in es and pt)
  M.decimal = P("number format", ".")
  -- TRANSLATORS: the separator of digit groups in large numbers (50,992), "." in es and pt
  M.group = P("digit groups", ",")
  return lang
end

M.set(M.requested())
return M
