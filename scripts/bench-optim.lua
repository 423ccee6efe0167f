-- The full-batch optimizers against scipy (make bench-optim): the same
-- problems from the same initial weights, minimized by aelab's LBFGS
-- (libLBFGS), CG (ours, and GSL's beside it) and Powell (NLopt's PRAXIS) and by
-- scipy.optimize.minimize's L-BFGS-B, CG and Powell (scripts/scipy_optim.py,
-- float64 numpy), with the same iteration and evaluation budgets. Prints
-- the table and writes it to out/bench-optim/results.md.
--
--   ./aelab scripts/bench-optim.lua [--quick]
--
-- Problems: the letters (35-25-15-10-2 and back, tanh, sigmoid out, BCE)
-- and a 784-64-784 autoencoder (ReLU, sigmoid out, BCE) on 1,000 MNIST
-- digits (500 with --quick). Powell on MNIST is left out on both sides:
-- 101,200 parameters need an n×n matrix of directions (82 GB). Powell is
-- bounded by an evaluation budget (the same on both sides). Timings: a
-- shared 2-core machine, one run each: noisy.
local ae = require "aelab"
local json = ae.json
local sys = require "aelab.sys"

local quick = ae.options.quick
for _, a in ipairs(arg or {}) do if a == "--quick" then quick = true end end
local dir = ae.options.out .. "/bench-optim"
assert(sys.mkdir(dir))

local POWELL_EVALS = quick and 3000 or 30000

