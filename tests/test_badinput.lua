-- Bad input, as a careless user gives it: typos in option tables, ragged
-- tables, data of the wrong shape or range, broken .npy files, misused
-- loaders. Each test checks the message says what was wrong and, where it
-- matters, that nothing was done (a typo must not train with defaults).
-- The convention (README, "Errors"): a bad argument raises an error; a
-- problem with a file or the machine returns nil, message.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"
local optcheck = require "aelab.optcheck"

local err_has, fails_with = H.error_containing, H.failure_containing

-- A small autoencoder and data in [0, 1].
local function small()
  H.seed()
  local net = ae.Autoencoder { encoder = { ae.Dense(4, 2), ae.ReLU() }, decoder = { ae.Dense(2, 4), ae.Sigmoid() } }
  net:compile { loss = "mse", optimizer = ae.optim.Adam {} }
  return net, ae.rand(16, 4)
end

local function weights(net)
  local p = net:parameters()
  return p:clone()
end

---------------------------------------------------------------------------
-- The two helpers
---------------------------------------------------------------------------
TestBadOptionHelpers = {}

function TestBadOptionHelpers:testDistance()
  lu.assertEquals(optcheck.distance("epoch", "epochs"), 1)
  lu.assertEquals(optcheck.distance("", "lr"), 2)
  lu.assertEquals(optcheck.distance("kitten", "sitting"), 3)
  lu.assertEquals(optcheck.distance("same", "same"), 0)
end

function TestBadOptionHelpers:testNearestOrTheList()
  lu.assertEquals(optcheck.nearest("btach", { "batch", "epochs" }), "batch")
  lu.assertNil(optcheck.nearest("zzzzzzzz", { "batch", "epochs" }))
  lu.assertEquals(optcheck.message("f", "zzzzzzzz", { "b", "a" }), "f: unknown option 'zzzzzzzz' (the options are a, b)")
end

function TestBadOptionHelpers:testNotATableOrNotAStringKey()
  local net, x = small()
  err_has(lu, "fit: options must be a table, got number", net.fit, net, x, 5)
  err_has(lu, "Adam: option names are strings, got a boolean key", ae.optim.Adam, { [true] = 1 })
  err_has(lu, "ae.plot.history: option names are strings, got a table key", ae.plot.history, { loss = { 1 } },
    { [{}] = 1 })
end

---------------------------------------------------------------------------
-- Typos in options tables: every table, the key and the nearest one named
---------------------------------------------------------------------------
TestBadOptions = {}

function TestBadOptions:testFitEpochTrainsNothing()
  local net, x = small()
  local before = weights(net)
  err_has(lu, "fit: unknown option 'epoch' (did you mean 'epochs'?)", net.fit, net, x, { epoch = 3, verbose = false })
  lu.assertTrue(weights(net) == before, "a typo must not train with the defaults")
end

function TestBadOptions:testFitOtherLibrariesNames()
  local net, x = small()
  err_has(lu, "fit: unknown option 'batch_size' (did you mean 'batch'?)", net.fit, net, x, { batch_size = 4 })
  err_has(lu, "fit: unknown option 'validation_data' (did you mean 'validation'?)", net.fit, net, x,
    { validation_data = x })
  err_has(lu, "fit: unknown option 'verbos' (did you mean 'verbose'?)", net.fit, net, x, { verbos = false })
end

function TestBadOptions:testFitValidationTable()
  local net, x = small()
  err_has(lu, "fit: validation: unknown option 'targte' (did you mean 'target'?)", net.fit, net, x,
    { validation = { x = x, targte = x }, verbose = false })
end

function TestBadOptions:testAdam()
  err_has(lu, "Adam: unknown option 'learning_rate' (did you mean 'lr'?)", ae.optim.Adam, { learning_rate = 0.1 })
  err_has(lu, "Adam: unknown option 'beta_1' (did you mean 'beta1'?)", ae.optim.Adam, { beta_1 = 0.8 })
  err_has(lu, "Adam: unknown option 'epsilon' (did you mean 'eps'?)", ae.optim.Adam, { epsilon = 1e-8 })
end

