-- Data: the IDX reader on good and broken files (plain and gzip'd) written
-- here, the built-in letter font, and Fashion-MNIST when it is installed.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

local FASHION_DIR = "/usr/share/datasets/fashion-mnist"

-- IDX bytes: magic 00 00 <type> <ndims>, big-endian sizes, then the data.
local function idx_bytes(dims, data, type_byte)
  local parts = { string.char(0, 0, type_byte or 8, #dims) }
  for _, d in ipairs(dims) do parts[#parts + 1] = string.pack(">I4", d) end
  parts[#parts + 1] = data
  return table.concat(parts)
end

-- 2 images of 3×4 pixels: 0, 10, 20, ... 230
local GOOD_DIMS = { 2, 3, 4 }
local function good_pixels()
  local b = {}
  for i = 0, 23 do b[#b + 1] = string.char(i * 10) end
  return table.concat(b)
end

local function gzip(path)
  local gz = path .. ".gz"
  assert(os.execute("gzip -c " .. H.q(path) .. " > " .. H.q(gz)), "gzip failed")
  return gz
end

TestIDX = {}

function TestIDX:setUp()
  self.dir = H.tmpdir()
end

function TestIDX:tearDown()
  H.rmdir(self.dir)
end

function TestIDX:write(name, bytes)
  local path = self.dir .. "/" .. name
  H.write_file(path, bytes)
  return path
end

-- Both the plain file and its gzip'd copy give an error containing `plain`.
function TestIDX:expect_error(name, bytes, plain)
  local path = self:write(name, bytes)
  for _, p in ipairs { path, gzip(path) } do
    local err = H.failure_containing(lu, plain, ae.data.idx, p, true)
    lu.assertStrContains(err, p) -- names the file
  end
end

function TestIDX:testGood3D()
  local path = self:write("good-idx3-ubyte", idx_bytes(GOOD_DIMS, good_pixels()))
  for _, p in ipairs { path, gzip(path) } do
    local raw = ae.data.idx(p)
    lu.assertEquals(raw:size(), { 2, 3, 4 })
    lu.assertEquals(raw:get(1, 1, 1), 0)
    lu.assertEquals(raw:get(1, 1, 2), 10)
    lu.assertEquals(raw:get(2, 3, 4), 230)
    lu.assertEquals(raw:get(2, 1, 1), 120)
    local scaled = ae.data.idx(p, true)
    lu.assertEquals(scaled:size(), { 2, 3, 4 })
    lu.assertAlmostEquals(scaled:get(2, 3, 4), 230 / 255, 1e-7)
    lu.assertAlmostEquals(scaled:get(1, 2, 1), 40 / 255, 1e-7)
    lu.assertTrue(scaled:max() <= 1)
  end
end

function TestIDX:testGoodLabels1D()
  local path = self:write("labels-idx1-ubyte", idx_bytes({ 5 }, string.char(3, 1, 4, 1, 5)))
  local y = ae.data.idx(gzip(path), false)
  lu.assertEquals(y:size(), { 5 })
  lu.assertEquals(y:totable(), { 3, 1, 4, 1, 5 })
end

function TestIDX:testFullRange()
  local path = self:write("range-idx1-ubyte", idx_bytes({ 2 }, string.char(0, 255)))
  lu.assertEquals(ae.data.idx(path, true):totable(), { 0, 1 })
end

function TestIDX:testBadMagic()
  self:expect_error("badmagic", "\1\0\8\3" .. idx_bytes(GOOD_DIMS, good_pixels()):sub(5), "bad magic")
end

function TestIDX:testWrongTypeByte()
  -- 0x0D is float32 in the IDX spec: not what this reader takes
  local err = H.failure_containing(lu, "bad magic", ae.data.idx,
    self:write("float-idx3", idx_bytes(GOOD_DIMS, good_pixels(), 0x0D)))
  lu.assertStrContains(err, "00 00 0d 03")
  lu.assertStrContains(err, "unsigned bytes")
end

function TestIDX:testTooManyDimensions()
  self:expect_error("fivedims", idx_bytes({ 1, 1, 1, 1, 1 }, "\0"), "bad magic")
end

function TestIDX:testTruncatedHeader()
  local full = idx_bytes(GOOD_DIMS, good_pixels())
  self:expect_error("shortheader", full:sub(1, 4 + 4 + 2), "truncated in its header")
end

function TestIDX:testTruncatedData()
  local full = idx_bytes(GOOD_DIMS, good_pixels())
  local err = H.failure_containing(lu, "truncated", ae.data.idx, self:write("shortdata", full:sub(1, #full - 5)))
  lu.assertStrContains(err, "24 values")
  self:expect_error("shortdata2", full:sub(1, #full - 1), "truncated")
end

function TestIDX:testTrailingBytes()
  self:expect_error("long", idx_bytes(GOOD_DIMS, good_pixels() .. "\0\0"), "longer than its header says")
end

function TestIDX:testZeroDimension()
  self:expect_error("zerodim", idx_bytes({ 0, 3 }, ""), "dimension 1 of size 0")
end

function TestIDX:testEmptyFile()
  self:expect_error("empty", "", "empty or not an IDX file")
end

function TestIDX:testCorruptGzip()
  local path = self:write("good", idx_bytes(GOOD_DIMS, good_pixels()))
  local gz = gzip(path)
  local f = assert(io.open(gz, "rb"))
  local bytes = f:read("a")
  f:close()
  -- cut the compressed stream in half
  local cut = self:write("cut.gz", bytes:sub(1, #bytes // 2))
  local t, err = ae.data.idx(cut)
  lu.assertNil(t)
  lu.assertTrue((err:find("truncated", 1, true) or err:find("corrupt", 1, true)) ~= nil, err)
end

function TestIDX:testMissingFile()
  local missing = self.dir .. "/no-such-file"
  local err = H.failure_containing(lu, "cannot open", ae.data.idx, missing)
  lu.assertStrContains(err, missing)
end

TestLetters = {}

function TestLetters:testShape()
  local L = ae.data.letters()
  lu.assertEquals(L.x:size(), { 32, 35 })
  lu.assertEquals(L.image, { 7, 5 })
  lu.assertEquals(#L.chars, 32)
  lu.assertEquals(L.chars[1], "`")
  lu.assertEquals(L.chars[2], "a")
  lu.assertEquals(L.chars[27], "z")
  lu.assertEquals(L.chars[32], "#") -- DEL, shown as '#'
  lu.assertEquals(L.x:min(), 0)
  lu.assertEquals(L.x:max(), 1)
end

local function glyph(L, ch)
  for i, c in ipairs(L.chars) do
    if c == ch then
      local rows, px = {}, L.x:narrow(1, i, 1):reshape(7, 5):totable()
      for r = 1, 7 do
        local s = {}
        for c2 = 1, 5 do s[c2] = px[r][c2] == 1 and "#" or "." end
        rows[r] = table.concat(s)
      end
      return rows
    end
  end
end

function TestLetters:testKnownGlyphs()
  local L = ae.data.letters()
  lu.assertEquals(glyph(L, "o"), {
    ".....",
    ".....",
    ".###.",
    "#...#",
    "#...#",
    "#...#",
    ".###.",
  })
  lu.assertEquals(glyph(L, "l"), {
    ".##..",
    "..#..",
    "..#..",
    "..#..",
    "..#..",
    "..#..",
    "..#..",
  })
  lu.assertEquals(L.x:narrow(1, 32, 1):sum(), 35) -- DEL is a full block
end

function TestLetters:testAllDistinct()
  local L = ae.data.letters()
  local seen = {}
  for i = 1, 32 do
    local key = L.x:narrow(1, i, 1):tobytes()
    lu.assertNil(seen[key], "symbols " .. tostring(seen[key]) .. " and " .. i .. " look the same")
    seen[key] = i
  end
end

TestFashionMNIST = {}

function TestFashionMNIST:testLimitedLoad()
  if not ae.file_exists(FASHION_DIR .. "/train-images-idx3-ubyte.gz") then
    lu.skip("Fashion-MNIST is not installed in " .. FASHION_DIR)
  end
  local train, test = ae.data.fashion_mnist { limit = 100 }
  for _, d in ipairs { train, test } do
    lu.assertEquals(d.x:size(), { 100, 784 })
    lu.assertEquals(d.y:size(), { 100 })
    lu.assertTrue(d.x:min() >= 0)
    lu.assertTrue(d.x:max() <= 1)
    lu.assertTrue(d.x:max() > 0.9, "pixels are scaled, not all dark")
    lu.assertEquals(d.image, { 28, 28 })
    lu.assertEquals(#d.classes, 10)
    local counts = {}
    for _, label in ipairs(d.y:totable()) do
      lu.assertEquals(label, math.floor(label))
      lu.assertTrue(label >= 0 and label <= 9)
      counts[label] = true
    end
    local kinds = 0
    for _ in pairs(counts) do kinds = kinds + 1 end
    lu.assertTrue(kinds >= 8, "100 samples cover most classes")
  end
  lu.assertEquals(train.classes[1], "T-shirt/top")
  lu.assertEquals(train.classes[10], "Ankle boot")
  -- the first training image is an ankle boot (label 9) in every copy of the data set
  lu.assertEquals(train.y:get(1), 9)
end

TestBalanced = {}

function TestBalanced:testPerClassAndRepeatable()
  -- 60 labels: class c appears 10 + 5c times, shuffled
  local labels = {}
  for c = 0, 3 do for _ = 1, 10 + 5 * c do labels[#labels + 1] = c end end
  local y = ae.tensor(labels)
  ae.seed(7)
  local next_draw = ae.rand(4):totable()
  ae.seed(7)
  local rows = ae.data.balanced(y, 24, 3)
  -- the generator is put back: what follows draws as if nothing was picked
  lu.assertEquals(ae.rand(4):totable(), next_draw)
  lu.assertEquals(#rows, 24)
  local count, seen = {}, {}
  for _, r in ipairs(rows) do
    lu.assertNil(seen[r], "row " .. r .. " picked twice")
    seen[r] = true
    local c = labels[r]
    count[c] = (count[c] or 0) + 1
  end
  for c = 0, 3 do lu.assertEquals(count[c], 6) end
  -- the same seed the same rows; another seed other rows
  lu.assertEquals(ae.data.balanced(y, 24, 3), rows)
  lu.assertNotEquals(ae.data.balanced(y, 24, 4), rows)
  -- a [N×1] column of labels works as the vector does
  lu.assertEquals(ae.data.balanced(y:reshape(#labels, 1), 24, 3), rows)
end

function TestBalanced:testErrors()
  local y = ae.tensor { 0, 1, 1, 0, 1, 1 }
  H.error_containing(lu, "class 0 has 2 samples, fewer than the 3", ae.data.balanced, y, 6, 1)
  H.error_containing(lu, "positive multiple of the 2 classes", ae.data.balanced, y, 3, 1)
  H.error_containing(lu, "label -1 in row 2", ae.data.balanced, ae.tensor { 0, -1 }, 2, 1)
  H.error_containing(lu, "seed must be an integer", ae.data.balanced, y, 2, 1.5)
  H.error_containing(lu, "vector [N] of 0-based classes", ae.data.balanced, ae.zeros(3, 2), 2, 1)
end
