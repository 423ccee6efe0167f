-- make docs: the API reference, an HTML site written by LDoc (Debian's
-- lua-ldoc) into build/docs (index.html lists the modules).
--
--   ./aelab scripts/docs.lua [folder]        (make docs: folder = build/docs)
--
-- Its text is ae.help's (bindings/aelab/help.lua): the comment above each
-- function's definition in aelab's Lua source, and written entries for the
-- calls with options and for everything made in C (tensors, layers, model
-- methods), which has no Lua source for a documentation tool to read. LDoc
-- reads `---` comments on definitions it can see in files; most of ae is
-- assembled at run time (lazy modules, C functions registered into Lua
-- tables), so LDoc alone would miss half of it. This script therefore asks
-- the running API what its public functions are, writes one LDoc source
-- file per module of stubs carrying their help text (the parameters named
-- as the Lua definitions name them), and has LDoc render them. A public
-- function without documentation is an error here, as is any warning LDoc
-- prints; tests/test_docs.lua runs this.
local ae = require "aelab"
local help = require "aelab.help"
local sys = require "aelab.sys"

local out = arg[1] or "build/docs"
local src = out .. "/src"

-- The modules, in the order of the index, with what each is for.
local MODULES = {
  { "ae", "Tensors, layers, models, losses and the process: what require \"aelab\" returns." },
  { "Model", "The methods of a model (ae.Sequential, ae.Autoencoder, ae.VAE): net:fit, net:encode, ..." },
  { "Tensor", "The methods of a tensor: float32, row-major, up to 4 dimensions, 1-based indices." },
  { "Layer", "The methods of a layer (ae.Dense, ae.Conv2D, ...): forward and backward in C." },
  { "ae.data", "Data sets: Fashion-MNIST, MNIST, the letters, documents, photos, speech." },
  { "ae.optim", "Optimizers: SGD, Adam, RMSprop, Adadelta on batches; LBFGS, CG, Powell on the whole set." },
  { "ae.noise", "Input corruption for denoising autoencoders." },
  { "ae.penalty", "Penalties on the code: L1, KL sparsity, contractive." },
  { "ae.schedule", "Values that change with the epoch (noise levels, a VAE's β)." },
  { "ae.metrics", "Accuracy, confusion matrices and other measures." },
  { "ae.pretrain", "Greedy layer-wise pretraining." },
  { "ae.plot", "Figures through gnuplot: files with their .gp scripts, or the terminal." },
  { "ae.image", "PNG and JPEG files, patches, image quality measures, colour spaces." },
  { "ae.audio", "Sound files, resampling, the STFT and speech quality measures." },
  { "ae.pca", "Exact PCA (LAPACK on BLIS)." },
  { "ae.linalg", "Small linear algebra helpers." },
  { "ae.Lesson", "The lesson framework: folders, narration, figures, reports." },
  { "ae.sweep", "Runs of a script over a grid of settings, here or on Slurm." },
  { "ae.json", "JSON in and out (metrics.json, sweeps)." },
  { "ae.i18n", "Messages in the learner's language (es, pt, en): gettext catalogues, numbers written the local way." },
  { "ae.help", "The REPL's help." },
}