function TestBadOptions:testAdamOfNilIsAdamOfNothing()
  -- Adam(nil) once checked the nil after pushing a table above it: "table expected, got nil"
  lu.assertEquals(tostring(ae.optim.Adam(nil)), tostring(ae.optim.Adam()))
  lu.assertEquals(tostring(ae.optim.SGD(nil)), tostring(ae.optim.SGD {}))
  err_has(lu, "Adam' (table expected, got number)", ae.optim.Adam, 0.1)
end

function TestBadOptions:testSGD()
  err_has(lu, "SGD: unknown option 'momentun' (did you mean 'momentum'?)", ae.optim.SGD, { momentun = 0.9 })
  err_has(lu, "SGD: unknown option 'zzzzzzzz' (the options are lr, momentum, nesterov, weight_decay)", ae.optim.SGD,
    { zzzzzzzz = 1 })
end

function TestBadOptions:testDense()
  err_has(lu, "Dense: unknown option 'int' (did you mean 'init'?)", ae.Dense, 3, 2, { int = "he" })
  err_has(lu, "Dense' (table expected, got string)", ae.Dense, 3, 2, "he")
end

function TestBadOptions:testConvLayers()
  err_has(lu, "Conv2D: unknown option 'strid' (did you mean 'stride'?)", ae.Conv2D, 1, 2, 3, { strid = 2 })
  err_has(lu, "ConvTranspose2D: unknown option 'paddin' (did you mean 'padding'?)", ae.ConvTranspose2D, 1, 2, 3,
    { paddin = "same" })
  err_has(lu, "Conv2D: unknown option 'kernels' (did you mean 'kernel'?)", ae.Conv2D, 1, 2, 3, { kernels = "gemm" })
end

function TestBadOptions:testMaxPool()
  err_has(lu, "MaxPool2D: unknown option 'pading' (did you mean 'padding'?)", ae.MaxPool2D, 2, { pading = "same" })
  err_has(lu, "MaxPool2D: unknown option 'stide' (did you mean 'stride'?)", ae.MaxPool2D, 2, 2, { stide = 1 })
end

function TestBadOptions:testNoise()
  err_has(lu, "ae.noise.gaussian: unknown option 'stdd' (did you mean 'std'?)", ae.noise.gaussian,
    { std = 0.1, stdd = 0.5 })
  err_has(lu, "ae.noise.masking: unknown option 'clp' (did you mean 'clip'?)", ae.noise.masking,
    { p = 0.1, clp = { 0, 1 } })
end

function TestBadOptions:testPenalties()
  err_has(lu, "ae.penalty.l1: unknown option 'lamda' (did you mean 'lambda'?)", ae.penalty.l1,
    { lambda = 1, lamda = 1 })
  err_has(lu, "ae.penalty.kl_sparsity: unknown option 'rhoo' (did you mean 'rho'?)", ae.penalty.kl_sparsity,
    { beta = 1, rho = 0.1, rhoo = 0.2 })
  err_has(lu, "ae.penalty.contractive: unknown option 'rho'", ae.penalty.contractive, { lambda = 1, rho = 0.1 })
end

function TestBadOptions:testSchedules()
  err_has(lu, "ae.schedule.linear: unknown option 'epoch' (did you mean 'epochs'?)", ae.schedule.linear,
    { from = 0, to = 1, epochs = 3, epoch = 3 })
  err_has(lu, "ae.schedule.cosine: unknown option 'form' (did you mean 'from'?)", ae.schedule.cosine,
    { form = 0, to = 1, epochs = 3 })
  err_has(lu, "ae.schedule.step: unknown option 'level' (did you mean 'levels'?)", ae.schedule.step,
    { level = { 1 }, every = 2 })
end

function TestBadOptions:testPlots()
  local h = { loss = { 1, 0.5 } }
  err_has(lu, "ae.plot.history: unknown option 'tittle' (did you mean 'title'?)", ae.plot.history, h, { tittle = "x" })
  err_has(lu, "ae.plot.images: unknown option 'ncols' (did you mean 'ncol'?)", ae.plot.images, ae.rand(2, 4),
    { ncols = 2, image = { 2, 2 } })
  err_has(lu, "ae.plot.reconstructions: unknown option 'recon_lable' (did you mean 'recon_label'?)",
    ae.plot.reconstructions, ae.rand(2, 4), ae.rand(2, 4), { recon_lable = "r" })
  err_has(lu, "ae.plot.histogram: unknown option 'bin' (did you mean 'bins'?)", ae.plot.histogram, { 1, 2 }, { bin = 3 })
