-- The race both benchmarks run (bench-dense.lua, bench-conv.lua): rounds
-- alternate between the contenders so drifts of this VM hit them alike;
-- each round is a fresh process that prints one JSON line with its
-- samples_per_s and a test metric per epoch (test_bce, or the field the
-- race names: the classifier race's test_accuracy). A contender's figure
-- is the median over all its epochs.
local ae = require "aelab"

local function numbers(list)
  local out = {}
  for v in list:gmatch("[%d%.eE%+%-]+") do out[#out + 1] = tonumber(v) end
  return out
end

-- One round of contender c: its output (stdout and stderr) and whether it
-- exited 0. c.argv (a list) runs with no shell, so paths with spaces or
-- quotes in them are only paths; an environment variable is set through
-- `env` at its head.
local function run(c)
  local sys = require "aelab.sys"
  local log = os.tmpname()
  local p, err = sys.spawn(c.argv, { log = log })
  if not p then
    os.remove(log)
    return tostring(err), false
  end
  local ok = p:close()
  local f = io.open(log, "rb")
  local out = f and f:read("a") or ""
  if f then f:close() end
  os.remove(log)
  return out, ok
end

-- contenders: { name =, argv = {...} }...; width: the name column; label: what
-- the metric is ("test BCE"); key: its JSON field ("test_bce"). Prints each
-- round and then the table; fills c.rates, c.metric (the metric of the last
-- round, by epoch),
-- c.json (its whole line) and c.median.
return function(contenders, rounds, width, label, key)
  key = key or "test_bce"
  assert(key:match("^[%w_]+$"), "race: key must be a JSON field name")
  for _, c in ipairs(contenders) do c.rates, c.metric = {}, nil end
  for r = 1, rounds do
    for _, c in ipairs(contenders) do
      local out, ok = run(c)
      local line = out:match("(%{[^\n]*\"median_samples_per_s\"[^\n]*%})")
      if not ok or not line then
        error(string.format("%s failed:\n%s\n(%s)", c.name, out, table.concat(c.argv, " ")))
      end
      local rates = numbers(line:match('"samples_per_s":%s*(%b[])'))
      for _, v in ipairs(rates) do c.rates[#c.rates + 1] = v end
      local metric = line:match('"' .. key .. '":%s*(%b[])')
      if not metric then error(string.format("%s printed no %s:\n%s", c.name, key, line)) end
      c.metric = numbers(metric)
      c.json = line -- the whole line, for fields of a race's own (ae.json.decode)
      io.write(string.format("  round %d  %-" .. width .. "s median %8.0f samples/s\n", r, c.name, ae.median(rates)))
      io.stdout:flush()
    end
  end
  print()
  print(string.format("%-" .. width .. "s %14s %16s", "contender", "samples/s", label or "test BCE"))
  for _, c in ipairs(contenders) do
    c.median = ae.median(c.rates)
    print(string.format("%-" .. width .. "s %14.0f %16.4f", c.name, c.median, c.metric[#c.metric]))
  end
  return contenders
end