local function html(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end

-- One line for the summary. A written entry's description stands beside its
-- signature (after a wide gap) or on the line under it; a source comment's
-- is its first sentence (the "(file:line)" it ends with left out).
local function summary(text)
  text = text:gsub("\n%([^\n]*:%d+%)$", "")
  local first, rest = text:match("^([^\n]*)\n?(.*)$")
  local s = first:match("%S%s%s%s+(%S.*)$")
  if not s and rest:match("^  %S") and first:find("[%(%{]") then s = rest:match("^%s*([^\n]*)") end
  if not s then
    s = text:gsub("%s*\n%s*", " ")
    s = s:match("^(.-%.)%s") or s
  end
  if utf8.len(s) > 120 then
    s = s:sub(1, utf8.offset(s, 118) - 1):gsub("%s+%S*$", "") .. " …"
  end
  return html(s:gsub("%.$", "")) .. "."
end

-- The parameter list of a Lua function as its definition names them; "..."
-- for C functions.
local function params(fn, method)
  local info = debug.getinfo(fn, "u")
  if debug.getinfo(fn, "S").what ~= "Lua" then return "..." end
  local names = {}
  for i = 1, info.nparams do names[i] = debug.getlocal(fn, i) end
  if method or names[1] == "self" then table.remove(names, 1) end -- the receiver, before the colon
  if info.isvararg then names[#names + 1] = "..." end
  return table.concat(names, ", ")
end

-- Functions by module: { [module] = {{name =, params =, text =}, ...} }.
local by_module, missing = {}, {}
local function add(module, name, fn, text)
  if not text or #text < 20 then
    missing[#missing + 1] = module .. "." .. name
    return
  end
  by_module[module] = by_module[module] or {}
  local method = module == "Model" or module == "Tensor" or module == "Layer"
  table.insert(by_module[module], { name = name, params = params(fn, method), text = text })
end

for _, p in ipairs(help.public()) do
  local prefix, name = p.name:match("^(.*)%.([^.]+)$")
  add(prefix and ("ae." .. prefix) or "ae", name or p.name, p.fn, help.text(p.fn))
end
local model_mt = require("aelab.model").metatable
for name, fn in pairs(model_mt.__index) do
  if type(fn) == "function" then add("Model", name, fn, help.text("net:" .. name)) end
end
for name, fn in pairs(getmetatable(ae.zeros(1)).__index) do add("Tensor", name, fn, help.tensor_methods[name]) end
for name, fn in pairs(getmetatable(ae.Identity()).__index) do add("Layer", name, fn, help.layer_methods[name]) end

local known = {}
for _, m in ipairs(MODULES) do known[m[1]] = true end
for m in pairs(by_module) do
  if not known[m] then missing[#missing + 1] = "module " .. m .. " (add it to MODULES in scripts/docs.lua)" end
end
if #missing > 0 then
  table.sort(missing)
  io.stderr:write("docs: no documentation for " .. #missing .. " public functions:\n  " ..
    table.concat(missing, "\n  ") .. "\nwrite an ae.help entry (bindings/aelab/help.lua) or a comment above the definition\n")
  os.exit(1)
end

-- The stubs LDoc reads: per module, its description, then each function with
-- its summary and its whole help text (preformatted, as ae.help prints it).
sys.remove_tree(src)
assert(sys.mkdir(src))
local prefix = { Model = "net:", Tensor = "x:", Layer = "layer:" }
local counts = {}
for i, m in ipairs(MODULES) do
  local name, about = m[1], m[2]
  local fns = by_module[name] or {}
  table.sort(fns, function(a, b) return a.name < b.name end)
  counts[#counts + 1] = string.format("%s %d", name, #fns)
  local lines = { "--- " .. html(about) }
  if name == "ae" then
    lines[#lines + 1] = "-- <pre>" .. html(help.text()):gsub("\n", "\n-- ") .. "</pre>"
  elseif name == "Model" or name == "Tensor" or name == "Layer" then
    local overview = help.entries[({ Model = "model", Tensor = "Tensor", Layer = "layer" })[name]]
    lines[#lines + 1] = "-- <pre>" .. html(overview):gsub("\n", "\n-- ") .. "</pre>"
  end
  lines[#lines + 1] = "-- @module " .. name
  lines[#lines + 1] = ""
  for _, f in ipairs(fns) do
    lines[#lines + 1] = "--- " .. summary(f.text)
    lines[#lines + 1] = "-- <pre>" .. html(f.text):gsub("\n", "\n-- ") .. "</pre>"
    local full = prefix[name] and (prefix[name] .. f.name) or (name == "ae" and "ae." .. f.name or name .. "." .. f.name)
    lines[#lines + 1] = string.format("function %s(%s) end", full, f.params)
    lines[#lines + 1] = ""
  end
  local ok, err = sys.write_file(string.format("%s/%02d_%s.lua", src, i, name), table.concat(lines, "\n"))
  if not ok then error(err) end
end

local config = {
  'project = "aelab"',
  'title = "aelab API reference"',
  'file = "src"', -- LDoc reads these from the config's folder
  'dir = "."',
  'format = "plain"',
  'sort_modules = false',
  'no_space_before_args = true',
  'no_return_or_parms = true', -- the signature in each text names them
  'description = "aelab: a workbench for autoencoders, C11 on BLIS driven by Lua 5.4"',
  'full_description = [[<p>Every function of <code>ae</code> and every method of its models, tensors and ' ..
    'layers, with its options, their defaults and an example where it has them: the text ' ..
    '<code>ae.help(...)</code> prints at the REPL (bindings/aelab/help.lua; for functions without a written ' ..
    'entry, the comment above their definition). Start with the README\'s short tour. Generated by ' ..
    '<code>make docs</code> (scripts/docs.lua, rendered by LDoc).</p>]]',
}
assert(sys.write_file(out .. "/config.ld", table.concat(config, "\n"), "\n"))

-- LDoc from an argument vector (no shell); its output captured and checked.
local log = out .. "/ldoc.log"
local p, err = sys.spawn({ "ldoc", "-c", out .. "/config.ld", "." }, { log = log })
if not p then
  io.stderr:write("docs: cannot run ldoc (" .. tostring(err) .. "): install Debian's lua-ldoc (scripts/install-deps.sh)\n")
  os.exit(1)
end
local ok, how, code = p:close()
local lf = io.open(log)
local text = lf and lf:read("a") or ""
if lf then lf:close() end
local bad = {}
for line in text:gmatch("[^\n]+") do
  if not (line:match("^reading configuration from ") or line:match("^changing to directory") or
      line:match("^output written to ")) then
    bad[#bad + 1] = line
  end
end
if not ok or #bad > 0 then
  io.stderr:write(string.format("docs: ldoc (%s %s) said:\n%s\n", how, tostring(code), text))
  os.exit(1)
end
local f = io.open(out .. "/index.html")
if not f then
  io.stderr:write("docs: ldoc wrote no " .. out .. "/index.html\n")
  os.exit(1)
end
f:close()
print(string.format("docs: %s/index.html (%s)", out, table.concat(counts, ", ")))
