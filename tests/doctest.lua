-- Runs the ```lua blocks of a Markdown file, in order, in one environment
-- (as one REPL session would): ./aelab tests/doctest.lua README.md
-- Run it inside a scratch folder: the snippets write their files (figures,
-- models, checkpoints) where they stand. tests/test_docs.lua does that.
--
-- A block whose first line is a comment starting "-- (not run by the
-- doc-test" is skipped; the comment is in the README for everyone to see,
-- with its reason. REPL blocks (lines starting "ae> ", continued by ">> ")
-- run line by line, each first as an expression, as the REPL does; other
-- blocks run whole.
--
-- Training is kept short by a sandbox, not by the snippets: the data sets
-- load with limit = 1024 (test_limit = 512), so the README shows the
-- calls a user types, and the test runs them in seconds.
--
-- Prints "doctest: block N (line L) ok|skipped" for each block, and on the
-- first failure the block, its line and the error, then exits 1.
local path = assert(arg[1], "usage: aelab tests/doctest.lua FILE.md")
local ae = require "aelab"

local f = assert(io.open(path))
local text = f:read("a")
f:close()

-- the blocks, with the line each starts on
local blocks = {}
local lnum, inside, cur = 0, false, nil
for line in (text .. "\n"):gmatch("(.-)\n") do
  lnum = lnum + 1
  if not inside and line:match("^```lua%s*$") then
    inside, cur = true, { line = lnum + 1, lines = {} }
  elseif inside and line:match("^```%s*$") then
    inside = false
    blocks[#blocks + 1] = cur
  elseif inside then
    cur.lines[#cur.lines + 1] = line
  end
end

-- the sandbox: small data sets, every other name as the REPL has it
local data = ae.data
local small = setmetatable({}, { __index = data })
for _, name in ipairs { "fashion_mnist", "mnist" } do
  small[name] = function(o)
    o = o or {}
    local copy = { limit = 1024, test_limit = 512 }
    for k, v in pairs(o) do copy[k] = v end
    return data[name](copy)
  end
end
local sandbox_ae = setmetatable({ data = small }, { __index = ae })
local env = setmetatable({ ae = sandbox_ae }, { __index = _G })

-- the chunks of a block: REPL entries, or the whole block
local function chunks(b)
  local out = {}
  if b.lines[1] and b.lines[1]:match("^ae> ") then
    for i, l in ipairs(b.lines) do
      if l:match("^ae> ") then
        out[#out + 1] = { code = l:sub(5), line = b.line + i - 1 }
      elseif l:match("^>> ") and #out > 0 then
        out[#out].code = out[#out].code .. "\n" .. l:sub(4)
      elseif l:match("%S") then
        error(string.format("%s:%d: a REPL block's line starts neither 'ae> ' nor '>> '", path, b.line + i - 1))
      end
    end
  else
    out[1] = { code = table.concat(b.lines, "\n"), line = b.line }
  end
  return out
end

local ran, skipped = 0, 0
for n, b in ipairs(blocks) do
  if (b.lines[1] or ""):match("^%-%- %(not run by the doc%-test") then
    skipped = skipped + 1
    print(string.format("doctest: block %d (line %d) skipped: %s", n, b.line, b.lines[1]))
  else
    for _, c in ipairs(chunks(b)) do
      local name = string.format("@%s:%d", path, c.line)
      local fn = load("return " .. c.code, name, "t", env)
      if not fn then
        local err
        fn, err = load(c.code, name, "t", env)
        if not fn then
          print(string.format("doctest: block %d (line %d) does not compile:\n%s\n%s", n, c.line, c.code, err))
          os.exit(1)
        end
      end
      local ok, err = xpcall(fn, debug.traceback)
      if not ok then
        print(string.format("doctest: block %d (line %d) failed:\n%s\n%s", n, c.line, c.code, tostring(err)))
        os.exit(1)
      end
    end
    ran = ran + 1
    print(string.format("doctest: block %d (line %d) ok", n, b.line))
  end
end
print(string.format("doctest: %d blocks ran, %d skipped", ran, skipped))
