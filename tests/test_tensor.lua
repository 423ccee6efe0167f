-- Tensors: constructors, views, arithmetic, reductions, GEMM, gather, .npy.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

local function naive_matmul(a, b)
  local M, K, N = a:size(1), a:size(2), b:size(2)
  local A, B = a:totable(), b:totable()
  local C = {}
  for i = 1, M do
    C[i] = {}
    for j = 1, N do
      local s = 0
      for k = 1, K do s = s + A[i][k] * B[k][j] end
      C[i][j] = s
    end
  end
  return C
end

local function assert_tensor_near(lu_, t, expected, tol, msg)
  local got = t:totable()
  local function walk(g, e, path)
    if type(e) == "table" then
      lu_.assertEquals(#g, #e, (msg or "") .. " length at " .. path)
      for i = 1, #e do walk(g[i], e[i], path .. "[" .. i .. "]") end
    else
      lu_.assertAlmostEquals(g, e, tol * math.max(1, math.abs(e)), (msg or "") .. " at " .. path)
    end
  end
  walk(got, expected, "")
end

TestTensorConstruct = {}

function TestTensorConstruct:testZerosShapes()
  local a = ae.zeros(2, 3)
  lu.assertEquals(a:size(), { 2, 3 })
  lu.assertEquals(a:dim(), 2)
  lu.assertEquals(a:numel(), 6)
  lu.assertEquals(a:sum(), 0)
  local b = ae.zeros { 4, 1, 5 }
  lu.assertEquals(b:size(), { 4, 1, 5 })
  lu.assertEquals(b:size(3), 5)
  lu.assertEquals(#b, 4)
  lu.assertEquals(ae.zeros(7):size(), { 7 })
  lu.assertEquals(ae.zeros(2, 2, 2, 2):dim(), 4)
end

function TestTensorConstruct:testFull()
  local a = ae.full(2.5, 3, 2)
  lu.assertEquals(a:size(), { 3, 2 })
  lu.assertEquals(a:totable(), { { 2.5, 2.5 }, { 2.5, 2.5 }, { 2.5, 2.5 } })
  lu.assertEquals(ae.full(-1, { 4 }):sum(), -4)
end

function TestTensorConstruct:testRandIsUniform01()
  ae.seed(H.SEED)
  local a = ae.rand(100, 50)
  lu.assertEquals(a:size(), { 100, 50 })
  lu.assertTrue(a:min() >= 0)
  lu.assertTrue(a:max() < 1)
  lu.assertAlmostEquals(a:mean(), 0.5, 0.02)
  lu.assertTrue(a:max() > 0.99 and a:min() < 0.01)
end

function TestTensorConstruct:testRandnMoments()
  ae.seed(H.SEED)
  local a = ae.randn(200, 50)
  lu.assertEquals(a:size(), { 200, 50 })
  local mean = a:mean()
  local var = ((a - mean) * (a - mean)):mean()
  lu.assertAlmostEquals(mean, 0, 0.03)
  lu.assertAlmostEquals(var, 1, 0.05)
end

function TestTensorConstruct:testFromTable()
  local v = ae.tensor { 1, 2, 3 }
  lu.assertEquals(v:size(), { 3 })
  lu.assertEquals(v:totable(), { 1, 2, 3 })
  local m = ae.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  lu.assertEquals(m:size(), { 2, 3 })
  lu.assertEquals(m:get(2, 1), 4)
  local c = ae.tensor { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } } }
  lu.assertEquals(c:size(), { 2, 2, 2 })
  lu.assertEquals(c:get(2, 1, 2), 6)
end

function TestTensorConstruct:testFromRaggedTableFails()
  H.error_containing(lu, "ragged", ae.tensor, { { 1, 2 }, { 3 } })
  H.error_containing(lu, "not a number", ae.tensor, { 1, "x", 3 })
end

function TestTensorConstruct:testNegativeSizeFails()
  H.error_containing(lu, "negative", ae.zeros, 2, -1)
end

TestTensorIndex = {}

function TestTensorIndex:testGetSetOneBased()
  local a = ae.zeros(2, 3)
  a:set(1, 1, 5)
  a:set(2, 3, 7)
  lu.assertEquals(a:get(1, 1), 5)
  lu.assertEquals(a:get(2, 3), 7)
  lu.assertEquals(a:totable(), { { 5, 0, 0 }, { 0, 0, 7 } })
  -- set returns the tensor, so calls chain
  lu.assertEquals(a:set(1, 2, 1):get(1, 2), 1)
