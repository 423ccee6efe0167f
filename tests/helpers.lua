-- Shared test helpers: finite-difference gradient checks.
local ae = require "aelab"
local H = {}

-- Central differences in float32: eps ~1e-3, tolerance ~1e-2 relative.
H.EPS = 1e-3
H.RTOL = 2e-2
H.ATOL = 2e-4
H.SEED = 1234

-- Largest violation of |a-b| <= ATOL + RTOL*max(|a|,|b|) between two tensors; 0 when all fit.
function H.worst(a, b, rtol, atol)
  rtol, atol = rtol or H.RTOL, atol or H.ATOL
  local ta, tb = a:reshape(a:numel()), b:reshape(b:numel())
  local worst, at = 0, nil
  for i = 1, ta:numel() do
    local x, y = ta:get(i), tb:get(i)
    local excess = math.abs(x - y) - (atol + rtol * math.max(math.abs(x), math.abs(y)))
    if excess > worst then worst, at = excess, i end
  end
  return worst, at
end

-- Numerical gradient of scalar f() with respect to every entry of tensor p
-- (changed in place and restored).
function H.numeric_grad(f, p, eps)
  eps = eps or H.EPS
  local flat = p:reshape(p:numel())
  local g = ae.zeros(p:numel())
  for i = 1, flat:numel() do
    local v = flat:get(i)
    flat:set(i, v + eps)
    local fp = f()
    flat:set(i, v - eps)
    local fm = f()
    flat:set(i, v)
    g:set(i, (fp - fm) / (2 * eps))
  end
  return g:reshape(p:size())
end

-- Checks a layer's input gradient and parameter gradients against finite
-- differences of L = sum(forward(x) * w) for a fixed random w.
function H.check_layer(lu, layer, x, label)
  local y = layer:forward(x)
  local w = ae.randn(y:size())
  local function loss() return (layer:forward(x) * w):sum() end
  layer:zeroGrad()
  local dx = layer:backward(x, w)
  local num_dx = H.numeric_grad(loss, x)
  local bad, at = H.worst(dx, num_dx)
  lu.assertEquals(bad, 0, string.format("%s: input gradient differs at %s (analytic %s, numeric %s)", label,
    tostring(at), at and dx:reshape(dx:numel()):get(at), at and num_dx:reshape(num_dx:numel()):get(at)))
  local params, grads = layer:parameters()
  for k, p in ipairs(params) do
    local num = H.numeric_grad(loss, p)
    local bad2, at2 = H.worst(grads[k], num)
    lu.assertEquals(bad2, 0, string.format("%s: gradient of parameter %d differs at %s", label, k, tostring(at2)))
  end
end

-- Runs fn(...) expecting an error; returns the message (fails the test when
-- fn succeeds or the message lacks `plain` as a plain substring).
function H.error_containing(lu, plain, fn, ...)
  local ok, err = pcall(fn, ...)
  lu.assertFalse(ok, "expected an error containing: " .. plain)
  err = tostring(err)
  lu.assertTrue(err:find(plain, 1, true) ~= nil,
    string.format("error message %q does not contain %q", err, plain))
  return err
end

-- Runs fn(...) expecting the nil, message of a failure with a file or the
-- machine (no error raised); returns the message (fails the test when fn
-- raises, succeeds, or the message lacks `plain`).
function H.failure_containing(lu, plain, fn, ...)
  local ok, res, msg = pcall(fn, ...)
  lu.assertTrue(ok, "expected nil, message but it raised: " .. tostring(res))
  lu.assertNil(res, "expected nil, message containing: " .. plain)
  msg = tostring(msg)
  lu.assertTrue(msg:find(plain, 1, true) ~= nil, string.format("message %q does not contain %q", msg, plain))
  return msg
end

-- An input x = draw() whose activations after layers 1..layer of model m
-- all keep `gap` away from 0, where a ReLU-like kink would spoil finite
-- differences; redraws up to `tries` times.
function H.clear_of_kinks(m, draw, layer, gap, tries)
  for _ = 1, tries do
    local x = draw()
    local pre = m:forward(x, 1, layer)
    local ok = true
    for _, v in ipairs(pre:reshape(pre:numel()):totable()) do
      if math.abs(v) < gap then ok = false break end
    end
    if ok then return x end
  end
  error(string.format("no input clear of the kink in %d draws", tries), 2)
end

-- The aelab binary the subprocess tests run (the sanitizer run sets AELAB_BIN).
H.BIN = os.getenv("AELAB_BIN") or "./aelab"

-- A fresh temporary directory (removed with H.rmdir).
function H.tmpdir()
  local name = os.tmpname()
  os.remove(name)
  assert(os.execute("mkdir -p '" .. name .. "'"), "cannot create " .. name)
  return name
end

function H.rmdir(dir)
  if dir and dir:match("^/tmp/") then os.execute("rm -rf '" .. dir .. "'") end
end

-- A file's bytes, or nil when it cannot be read.
function H.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- A PNG's width and height (8-byte signature, then the IHDR chunk with both,
-- big-endian); nil when the file is missing or not a PNG.
function H.png_size(path)
  local s = H.read(path)
  if not s or #s < 24 or s:sub(1, 8) ~= "\137PNG\r\n\26\n" or s:sub(13, 16) ~= "IHDR" then return nil end
  return string.unpack(">I4", s, 17), string.unpack(">I4", s, 21)
end

function H.write_file(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

-- Runs a shell command; returns its stdout, stderr and exit code.
function H.run(cmd)
  local err = os.tmpname()
  local p = assert(io.popen(cmd .. " 2>'" .. err .. "'", "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = io.open(err, "rb")
  local stderr = f and f:read("a") or ""
  if f then f:close() end
  os.remove(err)
  return out, stderr, code
end

-- Shell quoting for one argument.
function H.q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Whether util-linux `script` is installed: it gives the REPL tests a
-- pseudo-terminal. Skips the calling test when it is not.
function H.need_script(lu)
  if os.execute("command -v script >/dev/null 2>&1") ~= true then lu.skip("util-linux `script` is not installed") end
end

-- Feeds input to an aelab REPL at a pseudo-terminal (util-linux `script`)
-- and returns what the terminal showed. env: more arguments for env(1)
-- ("TERM=dumb", "-u DISPLAY TERM=xterm"); HOME is a fresh folder, so no
-- history of the user's is read or written; a hung REPL is killed after 60 s.
function H.repl_at_terminal(input, env, bin)
  local dir = H.tmpdir()
  local log = dir .. "/repl.log"
  local w = assert(io.popen(string.format("env %s HOME=%s timeout -s KILL 60 script -qfec %s /dev/null > %s 2>&1",
    env or "", H.q(dir), H.q(bin or H.BIN), H.q(log)), "w"))
  w:write(input)
  w:close()
  local text = H.read(log) or ""
  H.rmdir(dir)
  return text
end

-- Seeds the generator (H.SEED unless told), so a failing check can be replayed.
function H.seed(seed)
  seed = seed or H.SEED
  ae.seed(seed)
  return seed
end

-- Says which seed a file's checks use (once, as the file loads).
function H.announce_seed(file) print(string.format("%s: seed %d (helpers.SEED)", file, H.SEED)) end

return H
