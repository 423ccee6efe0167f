-- The REPL as a person meets it (issue 19): values printed readably
-- (aelab/pretty.lua), and the REPL itself through a pseudo-terminal.
local lu = require "luaunit"
local H = require "helpers"
local ae = require "aelab"
local pretty = require "aelab.pretty"

TestPretty = {}

function TestPretty:test_flat_table_one_line_sorted()
  lu.assertEquals(ae.pretty({ 1, 2, b = "x", a = true }), '{1, 2, a = true, b = "x"}')
  lu.assertEquals(ae.pretty({}), "{}")
  lu.assertEquals(ae.pretty({ ["two words"] = 1, [2.5] = 2 }), '{[2.5] = 2, ["two words"] = 1}')
end

function TestPretty:test_long_list_shortened()
  local l = {}
  for i = 1, 25 do l[i] = i end
  lu.assertEquals(ae.pretty(l), "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …(15 more)}")
  lu.assertEquals(ae.pretty(l, { items = 3 }), "{1, 2, 3, …(22 more)}")
end

function TestPretty:test_nesting_depth_and_cycles()
  local t = { a = { b = { c = { d = 1, e = 2 } } } }
  lu.assertEquals(ae.pretty(t), "{a = {b = {c = {…2 entries}}}}")
  lu.assertEquals(ae.pretty(t, { depth = 4 }), "{a = {b = {c = {d = 1, e = 2}}}}")
  local c = { name = "loop" }
  c.self = c
  lu.assertEquals(ae.pretty(c), '{name = "loop", self = <cycle>}')
  -- the same table twice (not a cycle) prints twice
  local shared = { 1 }
  lu.assertEquals(ae.pretty({ shared, shared }), "{{1}, {1}}")
end

function TestPretty:test_tensors_summarized_inside_tables()
  local s = ae.pretty({ x = ae.zeros(60000, 784), y = ae.tensor { 1, 2 } })
  lu.assertStrContains(s, "x = Tensor[60000×784] {0, 0, 0, 0, 0, 0, …} min 0 max 0")
  lu.assertStrContains(s, "y = Tensor[2] {1, 2}")
  lu.assertNil(s:find("table: 0x", 1, true))
end

function TestPretty:test_wide_tables_break_into_lines()
  local classes = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
    "Ankle boot" }
  local s = ae.pretty({ classes = classes, n = 10 })
  lu.assertEquals(s, '{\n  classes = {\n    "T-shirt/top",\n    "Trouser",\n    "Pullover",\n    "Dress",\n' ..
    '    "Coat",\n    "Sandal",\n    "Shirt",\n    "Sneaker",\n    "Bag",\n    "Ankle boot"\n  },\n  n = 10\n}')
end

function TestPretty:test_strings_numbers_functions()
  lu.assertEquals(ae.pretty({ 0.1 + 0.2, 1 / 0, 0 / 0, 3 }), "{0.3, inf, nan, 3}")
  lu.assertEquals(ae.pretty({ "a\nb" }), '{"a\\nb"}')
  local long = ae.pretty({ string.rep("é", 100) })
  lu.assertStrContains(long, "…(200 bytes)")
  lu.assertEquals(ae.pretty({ print }), "{function (builtin)}")
  lu.assertStrMatches(ae.pretty({ pretty.format }), "{function %(.*bindings/aelab/pretty%.lua:%d+%)}")
end

function TestPretty:test_objects_keep_their_own_text()
  local net = ae.Autoencoder { encoder = { ae.Dense(4, 2) }, decoder = { ae.Dense(2, 4) } }
  lu.assertEquals(ae.pretty(net), tostring(net))
  lu.assertStrContains(ae.pretty({ net = net }), "Autoencoder: input (4)")
end

function TestPretty:test_unknown_option_refused()
  H.error_containing(lu, "ae.pretty: unknown option 'item'", ae.pretty, {}, { item = 3 })
end

function TestPretty:test_print_scalars_as_print_does()
  local path = os.tmpname()
  local f = io.output()
  io.output(path)
  pretty.print("plain", 3, nil, { 1 })
  io.output():close()
  io.output(f)
  lu.assertEquals(H.read(path), "plain\t3\tnil\t{1}\n")
  os.remove(path)
end

-- The REPL through a pseudo-terminal (util-linux `script`).
local function repl_session(input) return H.repl_at_terminal(input, "TERM=dumb") end

TestRepl = {}

function TestRepl:test_tables_print_readably()
  H.need_script(lu)
  local text = repl_session("{epochs = 2, loss = {0.5, 0.25}, x = ae.zeros(3, 2)}\n\4")
  lu.assertStrContains(text, "{epochs = 2, loss = {0.5, 0.25}, x = Tensor[3×2] {0, 0, 0, 0, 0, 0}}")
  lu.assertNil(text:find("table: 0x", 1, true))
end

-- Tab completion (aelab/complete.lua, asked by readline in bindings/main.c).
TestComplete = {}

local complete = require "aelab.complete"