end

function TestTensorIndex:testOutOfRange()
  local a = ae.zeros(2, 3)
  H.error_containing(lu, "outside 1..2", a.get, a, 3, 1)
  H.error_containing(lu, "outside 1..3", a.get, a, 1, 0)
  H.error_containing(lu, "outside 1..3", a.set, a, 1, 4, 1.0)
  H.error_containing(lu, "2 indices for a 1-D", function() return ae.zeros(3):get(1, 1) end)
end

TestTensorViews = {}

function TestTensorViews:testNarrowIsAView()
  local base = ae.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } }
  local v = base:narrow(1, 2, 2)
  lu.assertEquals(v:size(), { 2, 2 })
  lu.assertEquals(v:totable(), { { 3, 4 }, { 5, 6 } })
  v:set(1, 1, 30)
  lu.assertEquals(base:get(2, 1), 30)
  v:fill(0)
  lu.assertEquals(base:totable(), { { 1, 2 }, { 0, 0 }, { 0, 0 }, { 7, 8 } })
end

function TestTensorViews:testNarrowOutOfRange()
  local base = ae.zeros(4, 2)
  H.error_containing(lu, "narrow", base.narrow, base, 1, 4, 2)
end

function TestTensorViews:testViewOutlivesBase()
  local v
  do
    local base = ae.tensor { { 1, 2 }, { 3, 4 } }
    v = base:narrow(1, 2, 1)
  end
  collectgarbage()
  collectgarbage()
  lu.assertEquals(v:totable(), { { 3, 4 } })
end

function TestTensorViews:testReshapeIsAView()
  local base = ae.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  local r = base:reshape(3, 2)
  lu.assertEquals(r:size(), { 3, 2 })
  lu.assertEquals(r:totable(), { { 1, 2 }, { 3, 4 }, { 5, 6 } })
  r:set(3, 1, 50)
  lu.assertEquals(base:get(2, 2), 50)
  lu.assertEquals(base:reshape { 6 }:totable(), { 1, 2, 3, 4, 50, 6 })
  H.error_containing(lu, "reshape", base.reshape, base, 4, 2)
end

function TestTensorViews:testCloneIsACopy()
  local base = ae.tensor { 1, 2, 3 }
  local c = base:clone()
  lu.assertEquals(c:totable(), { 1, 2, 3 })
  c:set(1, 100)
  lu.assertEquals(base:get(1), 1)
  base:set(2, 200)
  lu.assertEquals(c:get(2), 2)
end

function TestTensorViews:testCopyInto()
  local a, b = ae.zeros(2, 2), ae.tensor { 1, 2, 3, 4 }
  a:copy(b)
  lu.assertEquals(a:totable(), { { 1, 2 }, { 3, 4 } })
  H.error_containing(lu, "copy", a.copy, a, ae.zeros(3))
end

-- copy_block: a 2-D block of one tensor into another (image mosaics).
TestTensorCopyBlock = {}

-- The reference: the same copy element by element through get/set.
local function naive_copy_block(dst, r, c, src, sr, sc, h, w)
  for i = 0, h - 1 do
    for j = 0, w - 1 do dst:set(r + i, c + j, src:get(sr + i, sc + j)) end
  end
end

function TestTensorCopyBlock:testWholeSourceIntoPlace()
  local m = ae.full(0.5, 4, 5)
  lu.assertTrue(rawequal(m:copy_block(2, 3, ae.tensor { { 1, 2 }, { 3, 4 } }), m), "returns self")
  lu.assertEquals(m:totable(), { { 0.5, 0.5, 0.5, 0.5, 0.5 }, { 0.5, 0.5, 1, 2, 0.5 }, { 0.5, 0.5, 3, 4, 0.5 },
    { 0.5, 0.5, 0.5, 0.5, 0.5 } })
end

