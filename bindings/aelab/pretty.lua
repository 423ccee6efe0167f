-- Values as a person wants to read them at the REPL: tables nested and
-- shortened (the first items of a long list, then how many more), keys
-- sorted, cycles marked, tensors and models by their own summaries (their
-- __tostring). The REPL prints results with pretty.print; ae.pretty(v)
-- returns the text.
local pretty = {}

local defaults = { depth = 3, items = 10, width = 100, string = 60 }

local function is_ident(k) return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil end

local function short_string(s, max)
  if #s > max then
    -- cut on a UTF-8 boundary: never in the middle of a character
    local cut = max
    while cut > 1 and (s:byte(cut + 1) or 0) & 0xC0 == 0x80 do cut = cut - 1 end
    return string.format("%q", s:sub(1, cut)):gsub("\\\n", "\\n") .. "…(" .. #s .. " bytes)"
  end
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function number_str(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v then return "nan" end
  return string.format("%.6g", v)
end

-- Keys in a stable order: the list part first (1..n), then numbers, then
-- strings, then the rest by their text.
local function sorted_keys(t, n)
  local rank = { number = 1, string = 2 }
  local ks = {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then ks[#ks + 1] = k end
  end
  table.sort(ks, function(a, b)
    local ra, rb = rank[type(a)] or 3, rank[type(b)] or 3
    if ra ~= rb then return ra < rb end
    if ra == 3 then return tostring(a) < tostring(b) end
    return a < b
  end)
  return ks
end

local render

local function key_str(k, o)
  if is_ident(k) then return k end
  if type(k) == "string" then return "[" .. short_string(k, o.string) .. "]" end
  if type(k) == "number" then return "[" .. number_str(k) .. "]" end
  return "[" .. tostring(k) .. "]"
end

local function render_table(t, o, level, seen, indent)
  if seen[t] then return "<cycle>" end -- a table inside itself
  if level > o.depth then
    local count = 0
    for _ in pairs(t) do count = count + 1 end
    return count == 0 and "{}" or "{…" .. count .. (count == 1 and " entry}" or " entries}")
  end
  seen[t] = true
  local n = #t
  local parts = {}
  local shown = math.min(n, o.items)
  for i = 1, shown do parts[#parts + 1] = render(t[i], o, level + 1, seen, indent .. "  ") end
  if n > shown then parts[#parts + 1] = "…(" .. (n - shown) .. " more)" end
  local ks = sorted_keys(t, n)
  local kshown = math.min(#ks, o.items * 3)
  for i = 1, kshown do
    local k = ks[i]
    parts[#parts + 1] = key_str(k, o) .. " = " .. render(t[k], o, level + 1, seen, indent .. "  ")
  end
  if #ks > kshown then parts[#parts + 1] = "…(" .. (#ks - kshown) .. " more keys)" end
  seen[t] = nil
  if #parts == 0 then return "{}" end
  local one = "{" .. table.concat(parts, ", ") .. "}"
  if #one + #indent <= o.width and not one:find("\n") then return one end
  -- too long for a line: one entry a line, indented (relative to this
  -- table's own column; the parent indents its lines further)
  for i, p in ipairs(parts) do parts[i] = "  " .. p:gsub("\n", "\n  ") end
  return "{\n" .. table.concat(parts, ",\n") .. "\n}"
end

function render(v, o, level, seen, indent)
  local tv = type(v)
  if tv == "string" then return short_string(v, o.string) end
  if tv == "number" then return number_str(v) end
  if tv == "table" then
    local mt = getmetatable(v)
    if type(mt) == "table" and mt.__tostring then return tostring(v) end -- models, datasets with their own text
    return render_table(v, o, level, seen, indent)
  end
  if tv == "function" then
    -- builtin: a C function; otherwise where it was written
    local info = debug.getinfo(v, "S")
    if info.what == "C" then return "function (builtin)" end
    return string.format("function (%s:%d)", info.short_src, info.linedefined)
  end
  return tostring(v) -- tensors, layers and other userdata carry their own summary
end

-- pretty.format(v [, {depth, items, width, string}]) → text
function pretty.format(v, opts)
  local o = {}
  for k, d in pairs(defaults) do o[k] = d end
  if opts ~= nil then
    require("aelab.optcheck").check("ae.pretty", opts, { "depth", "items", "width", "string" }, 3)
    for k, x in pairs(opts) do o[k] = x end
  end
  return render(v, o, 1, {}, "")
end

-- What the REPL prints for an expression's values: strings and other
-- scalars as print shows them, tables through pretty.format; several values
-- separated by tabs, as print separates them; nothing for a lone value whose
-- metatable has __aelab_quiet (what a figure shown in the terminal returns).
function pretty.print(...)
  local n = select("#", ...)
  -- a lone value that asks not to be printed (a figure already shown)
  local mt = n == 1 and getmetatable((...))
  if type(mt) == "table" and rawget(mt, "__aelab_quiet") then return end
  local out = {}
  for i = 1, n do
    local v = select(i, ...)
    out[i] = type(v) == "table" and pretty.format(v) or tostring(v)
  end
  io.write(table.concat(out, "\t"), "\n")
  io.flush()
end

return pretty