end

function TestBadOptions:testModels()
  err_has(lu, "Autoencoder: unknown option 'decodr' (did you mean 'decoder'?)", ae.Autoencoder,
    { encoder = { ae.Dense(2, 1) }, decoder = { ae.Dense(1, 2) }, decodr = {} })
  err_has(lu, "Sequential: unknown option 'inptu' (did you mean 'input'?)", ae.Sequential,
    { ae.Dense(2, 1), inptu = { 2 } })
  local net = small()
  err_has(lu, "compile: unknown option 'los' (did you mean 'loss'?)", net.compile, net, { los = "bce" })
end

function TestBadOptions:testLessonAndData()
  err_has(lu, "Lesson.new: unknown option 'titel' (did you mean 'title'?)", ae.Lesson.new, { name = "x", titel = "y" })
  err_has(lu, "ae.data.fashion_mnist: unknown option 'limt' (did you mean 'limit'?)", ae.data.fashion_mnist,
    { limt = 10 })
  err_has(lu, "ae.data.mnist: limit must be a positive integer, got -1", ae.data.mnist, { limit = -1 })
end

---------------------------------------------------------------------------
-- Silent wrong inputs
---------------------------------------------------------------------------
TestBadTables = {}

function TestBadTables:testRaggedRowIsNamed()
  -- {{1,2},{3,4,5}} once gave [2×2], the 5 dropped
  err_has(lu, "tensor{}: ragged table: row [2] has 3 entries, expected 2 like the first row", ae.tensor,
    { { 1, 2 }, { 3, 4, 5 } })
  err_has(lu, "row [2] has 1 entries, expected 2", ae.tensor, { { 1, 2 }, { 3 } })
end

function TestBadTables:testMixedNesting()
  err_has(lu, "tensor{}: ragged table: element [2] is a number, expected a table of 2 numbers", ae.tensor,
    { { 1, 2 }, 3 })
  err_has(lu, "tensor{}: element [2] is a table, not a number", ae.tensor, { 1, { 2 } })
  err_has(lu, "row [2][2] has 2 entries, expected 1", ae.tensor, { { { 1 }, { 2 } }, { { 3 }, { 4, 5 } } })
end

function TestBadTables:testNotANumber()
  err_has(lu, "tensor{}: element [1][2] is a boolean, not a number", ae.tensor, { { 1, true } })
  lu.assertEquals(ae.tensor({ "1.5", 2 }):totable(), { 1.5, 2 }) -- numeric strings convert, as Lua does
end

function TestBadTables:testRowsWithNonNumbers()
  -- a non-number index once became row 0
  local t = ae.tensor { { 1, 2 }, { 3, 4 } }
  err_has(lu, "rows: index 2 is a string, not a row number", t.rows, t, { 1, "two" })
  err_has(lu, "rows: index 1 is a table, not a row number", t.rows, t, { {} })
  lu.assertEquals(t:rows({ 2, 1 }):totable(), { { 3, 4 }, { 1, 2 } })
end

TestBadFitData = {}

function TestBadFitData:testOneDimensionalX()
  local net = ae.Sequential { ae.Dense(1, 1) }
  net:compile { loss = "mse", optimizer = ae.optim.SGD {} }
  err_has(lu, "fit: x is 1-D [8]; samples are rows: use x:reshape(8, 1) for 8 samples of one value or " ..
    "x:reshape(1, 8) for one sample", net.fit, net, ae.rand(8), { verbose = false })
end

function TestBadFitData:testOneDimensionalTarget()
  local net = ae.Sequential { ae.Dense(4, 1) }
  net:compile { loss = "mse", optimizer = ae.optim.SGD {} }
  err_has(lu, "fit: target is 1-D [8]", net.fit, net, ae.rand(8, 4), { target = ae.rand(8), verbose = false })
end

function TestBadFitData:testValidationNotATensor()
  local net, x = small()
  err_has(lu, "fit: validation must be a tensor or {x = tensor, target = tensor}, got string", net.fit, net, x,
    { validation = "abc", verbose = false })
  err_has(lu, "got a table without a tensor x", net.fit, net, x, { validation = {}, verbose = false })
  err_has(lu, "fit: validation.target must be a tensor, got string", net.fit, net, x,
    { validation = { x = x, target = "t" }, verbose = false })
end

