-- A small JSON encoder for metrics.json: tables with string keys become
-- objects (keys sorted, so files diff well), sequences become arrays; and a
-- decoder for what model files keep (aelab/modelfile.lua).
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

-- The shortest decimal that reads back as exactly v (a checkpoint's losses
-- must, for a resumed run to compare equal).
local function exact_number(v)
  for digits = 15, 17 do
    local s = string.format("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
end

local function encode(v, indent, depth, exact)
  local t = type(v)
  if t == "nil" then return "null"
  elseif t == "boolean" then return tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if math.type(v) == "integer" then return tostring(v) end
    return exact and exact_number(v) or string.format("%.10g", v)
  elseif t == "string" then return quote(v)
  elseif t == "table" then
    local pad, inner = "", ""
    if indent then
      pad = "\n" .. string.rep(indent, depth)
      inner = "\n" .. string.rep(indent, depth + 1)
    end
    local parts = {}
    if is_array(v) and next(v) ~= nil then
      for i = 1, #v do parts[i] = encode(v[i], indent, depth + 1, exact) end
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
      parts[i] = quote(k) .. (indent and ": " or ":") .. encode(val, indent, depth + 1, exact)
    end
    if #parts == 0 then return "{}" end
    return "{" .. inner .. table.concat(parts, "," .. inner) .. pad .. "}"
  end
  error("json: cannot encode a " .. t)
end

-- encode(value [, indent [, exact]]): indent is a string such as "  " for
-- pretty output; exact writes numbers so that they read back bit for bit
-- (otherwise 10 significant digits).
function json.encode(v, indent, exact) return encode(v, indent, 0, exact) end

-- decode(text) → value | nil, message. Objects become tables with string
-- keys, arrays sequences, null nil; numbers integers when written as such.
function json.decode(text)
  local pos = 1
  local function fail(what) error({ json = string.format("%s at character %d", what, pos) }, 0) end
  local function ws() pos = text:find("[^ \t\r\n]", pos) or #text + 1 end
  local value
  local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
  local function str()
    pos = pos + 1
    local out = {}
    while true do
      local c = text:sub(pos, pos)
      if c == "" then fail("an unterminated string") end
      if c == '"' then pos = pos + 1; return table.concat(out) end
      if c == "\\" then
        local e = text:sub(pos + 1, pos + 1)
        if escapes[e] then out[#out + 1] = escapes[e]; pos = pos + 2
        elseif e == "u" then
          local hex = text:match("^%x%x%x%x", pos + 2)
          if not hex then fail("a bad \\u escape") end
          local cp = tonumber(hex, 16)
          pos = pos + 6
          if cp >= 0xD800 and cp < 0xDC00 then
            local lo = text:match("^\\u(%x%x%x%x)", pos)
            lo = lo and tonumber(lo, 16)
            if not lo or lo < 0xDC00 or lo > 0xDFFF then fail("an unpaired surrogate") end
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
            pos = pos + 6
          end
          out[#out + 1] = utf8.char(cp)
        else fail("a bad escape") end
      elseif c:byte() < 32 then fail("a control character in a string")
      else
        local run = text:match('^[^"\\%c]+', pos)
        out[#out + 1] = run
        pos = pos + #run
      end
    end
  end
  function value()
    ws()
    local c = text:sub(pos, pos)
    if c == "{" then
      pos = pos + 1
      local t = {}
      ws()
      if text:sub(pos, pos) == "}" then pos = pos + 1; return t end
      repeat
        ws()
        if text:sub(pos, pos) ~= '"' then fail("expected a key") end
        local k = str()
        ws()
        if text:sub(pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        t[k] = value()
        ws()
        c = text:sub(pos, pos)
        pos = pos + 1
      until c ~= ","
      if c ~= "}" then pos = pos - 1; fail("expected ',' or '}'") end
      return t
    elseif c == "[" then
      pos = pos + 1
      local t = {}
      ws()
      if text:sub(pos, pos) == "]" then pos = pos + 1; return t end
      repeat
        t[#t + 1] = value()
        ws()
        c = text:sub(pos, pos)
        pos = pos + 1
      until c ~= ","
      if c ~= "]" then pos = pos - 1; fail("expected ',' or ']'") end
      return t
    elseif c == '"' then return str()
    elseif text:find("^true", pos) then pos = pos + 4; return true
    elseif text:find("^false", pos) then pos = pos + 5; return false
    elseif text:find("^null", pos) then pos = pos + 4; return nil
    end
    local num = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not num or not tonumber(num) then fail("unexpected text") end
    pos = pos + #num
    return math.tointeger(tonumber(num)) and not num:find("[.eE]") and math.tointeger(tonumber(num)) or tonumber(num) + 0.0
  end
  local ok, v = pcall(function()
    local r = value()
    ws()
    if pos <= #text then fail("text after the value") end
    return r
  end)
  if ok then return v end
  if type(v) == "table" and v.json then return nil, "not valid JSON: " .. v.json end
  error(v, 0)
end

return json
