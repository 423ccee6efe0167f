-- A small JSON encoder for metrics.json: tables with string keys become
-- objects (keys sorted, so files diff well), sequences become arrays.
local json = {}

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local map = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\t'] = '\\t', ['\r'] = '\\r' }
    return map[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_array(t)
  local n = #t
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then return false end
  end
  return true
end

local function encode(v, indent, depth)
  local t = type(v)
  if t == "nil" then return "null"
  elseif t == "boolean" then return tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if math.type(v) == "integer" then return tostring(v) end
    return string.format("%.10g", v)
  elseif t == "string" then return quote(v)
  elseif t == "table" then
    local pad, inner = "", ""
    if indent then
      pad = "\n" .. string.rep(indent, depth)
      inner = "\n" .. string.rep(indent, depth + 1)
    end
    local parts = {}
    if is_array(v) and next(v) ~= nil then
      for i = 1, #v do parts[i] = encode(v[i], indent, depth + 1) end
      -- arrays of numbers stay on one line
      local flat = true
      for i = 1, #v do if type(v[i]) == "table" then flat = false end end
      if flat then return "[" .. table.concat(parts, ", ") .. "]" end
      return "[" .. inner .. table.concat(parts, "," .. inner) .. pad .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for i, k in ipairs(keys) do
      local val = v[k]
      if val == nil then val = v[tonumber(k)] end
      parts[i] = quote(k) .. (indent and ": " or ":") .. encode(val, indent, depth + 1)
    end
    if #parts == 0 then return "{}" end
    return "{" .. inner .. table.concat(parts, "," .. inner) .. pad .. "}"
  end
  error("json: cannot encode a " .. t)
end

-- encode(value [, indent]): indent is a string such as "  " for pretty output.
function json.encode(v, indent) return encode(v, indent, 0) end

return json