function TestTensorCopyBlock:testSubBlocksAgainstGetSet()
  H.seed()
  local src = ae.randn(7, 9)
  for _, b in ipairs { { 1, 1, 1, 1, 7, 9 }, { 3, 4, 2, 5, 4, 3 }, { 10, 1, 1, 9, 3, 1 }, { 2, 2, 6, 2, 0, 4 } } do
    local got, want = ae.full(-1, 12, 11), ae.full(-1, 12, 11)
    got:copy_block(b[1], b[2], src, b[3], b[4], b[5], b[6])
    naive_copy_block(want, b[1], b[2], src, b[3], b[4], b[5], b[6])
    lu.assertTrue(got == want, "block " .. table.concat(b, ","))
  end
  -- h and w default to the rest of src from (sr, sc)
  local got, want = ae.zeros(12, 11), ae.zeros(12, 11)
  got:copy_block(1, 2, src, 3, 4)
  naive_copy_block(want, 1, 2, src, 3, 4, 5, 6)
  lu.assertTrue(got == want, "default block size")
end

-- One storage: with the same row length any overlap copies as if through a
-- temporary; with different row lengths an overlap is refused.
function TestTensorCopyBlock:testOverlapInOneTensor()
  local function grid() return ae.tensor { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } } end
  lu.assertEquals(grid():copy_block(2, 1, grid(), 1, 1, 2, 3):totable(), { { 1, 2, 3 }, { 1, 2, 3 }, { 4, 5, 6 } })
  local t = grid()
  lu.assertEquals(t:copy_block(2, 1, t, 1, 1, 2, 3):totable(), { { 1, 2, 3 }, { 1, 2, 3 }, { 4, 5, 6 } }, "down")
  t = grid()
  lu.assertEquals(t:copy_block(1, 1, t, 2, 2):totable(), { { 5, 6, 3 }, { 8, 9, 6 }, { 7, 8, 9 } }, "up and left")
  t = grid()
  lu.assertEquals(t:copy_block(1, 2, t, 1, 1, 3, 2):totable(), { { 1, 1, 2 }, { 4, 4, 5 }, { 7, 7, 8 } }, "right")
  local v = ae.tensor { 1, 2, 3, 4, 5, 6 }
  H.error_containing(lu, "overlaps itself (views [3×2] and [2×3]", v:reshape(2, 3).copy_block, v:reshape(2, 3), 1, 2,
    v:reshape(3, 2), 1, 1, 2, 2)
end

-- A layer's weight and the model arena it moved into are one block: an
-- overlapping copy between their views goes row by row in the right order.
function TestTensorCopyBlock:testOverlapThroughTheModelArena()
  local d = ae.Dense(3, 4)
  d:set_parameters { ae.tensor { { 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 }, { 4, 4, 4 } } }
  local net = ae.Sequential { d }
  local W = d:parameters()[1]
  local arena = net:parameters():narrow(1, 1, 12):reshape(4, 3)
  W:copy_block(2, 1, arena, 1, 1, 3, 3) -- rows 1..3 onto rows 2..4
  lu.assertEquals(W:totable(), { { 1, 1, 1 }, { 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 } })
end

function TestTensorCopyBlock:testErrorsNameTheShapes()
  local m, s = ae.zeros(4, 5), ae.full(1, 2, 2)
  H.error_containing(lu, "a 2×2 block from row 1, column 1 of [2×2] into row 4, column 5 of [4×5]: it does not fit in the destination",
    m.copy_block, m, 4, 5, s)
  H.error_containing(lu, "it does not fit in the source", m.copy_block, m, 1, 1, s, 2, 2, 2, 1)
  H.error_containing(lu, "from [2×2×2] into [4×5]: both tensors must be 2-D", m.copy_block, m, 1, 1, ae.zeros(2, 2, 2))
  H.error_containing(lu, "from [2×2] into [20]: both tensors must be 2-D", ae.zeros(20).copy_block, ae.zeros(20), 1, 1, s)
  H.error_containing(lu, "row 0, column 1", m.copy_block, m, 0, 1, s)
  lu.assertTrue(m == ae.zeros(4, 5), "a failed copy writes nothing")
  lu.assertTrue(m:copy_block(3, 4, s, 1, 1, 0, 2) == ae.zeros(4, 5), "an empty block is a no-op")
end

TestTensorArith = {}

function TestTensorArith:testTensorTensor()
  local a = ae.tensor { { 1, 2 }, { 3, 4 } }
  local b = ae.tensor { { 10, 20 }, { 30, 40 } }
  lu.assertEquals((a + b):totable(), { { 11, 22 }, { 33, 44 } })
  lu.assertEquals((b - a):totable(), { { 9, 18 }, { 27, 36 } })
  lu.assertEquals((a * b):totable(), { { 10, 40 }, { 90, 160 } })
  lu.assertEquals((b / a):totable(), { { 10, 10 }, { 10, 10 } })
  lu.assertEquals((-a):totable(), { { -1, -2 }, { -3, -4 } })
  -- operands are not modified
  lu.assertEquals(a:totable(), { { 1, 2 }, { 3, 4 } })