function TestComplete:test_globals_and_keywords()
  local env = setmetatable({ ae = ae, network = 1, _hidden = 2 }, { __index = _G })
  lu.assertEquals(complete.candidates("netw", env), { "network" })
  lu.assertEquals(complete.candidates("whi", env), { "while" })
  lu.assertEquals(complete.candidates("_hid", env), { "_hidden" })
  lu.assertNil(table.concat(complete.candidates("", env), " "):find("_hidden", 1, true), "_names only when asked")
end

function TestComplete:test_fields_after_a_dot()
  local env = { ae = ae }
  lu.assertEquals(complete.candidates("ae.ze", env), { "ae.zeros" })
  lu.assertEquals(complete.candidates("ae.optim.Ada", env), { "ae.optim.Adadelta", "ae.optim.Adam" })
  -- a lazily loaded module of ae is offered and entered
  lu.assertEquals(complete.candidates("ae.pl", env), { "ae.plot" })
  lu.assertEquals(complete.candidates("ae.plot.hist", env), { "ae.plot.histogram", "ae.plot.history" })
  lu.assertEquals(complete.candidates("nothing.x", env), {})
  lu.assertEquals(complete.candidates("ae.zeros.x", env), {})
end

function TestComplete:test_methods_after_a_colon()
  local env = { x = ae.zeros(2, 3), net = ae.Sequential { ae.Dense(2, 2) }, t = { f = print, n = 1 } }
  lu.assertEquals(complete.candidates("x:num", env), { "x:numel" })
  lu.assertEquals(complete.candidates("net:fi", env), { "net:fit" })
  lu.assertEquals(complete.candidates("t:", env), { "t:f" }, "after a colon, functions only")
  lu.assertEquals(complete.candidates("t.", env), { "t.f", "t.n" })
end

function TestComplete:test_completing_runs_no_code()
  local ran = false
  local env = { trap = setmetatable({}, { __index = function() ran = true end }) }
  lu.assertEquals(complete.candidates("trap.a", env), {})
  lu.assertFalse(ran, "an __index function is not called")
end

function TestRepl:test_tab_completes_names_and_methods()
  H.need_script(lu)
  local text = repl_session("x = ae.ze\t(2, 3)\nprint(x:nu\t() * 7)\nprint(ae.plot.histo\tr\t ~= nil)\n\4")
  lu.assertStrContains(text, "ae> x = ae.zeros(2, 3)")
  lu.assertStrContains(text, "42")
  lu.assertStrContains(text, "print(x:numel() * 7)")
  lu.assertStrContains(text, "ry ~= nil)\r\ntrue")
end

-- ae.help (aelab/help.lua): one call's options, defaults and an example.
TestHelp = {}

local help = require "aelab.help"

