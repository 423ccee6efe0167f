-- Runs the example of every written ae.help entry (tests/test_repl.lua runs
-- this in a scratch folder): help that shows a call that fails is worse
-- than none. Each example gets a fresh environment with the names the
-- entries take for granted: train, test (Fashion-MNIST, shortened), x, y,
-- net (a trained 784-32-784 autoencoder), clf, vae, enc, layer, pred.
-- Prints "help-examples: N ran, M skipped" or each failure; exits 1 on one.
local ae = require "aelab"
local help = require "aelab.help"

-- full-batch runs of hundreds of iterations on a 50,000-weight model: the
-- calls are checked by their own tests (test_optim.lua), not run here
local SKIP = { ["optim.LBFGS"] = "hundreds of full-batch iterations", ["optim.CG"] = "hundreds of full-batch iterations",
  ["optim.Powell"] = "100,000 evaluations" }

local train, test = assert(ae.data.fashion_mnist { limit = 300, test_limit = 100 })
local net = ae.Autoencoder { encoder = { ae.Dense(784, 32), ae.ReLU() }, decoder = { ae.Dense(32, 784), ae.Sigmoid() } }
net:fit(train.x, { epochs = 1, batch = 100, loss = "bce", verbose = false })
ae.image.write(ae.rand(1, 3, 20, 30), "recon.png")

local function env()
  local clf = ae.Sequential { ae.Dense(784, 10) }
  clf:set_loss("cross_entropy")
  local e = { ae = ae, train = train, test = test, x = test.x, y = test.y, net = net, clf = clf,
    enc = ae.Dense(784, 32), layer = ae.Dense(784, 32), pred = clf:predict(test.x),
    vae = ae.VAE { encoder = { ae.Dense(784, 16), ae.ReLU() }, latent = 2, decoder = { ae.Dense(2, 784), ae.Sigmoid() } } }
  -- examples that print go nowhere: the run's output stays the summary
  e.print = function() end
  return setmetatable(e, { __index = _G })
end

local names = {}
for k in pairs(help.entries) do names[#names + 1] = k end
for k in pairs(help.methods) do names[#names + 1] = "net:" .. k end
table.sort(names)
local ran, skipped, failed = 0, 0, 0
for _, name in ipairs(names) do
  local text = help.entries[name] or help.methods[name:match("^net:(.*)$") or ""]
  local code = text and text:match("\nexample:\n(.*)$")
  if code and SKIP[name] then
    skipped = skipped + 1
  elseif code then
    code = code:gsub("\n  ", "\n"):gsub("^  ", "")
    local chunk, err = load(code, "=" .. name, "t", env())
    local ok, why = chunk ~= nil, err
    if chunk then ok, why = pcall(chunk) end
    if ok then ran = ran + 1 else
      failed = failed + 1
      print(string.format("help-examples: %s failed: %s\n  %s", name, tostring(why), code))
    end
  end
end
print(string.format("help-examples: %d ran, %d skipped, %d failed", ran, skipped, failed))
os.exit(failed == 0 and 0 or 1)