end

function TestTensorArith:testScalarsOnBothSides()
  local a = ae.tensor { 1, 2, 4 }
  lu.assertEquals((a + 1):totable(), { 2, 3, 5 })
  lu.assertEquals((1 + a):totable(), { 2, 3, 5 })
  lu.assertEquals((a - 1):totable(), { 0, 1, 3 })
  lu.assertEquals((1 - a):totable(), { 0, -1, -3 })
  lu.assertEquals((a * 2):totable(), { 2, 4, 8 })
  lu.assertEquals((2 * a):totable(), { 2, 4, 8 })
  lu.assertEquals((a / 2):totable(), { 0.5, 1, 2 })
  lu.assertEquals((8 / a):totable(), { 8, 4, 2 })
end

function TestTensorArith:testRowBroadcast()
  local a = ae.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  local row = ae.tensor { { 10, 20, 30 } }
  lu.assertEquals((a + row):totable(), { { 11, 22, 33 }, { 14, 25, 36 } })
  lu.assertEquals((a * ae.tensor { 1, 0, -1 }):totable(), { { 1, 0, -3 }, { 4, 0, -6 } })
  lu.assertEquals((a - ae.tensor { 1 }):totable(), { { 0, 1, 2 }, { 3, 4, 5 } })
end

function TestTensorArith:testShapeMismatch()
  local a = ae.zeros(2, 3)
  local err = H.error_containing(lu, "do not match", function() return a + ae.zeros(3, 2) end)
  lu.assertStrContains(err, "[2×3]")
  lu.assertStrContains(err, "[3×2]")
end

TestTensorReduce = {}

function TestTensorReduce:testSumMeanMinMax()
  local a = ae.tensor { { 1, -2, 3 }, { 4, 5, -6 } }
  lu.assertEquals(a:sum(), 5)
  lu.assertAlmostEquals(a:mean(), 5 / 6, 1e-12)
  lu.assertEquals(a:min(), -6)
  lu.assertEquals(a:max(), 5)
end

function TestTensorReduce:testMeanOverRows()
  local a = ae.tensor { { 1, 2 }, { 3, 6 } }
  local m = a:mean(1)
  lu.assertEquals(m:size(), { 1, 2 })
  lu.assertEquals(m:totable(), { { 2, 4 } })
end

function TestTensorReduce:testArgmaxOneBased()
  local a = ae.tensor { { 1, 9, 3 }, { 7, 5, 6 } }
  lu.assertEquals(a:argmax():totable(), { 2, 1 })
end

TestTensorMatmul = {}

function TestTensorMatmul:testHandComputed()
  local a = ae.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  local b = ae.tensor { { 7, 8 }, { 9, 10 }, { 11, 12 } }
  local c = a:matmul(b)
  lu.assertEquals(c:size(), { 2, 2 })
  -- 1·7+2·9+3·11 = 58, 1·8+2·10+3·12 = 64, 4·7+5·9+6·11 = 139, 4·8+5·10+6·12 = 154
  lu.assertEquals(c:totable(), { { 58, 64 }, { 139, 154 } })
end

function TestTensorMatmul:testAgainstNaiveLoop()
  ae.seed(H.SEED)
  local a, b = ae.randn(17, 33), ae.randn(33, 9)
  local c = a:matmul(b)
  lu.assertEquals(c:size(), { 17, 9 })
  assert_tensor_near(lu, c, naive_matmul(a, b), 1e-4, "matmul 17×33·33×9")
end

function TestTensorMatmul:testLargeAgainstNaive()
  -- big enough for the threaded path of the GEMM wrapper (M·N·K ≥ 2^18)
  ae.seed(H.SEED)
  local a, b = ae.randn(70, 65), ae.randn(65, 80)
  assert_tensor_near(lu, a:matmul(b), naive_matmul(a, b), 1e-4, "matmul 70×65·65×80")
end