function TestHelp:test_every_public_function_has_help()
  local list = help.public()
  lu.assertTrue(#list > 150, "the walk finds ae's functions: " .. #list)
  local missing = {}
  for _, p in ipairs(list) do
    local t = help.text(p.fn)
    if not t or #t < 20 then missing[#missing + 1] = p.name end
  end
  lu.assertEquals(missing, {}, "functions of ae without a help entry")
end

function TestHelp:test_written_entries_name_real_functions()
  local ae_ = require "aelab"
  for name in pairs(help.entries) do
    if not ({ model = true, Tensor = true, layer = true, fit = true, losses = true })[name] then
      local v = ae_
      for part in name:gmatch("[^.]+") do v = type(v) == "table" and v[part] or nil end
      lu.assertEquals(type(v), "function", "help entry '" .. name .. "' names no function of ae")
    end
  end
end

-- Every model method has an entry of its own (written, for the ones made
-- in C, or the comment above its definition), not the bare fallback.
function TestHelp:test_every_model_method_has_help()
  local mt = require("aelab.model").metatable
  local missing = {}
  for name, fn in pairs(mt.__index) do
    local t = help.text("net:" .. name)
    if type(fn) == "function" and (not t or t:match("a model method$")) then missing[#missing + 1] = name end
  end
  table.sort(missing)
  lu.assertEquals(missing, {}, "model methods without a help entry")
  lu.assertEquals(help.text("net:forward"), help.text(ae.Sequential { ae.Dense(2, 2) }.forward))
end

-- Tensor and layer methods (made in C) each have an entry, found by name
-- ("x:argmax", "layer:config") and by the method itself.
function TestHelp:test_every_tensor_and_layer_method_has_help()
  for _, case in ipairs { { ae.zeros(1), help.tensor_methods, "x:" }, { ae.Dense(2, 2), help.layer_methods, "layer:" } } do
    local missing = {}
    for name, fn in pairs(getmetatable(case[1]).__index) do
      if not case[2][name] then missing[#missing + 1] = name end
      lu.assertEquals(help.text(fn), case[2][name], case[3] .. name .. " by value")
    end
    table.sort(missing)
    lu.assertEquals(missing, {}, case[3] .. " methods without a help entry")
    for name in pairs(case[2]) do
      lu.assertEquals(type(getmetatable(case[1]).__index[name]), "function", case[3] .. name .. " is a real method")
    end
  end
  lu.assertStrContains(help.text("x:argmax"), "1-based")
  lu.assertStrContains(help.text("layer:forward"), "layer:forward(x)")
  lu.assertStrContains(help.text("net:forward"), "net:forward(x [, from, to])")
end

-- Every option fit accepts (its FIT_OPTIONS list) is in ae.help("fit").
function TestHelp:test_fit_entry_names_every_option()
  local src = assert(H.read("bindings/aelab/fit.lua"))
  local list = assert(src:match("local FIT_OPTIONS = (%b{})"), "fit.lua's FIT_OPTIONS")
  local t, n = help.text("fit"), 0
  for key in list:gmatch('"([%w_]+)"') do
    n = n + 1
    lu.assertNotNil(t:find("%f[%w_]" .. key .. "%f[^%w_]"), "fit's option " .. key .. " in ae.help('fit')")
  end
  lu.assertTrue(n >= 18, "the list was read: " .. n)
end

-- The options users went to the source for (issue 19) are in the entries.
function TestHelp:test_options_users_needed()
  local function has(what, ...)
    local t = assert(help.text(what))
    for _, s in ipairs { ... } do lu.assertStrContains(t, s, false, what) end
  end
  has("data.fashion_mnist", "limit = nil", "test_limit = limit", "y        [N] the 0-based class")
  has("data.mnist", "limit = nil", "test_limit = limit")
  has("data.letters", "chars", "there is no y")
  has("fit", "verbose = true", "summary_every", "target = x")
  has("Tensor", "x:argmax() (1-based)")
  has("Sequential", "ae.Sequential{layer, layer, ...", "cross_entropy")
  has("losses", '"mse"', '"bce"', '"mse_sum"', '"bce_sum"', '"cross_entropy"')
  has("plot.show", "sixels", "kitty", "--show")
end

-- Every written entry's example runs (tests/help_examples.lua, in a scratch
-- folder, on a shortened Fashion-MNIST): help never shows a failing call.
function TestHelp:test_examples_run()
  local here = os.getenv("PWD") or "."
  local bin = H.BIN:sub(1, 1) == "/" and H.BIN or here .. "/" .. H.BIN:gsub("^%./", "")
  local dir = H.tmpdir()
  local out, err, code = H.run(string.format("cd %s && env -u DISPLAY COLUMNS=40 %s --threads 1 %s", H.q(dir),
    H.q(bin), H.q(here .. "/tests/help_examples.lua")))
  H.rmdir(dir)
  local ran = out:match("help%-examples: (%d+) ran, %d+ skipped, 0 failed")
  lu.assertNotNil(ran, "help examples failed:\n" .. out:sub(-3000) .. err)
  lu.assertTrue(tonumber(ran) >= 60, "the examples run: " .. ran)
  lu.assertEquals(code, 0)
end

function TestHelp:test_fit_gives_options_defaults_and_example()
  local t = assert(help.text("fit"))
  for _, s in ipairs { "epochs = 10", "batch = 32", "optimizer = Adam{}", "validation = nil", "shuffle = true",
    "example:\n  h = net:fit(" } do
    lu.assertStrContains(t, s)
  end
  lu.assertEquals(help.text("net:fit"), t)
  lu.assertEquals(help.text(ae.Sequential { ae.Dense(2, 2) }.fit), t, "by the method itself")
end

function TestHelp:test_by_function_and_by_value()
  local t = assert(help.text(ae.plot.latent))
  lu.assertStrContains(t, "ae.plot.latent(z, labels, opts)")
  lu.assertStrContains(t, "classes = nil")
  lu.assertStrContains(t, "example:")
  local net = ae.Autoencoder { encoder = { ae.Dense(4, 2) }, decoder = { ae.Dense(2, 4) } }
  t = assert(help.text(net))
  lu.assertStrContains(t, "net:encode(x)")
  lu.assertStrContains(t, "Autoencoder: input (4)")
  lu.assertStrContains(assert(help.text(ae.zeros(2))), "x:argmax() (1-based)")
  lu.assertStrContains(assert(help.text(ae.ReLU())), "layer:parameters()")
  -- a function without a written entry: the comment above its definition
  t = assert(help.text(ae.plot.history))
  lu.assertStrContains(t, "history: loss curves")
  lu.assertStrMatches(t, ".*plots/charts%.lua:%d+%)$")
  lu.assertStrContains(assert(help.text("ae.optim.Adam")), "lr = 0.001")
end

function TestHelp:test_unknown_names_say_so()
  local t, why = help.text("nope")
  lu.assertNil(t)
  lu.assertStrContains(why, "no entry for 'nope'")
  t, why = help.text(42)
  lu.assertNil(t)
  lu.assertStrContains(why, "got a number")
  lu.assertStrContains(help.text(), "ae.help(\"fit\")")
end