function TestBadFitData:testBceOnBytes()
  local net, x = small()
  net:compile { loss = "bce" }
  local before = weights(net)
  local err = err_has(lu, "fit: loss 'bce' needs targets in [0, 1], but the training target spans [0, 255]", net.fit,
    net, ae.tensor { { 0, 255, 3, 4 }, { 1, 2, 3, 4 } }, { verbose = false })
  lu.assertStrContains(err, "ae.data.idx(path, true)")
  lu.assertTrue(weights(net) == before, "nothing trained")
end

function TestBadFitData:testBceValidationTarget()
  local net, x = small()
  err_has(lu, "but the validation target spans [-1, 0.5]", net.fit, net, x,
    { loss = "bce", validation = ae.tensor { { -1, 0.5, 0, 0 } }, verbose = false, epochs = 1 })
end

function TestBadFitData:testBceInRangeTrains()
  local net, x = small()
  local h = net:fit(x, { loss = "bce", epochs = 1, verbose = false })
  lu.assertTrue(h.loss[1] > 0)
end

---------------------------------------------------------------------------
-- .npy files: parsed as what they say, refused for the right reason
---------------------------------------------------------------------------
TestBadNpy = {}

function TestBadNpy:setUp() self.path = os.tmpname() end
function TestBadNpy:tearDown() os.remove(self.path) end

-- A version-1 file: preamble, header (padded with \n as numpy does), data.
function TestBadNpy:write(header, data, version)
  local pre = version == 2 and ("\x93NUMPY\x02\x00" .. string.pack("<I4", #header + 1))
    or ("\x93NUMPY\x01\x00" .. string.pack("<I2", #header + 1))
  H.write_file(self.path, pre .. header .. "\n" .. (data or ""))
  return self.path
end

local function f4(...) return string.pack(string.rep("<f", select("#", ...)), ...) end

function TestBadNpy:testPython2LongShape()
  -- '(2L, 3L)' once loaded as shape [2]
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", f4(1, 2, 3, 4, 5, 6))
  local t = assert(ae.load_npy(self.path))
  lu.assertEquals(t:size(), { 2, 3 })
  lu.assertEquals(t:totable(), { { 1, 2, 3 }, { 4, 5, 6 } })
end

function TestBadNpy:testBigEndianLoads()
  -- '>f4' was refused with "only float32, float64 and uint8"
  self:write("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", string.pack(">f>f>f", 1, -2.5, 1e-3))
  local t = assert(ae.load_npy(self.path))
  lu.assertAlmostEquals(t:get(3), 1e-3, 1e-9)
  lu.assertEquals(t:get(2), -2.5)
end

function TestBadNpy:testHugeClaimInATinyFile()
  -- 20000×20000 floats claimed in a few bytes: refused before 1.6 GB is allocated
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 20000), }", f4(1, 2))
  local t0 = ae.clock()
  local msg = fails_with(lu, "is truncated: its header promises [20000×20000] values of 4 bytes, the file holds 8 bytes",
    ae.load_npy, self.path)
  lu.assertStrContains(msg, self.path)
  lu.assertTrue(ae.clock() - t0 < 0.1, "refused at once")
end

function TestBadNpy:testTooLong()
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4(1, 2))
  fails_with(lu, "is longer than its header says: 8 bytes of data for 1 values of 4 bytes", ae.load_npy, self.path)
end

function TestBadNpy:testMissingKeys()
  self:write("{'descr': '<f4', 'fortran_order': False, }", f4(1))
  fails_with(lu, "header has no shape", ae.load_npy, self.path)
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }", f4(1))
  fails_with(lu, "unknown header key 'extra'", ae.load_npy, self.path)
end