function TestTensorMatmul:testTranspose()
  local a = ae.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  local t = a:t()
  lu.assertEquals(t:size(), { 3, 2 })
  lu.assertEquals(t:totable(), { { 1, 4 }, { 2, 5 }, { 3, 6 } })
  lu.assertEquals(t:t(), a)
  -- a·aᵀ is symmetric
  local s = a:matmul(t)
  lu.assertEquals(s:totable(), { { 14, 32 }, { 32, 77 } })
end

function TestTensorMatmul:testInnerMismatch()
  local err = H.error_containing(lu, "inner dimensions", function() return ae.zeros(2, 3):matmul(ae.zeros(4, 2)) end)
  lu.assertStrContains(err, "[2×3]")
  lu.assertStrContains(err, "[4×2]")
end

TestTensorRows = {}

function TestTensorRows:testGatherWithTensor()
  local x = ae.tensor { { 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 } }
  local r = x:rows(ae.tensor { 4, 1, 1 })
  lu.assertEquals(r:size(), { 3, 2 })
  lu.assertEquals(r:totable(), { { 4, 4 }, { 1, 1 }, { 1, 1 } })
end

function TestTensorRows:testGatherWithTable()
  local x = ae.tensor { { 1, 10 }, { 2, 20 }, { 3, 30 } }
  lu.assertEquals(x:rows { 3, 2 }:totable(), { { 3, 30 }, { 2, 20 } })
end

function TestTensorRows:testGatherRangeInto()
  local x = ae.tensor { { 1 }, { 2 }, { 3 }, { 4 }, { 5 } }
  local into = ae.zeros(2, 1)
  local r = x:rows(ae.tensor { 5, 4, 3, 2, 1 }, 2, 2, into)
  lu.assertTrue(rawequal(r, into))
  lu.assertEquals(into:totable(), { { 4 }, { 3 } })
end

function TestTensorRows:testGather3D()
  local x = ae.tensor { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } } }
  local r = x:rows { 2 }
  lu.assertEquals(r:size(), { 1, 2, 2 })
  lu.assertEquals(r:totable(), { { { 5, 6 }, { 7, 8 } } })
end

function TestTensorRows:testBadIndices()
  local x = ae.zeros(3, 2)
  H.error_containing(lu, "outside 1..3", x.rows, x, { 1, 4 })
  H.error_containing(lu, "outside 1..3", x.rows, x, { 0 })
  H.error_containing(lu, "outside 1..3", x.rows, x, ae.tensor { 1.5 })
  -- far out of range and NaN: checked before any float-to-integer cast
  H.error_containing(lu, "outside 1..3", x.rows, x, ae.tensor { 1e30 })
  H.error_containing(lu, "outside 1..3", x.rows, x, ae.tensor { -1e30 })
  H.error_containing(lu, "outside 1..3", x.rows, x, ae.tensor { 0 / 0 })
  H.error_containing(lu, "outside the 2 given", x.rows, x, { 1, 2 }, 2, 5)
end

TestTensorMisc = {}

