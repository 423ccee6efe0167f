-- Tab completion for the REPL (bindings/main.c asks through readline):
-- globals and keywords, the fields of a table after a dot (`ae.plot.hi` →
-- `ae.plot.history`), and the methods of a value after a colon (`net:fi` →
-- `net:fit`, from its metatable's __index). Only names are looked up
-- (rawget on plain tables, and the lazy modules of `ae` by their name):
-- completing never runs the user's code.
local complete = {}

local keywords = { "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
  "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while" }

-- Looks a field up without running code: rawget, then the metatable's
-- __index when that is a table (methods of tensors, layers, models), then
-- an __index function only for `ae`'s lazily loaded modules (a require).
local function field(v, k)
  local ok, r = pcall(function()
    if type(v) == "table" then
      local x = rawget(v, k)
      if x ~= nil then return x end
    end
    local mt = getmetatable(v)
    if type(mt) == "table" then
      local idx = rawget(mt, "__index")
      if type(idx) == "table" then return field(idx, k) end
      if type(v) == "table" and v == package.loaded.aelab then return v[k] end
    end
  end)
  return ok and r or nil
end

-- The names a value offers: its own string keys, then those of the tables
-- its metatable's __index chain leads to (a few levels), plus `ae`'s lazy ones.
local function names_of(v, methods_only, out, depth)
  out = out or {}
  depth = depth or 0
  if depth > 4 then return out end
  if type(v) == "table" then
    for k, x in pairs(v) do
      if type(k) == "string" and k:match("^[%a_][%w_]*$") and (not methods_only or type(x) == "function") then
        out[k] = true
      end
    end
    if v == package.loaded.aelab then
      for _, k in ipairs { "plot", "Lesson", "sweep", "image" } do out[k] = true end
    end
  end
  local mt = getmetatable(v)
  if type(mt) == "table" then
    local idx = rawget(mt, "__index")
    if type(idx) == "table" then names_of(idx, methods_only, out, depth + 1) end
  end
  return out
end

-- candidates(text [, env]) → sorted list of what `text` (the word before
-- the cursor) can become; env is where globals live (_G by default).
function complete.candidates(text, env)
  env = env or _G
  local path, sep, stem = text:match("^(.*)([.:])([%w_]*)$")
  local list = {}
  if not path then
    if not text:match("^[%a_][%w_]*$") and text ~= "" then return list end
    local seen = names_of(env)
    for _, k in ipairs(keywords) do seen[k] = true end
    for k in pairs(seen) do -- names starting "_" only when asked for
      if k:sub(1, #text) == text and (text:match("^_") or not k:match("^_")) then list[#list + 1] = k end
    end
  else
    -- the value before the last separator: a chain of names (a.b.c)
    if not path:match("^[%a_][%w_]*$") and not path:match("^[%a_][%w_]*[%.%w_]*[%w_]$") then return list end
    local v = env
    for name in path:gmatch("[^.]+") do
      v = field(v, name)
      if v == nil then return list end
    end
    for k in pairs(names_of(v, sep == ":")) do
      if k:sub(1, #stem) == stem and (stem:match("^_") or not k:match("^_")) then
        list[#list + 1] = path .. sep .. k
      end
    end
  end
  table.sort(list)
  return list
end

return complete