local function letters_model()
  local enc, dec, prev = {}, {}, 35
  for _, n in ipairs { 25, 15, 10 } do
    enc[#enc + 1], enc[#enc + 2], prev = ae.Dense(prev, n), ae.Tanh(), n
  end
  enc[#enc + 1] = ae.Dense(prev, 2)
  prev = 2
  for _, n in ipairs { 10, 15, 25 } do
    dec[#dec + 1], dec[#dec + 2], prev = ae.Dense(prev, n), ae.Tanh(), n
  end
  dec[#dec + 1], dec[#dec + 2] = ae.Dense(prev, 35), ae.Sigmoid()
  return ae.Autoencoder { encoder = enc, decoder = dec }
end

local function mnist_model()
  return ae.Autoencoder { encoder = { ae.Dense(784, 64), ae.ReLU() }, decoder = { ae.Dense(64, 784), ae.Sigmoid() } }
end

local ACT = { Tanh = "tanh", Sigmoid = "sigmoid", ReLU = "relu" }

-- The Dense layers with the activation after each, as scipy_optim.py reads them.
local function export(net, name, x)
  local layers, spec = net:layers(), {}
  for i, l in ipairs(layers) do
    if l:config().kind == "Dense" then
      local p = l:parameters()
      local nxt = layers[i + 1] and layers[i + 1]:config().kind
      local k = #spec + 1
      local wf, bf = string.format("%s_W%d.npy", name, k), string.format("%s_b%d.npy", name, k)
      assert(p[1]:save_npy(dir .. "/" .. wf))
      assert(p[2]:save_npy(dir .. "/" .. bf))
      spec[k] = { W = wf, b = bf, act = ACT[nxt] or "identity" }
    end
  end
  assert(x:save_npy(dir .. "/" .. name .. "_x.npy"))
  return spec
end

local problems = {}
do
  ae.seed(42)
  local x = ae.data.letters().x
  problems[#problems + 1] = { name = "letters 35-25-15-10-2", key = "letters", net = letters_model(), x = x, threads = 1,
    runs = {
      { ours = ae.optim.LBFGS {}, iters = 500, scipy = { method = "L-BFGS-B", options = { maxiter = 500, maxfun = 100000 } } },
      { ours = ae.optim.CG {}, iters = 500, scipy = { method = "CG", options = { maxiter = 500 } } },
      { ours = ae.optim.CG { method = "gsl" }, label = "CG (GSL)", iters = 500 },
      { ours = ae.optim.Powell { max_evals = POWELL_EVALS }, iters = 1000000,
        scipy = { method = "Powell", options = { maxfev = POWELL_EVALS, maxiter = 1000000 } } },
    } }
end
do
  ae.seed(42)
  local n = quick and 500 or 1000
  local train = assert(ae.data.mnist { limit = n, test_limit = 1 })
  problems[#problems + 1] = { name = string.format("MNIST 784-64-784, %d digits", n), key = "mnist", net = mnist_model(),
    x = train.x, threads = ae.threads(),
    runs = {
      { ours = ae.optim.LBFGS {}, iters = quick and 20 or 100,
        scipy = { method = "L-BFGS-B", options = { maxiter = quick and 20 or 100, maxfun = 100000 } } },
      { ours = ae.optim.CG {}, iters = quick and 20 or 100, scipy = { method = "CG", options = { maxiter = quick and 20 or 100 } } },
      { ours = ae.optim.CG { method = "gsl" }, label = "CG (GSL)", iters = quick and 20 or 100 },
    } }
end

local spec = { problems = {} }
for _, p in ipairs(problems) do
  p.net:set_loss("bce")
  local runs = {}
  for _, r in ipairs(p.runs) do runs[#runs + 1] = r.scipy end -- aelab-only rows have none
  spec.problems[#spec.problems + 1] = { name = p.name, layers = export(p.net, p.key, p.x), x = p.key .. "_x.npy", runs = runs }
end
assert(sys.write_file(dir .. "/problem.json", json.encode(spec)))

-- aelab's runs, each from the exported weights
local threads0 = ae.threads()
for _, p in ipairs(problems) do
  local w = p.net:parameters()
  local w0 = w:clone()
  ae.threads(p.threads)
  for _, r in ipairs(p.runs) do
    w:copy(w0)
    local h = p.net:fit(p.x, { optimizer = r.ours, epochs = r.iters, verbose = false })
    r.result = { loss = h.final_loss, evals = h.total_evals, grads = h.total_grads, iters = h.epochs,
      seconds = h.total_seconds, why = h.why }
    print(string.format("aelab  %-28s %-7s loss %.6g  %d evaluations (%d gradients), %d iterations, %.2f s: %s", p.name,
      r.label or r.ours.kind, h.final_loss, h.total_evals, h.total_grads, h.epochs, h.total_seconds, h.why))
  end
end
ae.threads(threads0)

-- scipy's, in one process
-- started from an argv (no shell reads the folder's name); it writes dir/scipy.json
os.remove(dir .. "/scipy.json")
local py, perr = sys.spawn({ "/usr/bin/python3", ae.options.home .. "/scripts/scipy_optim.py", dir })
local by = {}
if not (py and py:close()) then
  print("scipy_optim.py failed (see above); is python3-scipy installed?" .. (perr and " " .. perr or ""))
else
  local fh = assert(io.open(dir .. "/scipy.json"))
  local list = json.decode(fh:read("a"))
  fh:close()
  for _, v in ipairs(list) do
    by[v.problem .. "|" .. v.method] = v
    print(string.format("scipy  %-28s %-8s loss %.6g  %d evaluations (%d gradients), %d iterations, %.2f s: %s",
      v.problem, v.method, v.loss, v.nfev, v.njev, v.nit, v.seconds, v.message))
  end
end

local md = { "| problem | aelab | loss | evaluations (gradients) | seconds | scipy | loss | evaluations (gradients) | seconds |",
  "|---|---|---:|---:|---:|---|---:|---:|---:|" }
for _, p in ipairs(problems) do
  for _, r in ipairs(p.runs) do
    local a, s = r.result, r.scipy and by[p.name .. "|" .. r.scipy.method] or {}
    md[#md + 1] = string.format("| %s | %s | %.5g | %s (%s) | %.2f | %s | %s | %s (%s) | %s |", p.name, r.label or r.ours.kind,
      a.loss, ae.commas(a.evals), ae.commas(a.grads), a.seconds, r.scipy and r.scipy.method or "—", s.loss and string.format("%.5g", s.loss) or "—",
      s.nfev and ae.commas(s.nfev) or "—", s.njev and ae.commas(s.njev) or "—",
      s.seconds and string.format("%.2f", s.seconds) or "—")
  end
  if p.key == "mnist" then
    md[#md + 1] = string.format("| %s | Powell | — | — | — | Powell | — | — | — |", p.name)
  end
end
local text = table.concat(md, "\n") .. "\n\nBudgets: the letters' L-BFGS and CG at most 500 iterations, Powell " ..
  POWELL_EVALS .. " evaluations on both sides; MNIST's L-BFGS and CG " .. (quick and 20 or 100) .. " iterations. " ..
  "Powell is not run on MNIST: 101,200 parameters need an n×n matrix of directions (82 GB) in NLopt's PRAXIS " ..
  "and scipy's Powell alike. aelab computes in float32, scipy_optim.py in float64; aelab's letters run on one thread. " ..
  "One run each on a shared 2-core machine: the seconds are noisy. CG (GSL) is GSL's Polak–Ribière " ..
  "(ae.optim.CG{method = \"gsl\"}), measured beside ours (Polak–Ribière+, strong-Wolfe line search).\n"
print("\n" .. text)
assert(sys.write_file(dir .. "/results.md", text))
print("written: " .. dir .. "/results.md")