function TestTensorMisc:testToBytes()
  local a = ae.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  local b = a:tobytes()
  lu.assertEquals(#b, 6 * 4)
  lu.assertEquals(string.unpack("<f", b, 1), 1.0)
  lu.assertEquals(string.unpack("<f", b, 21), 6.0)
end

function TestTensorMisc:testEquality()
  local a = ae.tensor { 1, 2, 3 }
  lu.assertTrue(a == ae.tensor { 1, 2, 3 })
  lu.assertFalse(a == ae.tensor { 1, 2, 4 })
  lu.assertFalse(a == ae.tensor { { 1, 2, 3 } }) -- same values, other shape
  lu.assertTrue(a:reshape(3, 1) == ae.tensor { { 1 }, { 2 }, { 3 } })
end

function TestTensorMisc:testToString()
  local s = tostring(ae.tensor { { 1, 2, 3 }, { 4, 5, 6 } })
  lu.assertStrContains(s, "[2×3]")
  lu.assertStrContains(s, "1, 2, 3")
  local big = tostring(ae.full(0.5, 100, 784))
  lu.assertStrContains(big, "[100×784]")
  lu.assertStrContains(big, "mean 0.5")
  lu.assertTrue(#big < 200, "a big tensor prints a short summary")
end

function TestTensorMisc:testRandpermIsAPermutation()
  ae.seed(H.SEED)
  for _, n in ipairs { 1, 2, 10, 1000 } do
    local p = ae.randperm(n)
    lu.assertEquals(p:size(), { n })
    local seen = {}
    for _, v in ipairs(p:totable()) do
      lu.assertEquals(math.type(v) == "float" and v == math.floor(v), true)
      lu.assertTrue(v >= 1 and v <= n)
      lu.assertNil(seen[v], "duplicate " .. v)
      seen[v] = true
    end
  end
  -- not the identity (for n = 1000 that has probability 1/1000!)
  local p = ae.randperm(1000):totable()
  local moved = 0
  for i, v in ipairs(p) do if v ~= i then moved = moved + 1 end end
  lu.assertTrue(moved > 900)
  lu.assertEquals(ae.randperm(0):numel(), 0)
end

TestTensorNpy = {}

local function roundtrip(t)
  local path = os.tmpname()
  lu.assertTrue(t:save_npy(path))
  local back, err = ae.load_npy(path)
  os.remove(path)
  lu.assertNotNil(back, err)
  return back
end

function TestTensorNpy:testRoundTrip1D()
  local t = ae.tensor { 1.5, -2, 3.25 }
  local b = roundtrip(t)
  lu.assertEquals(b:size(), { 3 })
  lu.assertTrue(b == t)
end

function TestTensorNpy:testRoundTrip2D()
  ae.seed(H.SEED)
  local t = ae.randn(5, 7)
  local b = roundtrip(t)
  lu.assertEquals(b:size(), { 5, 7 })
  lu.assertTrue(b == t)
end

function TestTensorNpy:testRoundTrip3D()
  ae.seed(H.SEED)
  local t = ae.rand(2, 3, 4)
  local b = roundtrip(t)
  lu.assertEquals(b:size(), { 2, 3, 4 })
  lu.assertTrue(b == t)
end

function TestTensorNpy:testHeaderIs64Aligned()
  local path = os.tmpname()
  ae.zeros(3, 4):save_npy(path)
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("a")
  f:close()
  os.remove(path)
  lu.assertEquals(bytes:sub(1, 6), "\x93NUMPY")
  lu.assertEquals((#bytes - 12 * 4) % 64, 0)
  lu.assertStrContains(bytes, "'shape': (3, 4)")
  lu.assertStrContains(bytes, "'descr': '<f4'")
end

local function have_numpy()
  return os.execute("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == true
end

function TestTensorNpy:testNumpyReadsIt()
  if not have_numpy() then lu.skip("/usr/bin/python3 has no numpy") end
  local t = ae.tensor { { { 1, 2 }, { 3, 4 }, { 5, 6 } }, { { 7, 8 }, { 9, 10 }, { 11, 12.5 } } }
  local path = os.tmpname()
  t:save_npy(path)
  local out, err, code = H.run("/usr/bin/python3 -c " .. H.q(
    "import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape, a.sum(), a[1, 2, 1])") .. " " .. H.q(path))
  os.remove(path)
  lu.assertEquals(code, 0, err)
  lu.assertEquals(out, "float32 (2, 3, 2) 78.5 12.5\n")
  -- and 1-D
  path = os.tmpname()
  ae.tensor { 3, 4 }:save_npy(path)
  out = H.run("/usr/bin/python3 -c " .. H.q("import numpy, sys; print(numpy.load(sys.argv[1]).shape)") .. " " .. H.q(path))
  os.remove(path)
  lu.assertEquals(out, "(2,)\n")
end

function TestTensorNpy:testNumpyWritesIt()
  if not have_numpy() then lu.skip("/usr/bin/python3 has no numpy") end
  local path = os.tmpname() .. ".npy"
  local _, err, code = H.run("/usr/bin/python3 -c " .. H.q(
    "import numpy, sys; numpy.save(sys.argv[1], numpy.arange(6, dtype=numpy.float64).reshape(2, 3) / 4)") .. " " ..
    H.q(path))
  lu.assertEquals(code, 0, err)
  local t = ae.load_npy(path)
  os.remove(path)
  lu.assertEquals(t:size(), { 2, 3 })
  lu.assertEquals(t:totable(), { { 0, 0.25, 0.5 }, { 0.75, 1, 1.25 } })
end

function TestTensorNpy:testMissingFile()
  local t, err = ae.load_npy("/nonexistent/dir/x.npy")
  lu.assertNil(t)
  lu.assertStrContains(err, "cannot open")
  lu.assertStrContains(err, "/nonexistent/dir/x.npy")
end

function TestTensorNpy:testNotNpy()
  local path = os.tmpname()
  H.write_file(path, "hello, this is not numpy")
  local t, err = ae.load_npy(path)
  os.remove(path)
  lu.assertNil(t)
  lu.assertStrContains(err, "bad magic")
end

function TestTensorNpy:testTruncated()
  local path = os.tmpname()
  ae.zeros(10, 10):save_npy(path)
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("a")
  f:close()
  H.write_file(path, bytes:sub(1, #bytes - 8))
  local t, err = ae.load_npy(path)
  os.remove(path)
  lu.assertNil(t)
  lu.assertStrContains(err, "truncated")
end

local function write_npy(path, header, data)
  H.write_file(path, "\x93NUMPY\x01\x00" .. string.pack("<I2", #header) .. header .. (data or ""))
end

function TestTensorNpy:testOtherDtypes()
  local path = os.tmpname()
  write_npy(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", string.pack("<dd", 1.5, -2))
  lu.assertEquals(ae.load_npy(path):totable(), { 1.5, -2 })
  write_npy(path, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }\n", "\1\255")
  lu.assertEquals(ae.load_npy(path):totable(), { { 1, 255 } })
  -- big-endian data was once refused as "only float32, float64 and uint8": it is byte-swapped
  write_npy(path, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", string.pack(">f>f", 1.5, -3))
  lu.assertEquals(ae.load_npy(path):totable(), { 1.5, -3 })
  write_npy(path, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n", string.pack(">d", 0.25))
  lu.assertEquals(ae.load_npy(path):totable(), { 0.25 })
  write_npy(path, "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }\n", "\0\0\0\0")
  local t, err = ae.load_npy(path)
  lu.assertNil(t)
  lu.assertStrContains(err, "dtype '<i4' is not supported (float32, float64 and uint8 are)")
  write_npy(path, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }\n", "\0\0\0\0")
  t, err = ae.load_npy(path)
  lu.assertNil(t)
  lu.assertStrContains(err, "Fortran order")
  os.remove(path)
end

function TestTensorNpy:testBadDimensions()
  local path = os.tmpname()
  -- 2^32 + 2 once became a silent 2
  write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967298,), }\n", string.rep("\0", 8))
  local t, err = ae.load_npy(path)
  lu.assertNil(t)
  lu.assertStrContains(err, "has a dimension of 4294967298")
  write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (-5, 3), }\n")
  t, err = ae.load_npy(path)
  lu.assertNil(t)
  lu.assertStrContains(err, "has a dimension of -5")
  lu.assertStrContains(err, path)
  os.remove(path)
end

function TestTensorNpy:testSaveToBadPath()
  local ok, err = ae.zeros(2):save_npy("/nonexistent/dir/x.npy")
  lu.assertNil(ok)
  lu.assertStrContains(err, "cannot write /nonexistent/dir/x.npy: No such file or directory")
end

-- A failed save leaves the old file whole, and no temporary file behind.
function TestTensorNpy:testFailedSaveKeepsTheOldFile()
  local dir = H.tmpdir()
  local path = dir .. "/keep.npy"
  assert(ae.tensor { 1, 2, 3 }:save_npy(path))
  local before = H.read(path)
  -- a folder in the way of the rename: the write succeeds, the rename fails
  local ok, err = ae.zeros(2):save_npy(dir)
  lu.assertNil(ok)
  lu.assertStrContains(err, "cannot write " .. dir)
  lu.assertEquals(H.read(path), before)
  local parent, base = dir:match("^(.*)/([^/]*)$")
  local p = io.popen("ls -a " .. H.q(parent))
  local names = p:read("a")
  p:close()
  lu.assertNotStrContains(names, base .. ".tmp-") -- the temporary file went too
  H.rmdir(dir)
end

TestMedian = {}
function TestMedian:testOddEvenEmptyAndUnsorted()
  lu.assertEquals(ae.median { 3, 1, 2 }, 2)
  lu.assertEquals(ae.median { 4, 1, 2, 3 }, 2.5)
  lu.assertEquals(ae.median { 7 }, 7)
  local nan = ae.median {}
  lu.assertTrue(nan ~= nan, "no values: NaN")
  local list = { 5, 9, 1 }
  ae.median(list)
  lu.assertEquals(list, { 5, 9, 1 }, "the list is left as given")
end
