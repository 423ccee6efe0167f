-- How numbers and models read as text: thousands separators, the median
-- that reports quote, a model's Keras-like summary and its per-layer profile.
-- Pure functions of what the model's C methods return; models.lua installs
-- summary and profile as methods.
local format = {}

local function shape_str(s) return "(" .. table.concat(s, "×") .. ")" end

-- 1234567 → "1,234,567"
function format.commas(n)
  local s = tostring(n)
  while true do
    local k
    s, k = s:gsub("^(-?%d+)(%d%d%d)", "%1,%2")
    if k == 0 then return s end
  end
end
local commas = format.commas

-- The median of a list of numbers (the mean of the middle two for an even
-- count; NaN for none): what benchmarks and lessons quote.
function format.median(list)
  local s = {}
  for i, v in ipairs(list) do s[i] = v end
  table.sort(s)
  local n = #s
  if n == 0 then return 0 / 0 end
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

-- A Keras-like summary: layers, output shapes, parameter counts.
function format.summary(model)
  local code, n = model:code_index()
  local shapes, layers = model:shapes(), model:layers()
  local rows = {}
  local w1, w2 = #"layer", #"output"
  local frozen = 0
  for i = 1, n do
    local name, out = tostring(layers[i]), shape_str(shapes[i + 1])
    -- a frozen layer says so beside its count (fit leaves its weights alone)
    if layers[i]:is_frozen() then frozen = frozen + layers[i]:param_count() end
    rows[i] = { name, out, commas(layers[i]:param_count()), layers[i]:is_frozen() }
    w1, w2 = math.max(w1, utf8.len(name)), math.max(w2, utf8.len(out))
  end
  local kind = code < n and "Autoencoder" or "Sequential"
  local lines = { string.format("%s: input %s → output %s", kind, shape_str(shapes[1]), shape_str(shapes[n + 1])) }
  local function row(a, b, c, d)
    return string.format("  %-3s %s%s  %s%s  %10s", a, b, string.rep(" ", w1 - utf8.len(b)), c,
      string.rep(" ", w2 - utf8.len(c)), d)
  end
  lines[#lines + 1] = row("#", "layer", "output", "params")
  for i = 1, n do
    lines[#lines + 1] = row(tostring(i), rows[i][1], rows[i][2], rows[i][3]) .. (rows[i][4] and "  frozen" or "")
    if i == code and code < n then
      lines[#lines + 1] = "  --- code " .. shape_str(shapes[i + 1]) .. " ---"
    end
  end
  lines[#lines + 1] = "  total parameters: " .. commas(model:param_count()) ..
    (frozen > 0 and " (" .. commas(frozen) .. " frozen, " .. commas(model:param_count() - frozen) .. " trainable)" or "")
    .. (model:loss_chosen() and ", loss " .. model:loss_name() or ", loss: set by fit")
    .. (model:optimizer() and ", optimizer " .. model:optimizer():config().kind or "")
  return table.concat(lines, "\n")
end

-- Where the training steps' time went, per layer (thread 0's rows): a table
-- to print, with the GFLOP/s of the layers that multiply by weights (a
-- multiply-add counts 2). reset = true starts the count over.
function format.profile(model, reset)
  local secs, layers = model:layer_seconds(reset), model:layers()
  local total = 0
  for _, s in ipairs(secs) do total = total + s.forward + s.backward end
  local names, w = {}, #"layer"
  for i, l in ipairs(layers) do
    names[i] = tostring(l)
    w = math.max(w, utf8.len(names[i]))
  end
  -- pad by characters, not bytes: the names hold → and ×
  local function pad(s) return s .. string.rep(" ", w - utf8.len(s)) end
  local function gflops(flops, rows, seconds)
    if flops == 0 or seconds <= 0 then return "" end
    return string.format("%.1f", flops * rows / seconds / 1e9)
  end
  local lines = { string.format("  %-3s %s %10s %10s %7s %9s %9s", "#", pad("layer"), "forward s", "backward s",
    "share", "fwd GF/s", "bwd GF/s") }
  local flops = 0
  for i, s in ipairs(secs) do
    lines[#lines + 1] = string.format("  %-3d %s %10.3f %10.3f %6.1f%% %9s %9s", i, pad(names[i]), s.forward,
      s.backward, total > 0 and 100 * (s.forward + s.backward) / total or 0,
      gflops(s.forward_flops, s.rows, s.forward), gflops(s.backward_flops, s.rows, s.backward))
    flops = flops + (s.forward_flops + s.backward_flops) * s.rows
  end
  lines[#lines + 1] = string.format("  %-3s %s %21.3f s %17s", "", pad("total"), total,
    total > 0 and flops > 0 and string.format("%.1f GF/s", flops / total / 1e9) or "")
  return table.concat(lines, "\n")
end

return format