function TestBadNpy:testStructuredAndUnorderedTypes()
  self:write("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", f4(1))
  fails_with(lu, "a structured dtype is not supported (float32, float64 and uint8 are)", ae.load_npy, self.path)
  self:write("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", f4(1))
  fails_with(lu, "dtype '|f4' has no byte order", ae.load_npy, self.path)
  self:write("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4(1, 2))
  fails_with(lu, "dtype '<c8' is not supported", ae.load_npy, self.path)
end

function TestBadNpy:testVersionAndHeaderLength()
  H.write_file(self.path, "\x93NUMPY\x09\x00\x10\x00{}")
  fails_with(lu, ".npy format version 9.0 is not supported", ae.load_npy, self.path)
  H.write_file(self.path, "\x93NUMPY\x01\x00\xff\x7f{'descr': '<f4'")
  fails_with(lu, "is truncated in its header", ae.load_npy, self.path)
  H.write_file(self.path, "\x93NUMPY")
  fails_with(lu, "not a .npy file (bad magic)", ae.load_npy, self.path)
end

function TestBadNpy:testVersion2Loads()
  self:write("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", string.pack("<d<d", 0.5, 4), 2)
  lu.assertEquals(assert(ae.load_npy(self.path)):totable(), { 0.5, 4 })
end

function TestBadNpy:testBadShapes()
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }", f4(1))
  fails_with(lu, "has more than 4 dimensions", ae.load_npy, self.path)
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", f4(1, 2))
  fails_with(lu, "the shape holds something other than sizes", ae.load_npy, self.path)
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", f4(1, 2))
  fails_with(lu, "the shape is not a tuple", ae.load_npy, self.path)
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", f4(1, 2))
  fails_with(lu, "are not separated by commas", ae.load_npy, self.path)
end

function TestBadNpy:testNotADictionary()
  self:write("['descr', '<f4']", f4(1))
  fails_with(lu, "the header is not a dictionary", ae.load_npy, self.path)
  self:write("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", f4(1))
  fails_with(lu, "fortran_order is neither True nor False", ae.load_npy, self.path)
end

function TestBadNpy:testEmptyAndScalar()
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }")
  lu.assertEquals(assert(ae.load_npy(self.path)):size(), { 0, 3 })
  self:write("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f4(7))
  lu.assertEquals(assert(ae.load_npy(self.path)):totable(), { 7 })
end

---------------------------------------------------------------------------
-- Loaders: nil, message for the file; errors for the arguments
---------------------------------------------------------------------------
TestBadLoaderUse = {}

function TestBadLoaderUse:testDirectoryIsNotAFile()
  fails_with(lu, "load_npy: '/tmp' is not a regular file", ae.load_npy, "/tmp")
  fails_with(lu, "IDX: '/tmp'", ae.data.idx, "/tmp")
end

function TestBadLoaderUse:testMissingFilesAreFailuresNotErrors()
  local msg = fails_with(lu, "cannot open '/nonexistent/x.npy'", ae.load_npy, "/nonexistent/x.npy")
  lu.assertStrContains(msg, "No such file or directory")
  fails_with(lu, "IDX: cannot open '/nonexistent/x.idx'", ae.data.idx, "/nonexistent/x.idx")
  fails_with(lu, "cannot write /nonexistent/dir/x.npy", ae.zeros(2).save_npy, ae.zeros(2), "/nonexistent/dir/x.npy")
end

function TestBadLoaderUse:testBadArgumentsAreErrors()
  err_has(lu, "load_npy' (string expected, got table)", ae.load_npy, {})
  err_has(lu, "ae.data.idx: path must be a string, got number", ae.data.idx, 42)
  err_has(lu, "ae.data.idx: scale must be true or false, got string", ae.data.idx, "x", "yes")
  err_has(lu, "bad argument #2 to '?' (string expected, got no value)", ae.zeros(2).save_npy, ae.zeros(2))
end

---------------------------------------------------------------------------
-- NaN and Inf through the element-wise math (UBSan stopped the sanitizer
-- build at vexp's shift of a NaN's bits)
---------------------------------------------------------------------------
TestBadNumbers = {}

function TestBadNumbers:testNaNThroughExpSigmoidTanh()
  local t = ae.tensor { 0 / 0, math.huge, -math.huge }
  local e, s, th = t:exp():totable(), t:sigmoid():totable(), t:tanh():totable()
  lu.assertTrue(e[1] ~= e[1] and s[1] ~= s[1] and th[1] ~= th[1], "NaN stays NaN")
  lu.assertEquals(s[2], 1)
  lu.assertEquals(th[3], -1)
end

function TestBadNumbers:testTanhNearZero()
  -- 2σ(2x) − 1 gave tanh(1e-6) with a 7% error
  local v = ae.tensor({ 1e-6 }):tanh():get(1)
  lu.assertTrue(math.abs(v - 1e-6) / 1e-6 < 1e-5, string.format("tanh(1e-6) = %.9g", v))
end
