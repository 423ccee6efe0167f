-- What the benchmarks share besides the race: another program that keeps
-- one core busy (`--busy`), and the CPU's FP32 peak to hold a model's speed
-- against.
local ae = require "aelab"
local sys = require "aelab.sys"
local M = {}

-- Starts one process that spins on a core (a Lua loop in another aelab, no
-- shell); returns a handle whose :stop() ends it. Ctrl-C or an error in the
-- race still ends it: the handle closes when collected or at a to-be-closed exit.
function M.start()
  local p = assert(sys.spawn({ ae.options.home .. "/aelab", "-e", "while true do end" }, { stdout = "null" }))
  local h = {}
  function h.stop()
    if p then
      p:kill("kill")
      p:close()
      p = nil
    end
  end
  return setmetatable(h, { __gc = h.stop, __close = h.stop })
end

-- The FP32 peak of `threads` threads (an FMA loop of the widest vectors,
-- measured once): GFLOP/s, and a line saying so.
function M.peak(threads)
  local g, bits = sys.fp32_peak(threads, 0.5)
  return g, string.format("FP32 peak of this CPU, %d threads (%d-bit FMA loop): %.0f GFLOP/s", threads, bits, g)
end

-- The CPU's model name, from /proc/cpuinfo ("?" where there is none).
function M.cpu()
  local f = io.open("/proc/cpuinfo")
  if not f then return "?" end
  local text = f:read("a")
  f:close()
  return text:match("model name%s*:%s*([^\n]+)") or "?"
end

-- The floating-point work of one training sample of a dense autoencoder
-- whose layer sizes are `sizes` (784, 128, …, 128, 784): forward, the
-- weights' gradient, and every input's gradient but the first layer's.
function M.dense_flops(sizes)
  local f = 0
  for i = 1, #sizes - 1 do f = f + 2 * sizes[i] * sizes[i + 1] * (i == 1 and 2 or 3) end
  return f
end

return M
