-- Model files and checkpoints: net:save / ae.load / net:load_weights round
-- trips for every layer kind, each error a damaged or foreign file gives,
-- and fit{checkpoint, resume} giving the losses of an uninterrupted run bit
-- for bit.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"
local sys = require "aelab.sys"

-- A file problem returns nil and a message containing `plain` (README, "Errors").
local function fails_with(plain, fn, ...)
  local res, err = fn(...)
  lu.assertNil(res, "expected nil and a message")
  lu.assertStrContains(tostring(err), plain)
end

H.announce_seed("test_modelfile")

-- Every kind once: a dense autoencoder with a tied decoder and Dropout, and
-- a convolutional one through Reshape, both convolutions, pooling,
-- upsampling and Flatten.
local function dense_model()
  local enc = ae.Dense(12, 5, { init = "he" })
  local net = ae.Autoencoder {
    encoder = { enc, ae.LeakyReLU(0.2), ae.Dropout(0.25), ae.Dense(5, 3), ae.Tanh() },
    decoder = { ae.Dense(3, 5), ae.Identity(), ae.ReLU(), ae.DenseTied(enc), ae.Sigmoid() },
  }
  net:compile { loss = "bce", optimizer = ae.optim.Adam { lr = 0.003, beta1 = 0.8 } }
  return net
end

local function conv_model()
  local net = ae.Autoencoder {
    encoder = { ae.Reshape { 1, 8, 8 }, ae.Conv2D(1, 3, 3, { padding = "same", init = "he" }), ae.ReLU(),
      ae.MaxPool2D(2), ae.Conv2D(3, 4, 3, { stride = 2, padding = "same" }) },
    decoder = { ae.UpSampling2D(4), ae.ConvTranspose2D(4, 1, 3, { padding = "same", kernel = "naive" }),
      ae.Softmax(), ae.Flatten() },
    input = { 64 },
  }
  net:compile { loss = "mse", optimizer = ae.optim.SGD { lr = 0.05, momentum = 0.9, nesterov = true } }
  return net
end

-- A file's bytes with `old` (a plain string, found once) replaced by `new`.
local function patch(bytes, old, new)
  local i = bytes:find(old, 1, true)
  assert(i and not bytes:find(old, i + 1, true), "patch: not found once: " .. old)
  return bytes:sub(1, i - 1) .. new .. bytes:sub(i + #old)
end

TestModelFile = {}

function TestModelFile:setUp()
  H.seed()
  self.dir = H.tmpdir()
  self.path = self.dir .. "/m.safetensors"
end

function TestModelFile:tearDown() H.rmdir(self.dir) end

function TestModelFile:check_round_trip(net, x)
  net:fit(x, { epochs = 1, batch = 8, verbose = false }) -- weights and optimizer moved off their start
  lu.assertEquals(net:save(self.path), self.path)
  local back = ae.load(self.path)
  lu.assertEquals(tostring(back), tostring(net))
  lu.assertEquals(back:code_index(), net:code_index())
  lu.assertEquals(back:loss_name(), net:loss_name())
  lu.assertEquals(back:optimizer():config(), net:optimizer():config())
  local a, b = net:layers(), back:layers()
  for i = 1, #a do lu.assertEquals(b[i]:config(), a[i]:config(), "layer " .. i) end
  lu.assertEquals(back:forward(x), net:forward(x)) -- same weights, bit for bit
  local p1, p2 = net:parameters(), back:parameters()
  lu.assertEquals(p2, p1)
  -- Dropout keeps its salt: the training outputs agree too (each forward
  -- in training mode draws its step seed from the generator)
  net:training(); back:training()
  ae.seed(3)
  local y = net:forward(x)
  ae.seed(3)
  lu.assertEquals(back:forward(x), y)
  return back
end

function TestModelFile:test_dense_round_trip()
  local back = self:check_round_trip(dense_model(), ae.rand(20, 12))
  -- the tied decoder still shares the encoder's weight after loading
  local l = back:layers()
  lu.assertTrue(rawequal(l[9]:tied_to(), l[1]))
  lu.assertEquals(back:param_count(), dense_model():param_count())
end

function TestModelFile:test_conv_round_trip() self:check_round_trip(conv_model(), ae.rand(10, 64)) end

function TestModelFile:test_shared_layer_saved_once()
  local d = ae.Dense(4, 4)
  local net = ae.Sequential { d, ae.Tanh(), d }
  net:save(self.path)
  local back = ae.load(self.path)
  local l = back:layers()
  lu.assertTrue(rawequal(l[1], l[3]))
  local x = ae.rand(3, 4)
  lu.assertEquals(back:forward(x), net:forward(x))
end

function TestModelFile:test_load_keeps_the_generator()
  dense_model():save(self.path)
  ae.seed(5)
  local want = ae.rand(1, 4)
  ae.seed(5)
  ae.load(self.path)
  lu.assertEquals(ae.rand(1, 4), want)
end

function TestModelFile:test_load_weights()
  local net = dense_model()
  net:save(self.path)
  local other = dense_model() -- other weights drawn
  local x = ae.rand(4, 12)
  lu.assertNotEquals(other:forward(x), net:forward(x))
  lu.assertTrue(rawequal(other:load_weights(self.path), other))
  lu.assertEquals(other:forward(x), net:forward(x))
end

function TestModelFile:test_header_is_safetensors()
  ae.Sequential { ae.Dense(3, 2) }:save(self.path)
  local bytes = H.read(self.path)
  local n = string.unpack("<I8", bytes)
  lu.assertEquals(n % 8, 0)
  local header = ae.json.decode(bytes:sub(9, 8 + n))
  lu.assertEquals(header["layers.0.weight"], { dtype = "F32", shape = { 2, 3 }, data_offsets = { 0, 24 } })
  lu.assertEquals(header["layers.0.bias"], { dtype = "F32", shape = { 2 }, data_offsets = { 24, 32 } })
  lu.assertEquals(#bytes, 8 + n + 32)
  local meta = header.__metadata__
  lu.assertEquals(meta.aelab_format, "1")
  lu.assertEquals(meta.aelab_version, ae.version)
  lu.assertStrMatches(meta.crc32, "%x+")
  lu.assertEquals(ae.json.decode(meta.architecture).layers[1], { kind = "Dense", ["in"] = 3, out = 2, init = "glorot" })
end

-- Each broken file gives its own error, naming the file.
function TestModelFile:test_missing_file()
  fails_with("cannot read " .. self.dir .. "/nope.safetensors: No such file", ae.load,
    self.dir .. "/nope.safetensors")
  fails_with("it is a folder", ae.load, self.dir)
end

function TestModelFile:test_truncated()
  dense_model():save(self.path)
  local bytes = H.read(self.path)
  H.write_file(self.path, bytes:sub(1, #bytes - 5))
  fails_with(self.path .. " is truncated: tensor", ae.load, self.path)
  H.write_file(self.path, bytes:sub(1, 100))
  fails_with(self.path .. " is truncated: the header needs", ae.load, self.path)
  H.write_file(self.path, bytes:sub(1, 5))
  fails_with("not even the 8-byte header length", ae.load, self.path)
end

function TestModelFile:test_wrong_checksum()
  dense_model():save(self.path)
  local bytes = H.read(self.path)
  local i = #bytes - 3 -- a byte of the last tensor
  H.write_file(self.path, bytes:sub(1, i - 1) .. string.char(bytes:byte(i) ~ 1) .. bytes:sub(i + 1))
  fails_with("wrong checksum", ae.load, self.path)
end

function TestModelFile:test_newer_format()
  dense_model():save(self.path)
  H.write_file(self.path, patch(H.read(self.path), '"aelab_format":"1"', '"aelab_format":"7"'))
  fails_with("written by a newer aelab (file format 7; this aelab reads format 1", ae.load, self.path)
end

function TestModelFile:test_mismatched_shapes()
  ae.Sequential { ae.Dense(6, 3), ae.ReLU() }:save(self.path)
  local net = ae.Sequential { ae.Dense(6, 4), ae.ReLU() }
  fails_with("layers.0.weight in " .. self.path .. " is [3×6], but the model's layer 1 (Dense(6→4)) has [4×6]",
    net.load_weights, net, self.path)
  local deeper = ae.Sequential { ae.Dense(6, 3), ae.ReLU(), ae.Dense(3, 3) }
  fails_with("has no tensor layers.2.weight", deeper.load_weights, deeper, self.path)
  local shallow = ae.Sequential { ae.Dense(6, 3) }
  ae.Sequential { ae.Dense(6, 3), ae.Dense(3, 3) }:save(self.path)
  fails_with("holds layers.1.weight, which the model has no place for", shallow.load_weights, shallow,
    self.path)
end

function TestModelFile:test_header_not_json()
  local head = '{"a": nonsense}  '
  H.write_file(self.path, string.pack("<I8", #head) .. head)
  fails_with("the header is not valid safetensors JSON", ae.load, self.path)
  H.write_file(self.path, string.pack("<I8", 8) .. "PK\3\4 zip")
  fails_with("the header is not a JSON object", ae.load, self.path)
  H.write_file(self.path, string.rep("\255", 64))
  fails_with("more than safetensors allows", ae.load, self.path)
end

function TestModelFile:test_header_lies_about_offsets()
  ae.Sequential { ae.Dense(3, 2) }:save(self.path)
  local bytes = H.read(self.path)
  H.write_file(self.path, patch(bytes, "[24,32]", "[24,30]"))
  fails_with("tensor 'layers.0.bias' claims bytes [24, 30) of the data, but its shape needs 8", ae.load,
    self.path)
  H.write_file(self.path, patch(bytes, "[24,32]", "[16,24]"))
  fails_with("an overlap", ae.load, self.path)
  H.write_file(self.path, patch(patch(bytes, '"dtype":"F32","shape":[2]', '"dtype":"F32","shape":[1]'), "[24,32]",
    "[24,28]"))
  fails_with("4 bytes after the last tensor's data", ae.load, self.path)
  H.write_file(self.path, patch(bytes, '"F32","shape":[2]', '"F16","shape":[2]'))
  fails_with("is F16; aelab reads F32 only", ae.load, self.path)
end

function TestModelFile:test_not_an_aelab_file()
  local head = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
  head = head .. string.rep(" ", (8 - #head % 8) % 8)
  H.write_file(self.path, string.pack("<I8", #head) .. head .. string.pack("<f", 1.5))
  fails_with("is a safetensors file but not aelab's", ae.load, self.path)
end

function TestModelFile:test_save_errors()
  local net = ae.Sequential { ae.Dense(3, 2) }
  fails_with("cannot write " .. self.dir .. "/no/such/m.safetensors", net.save, net,
    self.dir .. "/no/such/m.safetensors")
  H.error_containing(lu, "expected a file name", net.save, net, 42)
  -- a failed save leaves the old file
  net:save(self.path)
  local before = H.read(self.path)
  fails_with("cannot write", net.save, net, self.dir) -- a folder cannot be replaced by a file
  lu.assertEquals(H.read(self.path), before)
end

-- Checkpoints

TestCheckpoint = {}

function TestCheckpoint:setUp() self.dir = H.tmpdir() end
function TestCheckpoint:tearDown() H.rmdir(self.dir) end

-- The same model, data and generator state each call.
local function fresh(seed)
  ae.seed(seed or 11)
  local x = ae.rand(90, 12)
  local net = ae.Autoencoder {
    encoder = { ae.Dense(12, 5), ae.ReLU(), ae.Dropout(0.2) },
    decoder = { ae.Dense(5, 12), ae.Sigmoid() },
  }
  return net, x
end

local function options(extra)
  local o = { epochs = 4, batch = 16, loss = "bce", optimizer = ae.optim.Adam { lr = 0.01 }, verbose = false,
    noise = ae.noise.masking { p = ae.schedule.linear { from = 0.1, to = 0.4, epochs = 4 } } }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

function TestCheckpoint:test_resume_is_bit_identical()
  local net, x = fresh()
  local straight = net:fit(x, options { validation = x:narrow(1, 1, 30) })
  local ck = self.dir .. "/run"
  local first, x1 = fresh()
  local part = first:fit(x1, options { epochs = 2, checkpoint = ck, validation = x1:narrow(1, 1, 30) })
  lu.assertEquals(part.epochs, 2)
  -- a fresh model, and a generator elsewhere: resume puts everything back
  local second, x2 = fresh()
  ae.seed(987)
  ae.rand(5, 5)
  local resumed = second:fit(x2, options { resume = ck, checkpoint = ck, validation = x2:narrow(1, 1, 30) })
  lu.assertEquals(resumed.epochs, 4)
  for e = 1, 4 do
    print(string.format("  epoch %d: uninterrupted %.17g, resumed %.17g", e, straight.loss[e], resumed.loss[e]))
    lu.assertTrue(resumed.loss[e] == straight.loss[e], "epoch " .. e)
    lu.assertTrue(resumed.val_loss[e] == straight.val_loss[e], "val epoch " .. e)
    lu.assertEquals(resumed.noise_level[e], straight.noise_level[e])
  end
  lu.assertEquals(second:parameters(), net:parameters())
end

-- Adam's update count per segment survives a resume: a layer frozen before
-- the checkpoint and trained after it steps as it would have in one process.
function TestCheckpoint:test_resume_keeps_frozen_layers_counts()
  local function clf()
    ae.seed(23)
    local x, y = ae.randn(48, 6), {}
    for i = 1, 48 do y[i] = i % 3 end
    return ae.Sequential { ae.Dense(6, 8), ae.Tanh(), ae.Dense(8, 3) }, x, ae.tensor(y)
  end
  local ck = self.dir .. "/frozen"
  local net, x, y = clf()
  net:freeze(1)
  net:fit(x, { target = y, epochs = 2, batch = 16, loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 0.01 },
    checkpoint = ck, verbose = false })
  net:unfreeze(1)
  net:fit(x, { target = y, epochs = 2, batch = 16, verbose = false }) -- the same optimizer, in this process
  local second, x2, y2 = clf()
  second:fit(x2, { target = y2, epochs = 4, batch = 16, loss = "cross_entropy", resume = ck,
    optimizer = ae.optim.Adam { lr = 0.01 }, verbose = false })
  lu.assertEquals(second:parameters(), net:parameters())
end

-- RMSprop's and Adadelta's moments survive a resume bit for bit, a layer
-- frozen before the checkpoint and trained after it included.
function TestCheckpoint:test_resume_rmsprop_adadelta_with_frozen_layer()
  for _, kind in ipairs { "RMSprop", "Adadelta" } do
    local function opt() return ae.optim[kind] { lr = kind == "Adadelta" and 1 or 0.01 } end
    local ck = self.dir .. "/" .. kind
    local net, x = fresh(31)
    net:freeze(1)
    net:fit(x, { epochs = 2, batch = 16, loss = "bce", optimizer = opt(), checkpoint = ck, verbose = false })
    net:unfreeze(1)
    net:fit(x, { epochs = 2, batch = 16, verbose = false }) -- the same optimizer, in this process
    local second, x2 = fresh(31)
    second:fit(x2, { epochs = 4, batch = 16, loss = "bce", resume = ck, optimizer = opt(), verbose = false })
    lu.assertEquals(second:parameters(), net:parameters(), kind)
  end
end

-- A checkpoint's moments belong to the optimizer that wrote them: Adam's
-- signed m read as Adadelta's mean square made NaN on the first step.
function TestCheckpoint:test_resume_refuses_another_optimizer()
  local ck = self.dir .. "/adam"
  local net, x = fresh(33)
  net:fit(x, { epochs = 2, batch = 16, loss = "bce", optimizer = ae.optim.Adam { lr = 0.01 }, checkpoint = ck,
    verbose = false })
  local second, x2 = fresh(33)
  local ok, err = pcall(second.fit, second, x2, { epochs = 4, batch = 16, loss = "bce", resume = ck,
    optimizer = ae.optim.Adadelta { lr = 1 }, verbose = false })
  lu.assertFalse(ok)
  lu.assertStrContains(tostring(err), "written by Adam, and this fit uses Adadelta")
  lu.assertStrContains(tostring(err), "ae.optim.Adam{")
end

-- A classifier's accuracy history survives a resume (checkpoint.lua keeps it).
function TestCheckpoint:test_classifier_resume_keeps_accuracy()
  local function clf()
    ae.seed(21)
    local x, y = ae.randn(64, 6), {}
    for i = 1, 64 do y[i] = i % 3 end
    return ae.Sequential { ae.Dense(6, 8), ae.Tanh(), ae.Dense(8, 3) }, x, ae.tensor(y)
  end
  local function opts(extra)
    local o = { epochs = 4, batch = 16, loss = "cross_entropy", optimizer = ae.optim.Adam { lr = 0.01 },
      verbose = false }
    for k, v in pairs(extra) do o[k] = v end
    return o
  end
  local net, x, y = clf()
  local straight = net:fit(x, opts { target = y, validation = { x = x, target = y } })
  local ck = self.dir .. "/clf"
  local first, x1, y1 = clf()
  first:fit(x1, opts { target = y1, epochs = 2, checkpoint = ck, validation = { x = x1, target = y1 } })
  local second, x2, y2 = clf()
  local resumed = second:fit(x2, opts { target = y2, resume = ck, validation = { x = x2, target = y2 } })
  for e = 1, 4 do
    lu.assertEquals(resumed.accuracy[e], straight.accuracy[e], "epoch " .. e)
    lu.assertEquals(resumed.val_accuracy[e], straight.val_accuracy[e], "val epoch " .. e)
  end
end

-- Ctrl-C in epoch 3 of a run checkpointed every 5 epochs: the last
-- finished epoch (2) is written on the way out, and resuming from it gives
-- the uninterrupted run's losses bit for bit.
function TestCheckpoint:test_interrupt_writes_the_last_finished_epoch()
  local signal = require "aelab.signal"
  local net, x = fresh()
  local straight = net:fit(x, options())
  local ck = self.dir .. "/run"
  local first, x1 = fresh()
  local ok, err = pcall(first.fit, first, x1, options { checkpoint = ck, every = 5,
    on_epoch = function(e) if e == 2 then signal.interrupt() end end })
  lu.assertFalse(ok)
  lu.assertTrue(signal.is_interrupt(err), tostring(err))
  require("aelab.guard").interrupted_history = nil
  local second, x2 = fresh()
  local resumed = second:fit(x2, options { resume = ck })
  lu.assertEquals(resumed.epochs, 4)
  for e = 1, 4 do lu.assertTrue(resumed.loss[e] == straight.loss[e], "epoch " .. e) end
  lu.assertEquals(second:parameters(), net:parameters())
end

-- A checkpoint that cannot be written is said, and training goes on with
-- its history (a folder in the way of latest.safetensors).
function TestCheckpoint:test_unwritable_checkpoint_does_not_stop_training()
  local net, x = fresh()
  local ck = self.dir .. "/run"
  sys.mkdir(ck)
  sys.mkdir(ck .. "/latest.safetensors")
  local h = net:fit(x, options { checkpoint = ck })
  lu.assertEquals(h.epochs, 4)
  lu.assertStrContains(h.warning, "checkpoint not written: ")
  lu.assertStrContains(h.warning, ck .. "/latest.safetensors")
  H.error_containing(lu, "every is how often to checkpoint", net.fit, net, x, options { every = 2 })
end

function TestCheckpoint:test_resume_from_another_process()
  local ck = self.dir .. "/run"
  local script = self.dir .. "/part.lua"
  H.write_file(script, string.format([[
    package.path = "tests/?.lua;" .. package.path
    local ae = require "aelab"
    ae.seed(11)
    local x = ae.rand(90, 12)
    local net = ae.Autoencoder { encoder = { ae.Dense(12, 5), ae.ReLU(), ae.Dropout(0.2) },
      decoder = { ae.Dense(5, 12), ae.Sigmoid() } }
    net:fit(x, { epochs = 2, batch = 16, loss = "bce", optimizer = ae.optim.Adam { lr = 0.01 }, verbose = false,
      noise = ae.noise.masking { p = ae.schedule.linear { from = 0.1, to = 0.4, epochs = 4 } }, checkpoint = %q })
  ]], ck))
  local _, err, code = H.run(H.BIN .. " --threads " .. ae.threads() .. " " .. H.q(script))
  lu.assertEquals(code, 0, err)
  local net, x = fresh()
  local straight = net:fit(x, options())
  local second, x2 = fresh()
  ae.seed(3) -- elsewhere: resume puts the generator back
  local resumed = second:fit(x2, options { resume = ck })
  for e = 1, 4 do lu.assertTrue(resumed.loss[e] == straight.loss[e], "epoch " .. e) end
end

function TestCheckpoint:test_every_and_best()
  local ck = self.dir .. "/ck"
  local net, x = fresh()
  local seen = {}
  local h = net:fit(x, options { epochs = 5, every = 2, checkpoint = ck, on_epoch = function(e)
    local f = H.read(ck .. "/latest.safetensors")
    seen[e] = f and ae.json.decode(f:sub(9, 8 + string.unpack("<I8", f))).__metadata__.checkpoint
  end })
  lu.assertNil(seen[1])
  lu.assertEquals(ae.json.decode(seen[2]).epoch, 2)
  lu.assertEquals(ae.json.decode(seen[3]).epoch, 2)
  lu.assertEquals(ae.json.decode(seen[5]).epoch, 5) -- the last epoch always
  local best = ae.load(ck .. "/best.safetensors")
  local f = H.read(ck .. "/best.safetensors")
  local meta = ae.json.decode(f:sub(9, 8 + string.unpack("<I8", f))).__metadata__
  local bestck = ae.json.decode(meta.checkpoint)
  local lowest = math.huge
  for _, e in ipairs { 2, 4, 5 } do lowest = math.min(lowest, h.loss[e]) end
  lu.assertEquals(bestck.best, lowest)
  lu.assertEquals(h.loss[bestck.epoch], lowest)
  lu.assertEquals(best:param_count(), net:param_count())
end

function TestCheckpoint:test_resume_errors()
  local net, x = fresh()
  H.error_containing(lu, "fit: resume: cannot read " .. self.dir .. "/none/latest.safetensors", net.fit, net, x,
    options { resume = self.dir .. "/none" })
  net:save(self.dir .. "/latest.safetensors")
  H.error_containing(lu, "is a model file, not a checkpoint", net.fit, net, x, options { resume = self.dir })
  H.error_containing(lu, "every must be a positive integer", net.fit, net, x, options { checkpoint = self.dir, every = 0 })
  H.error_containing(lu, "checkpoint must be a folder name", net.fit, net, x, options { checkpoint = true })
  local other = ae.Sequential { ae.Dense(12, 12) }
  net:fit(x, options { epochs = 1, checkpoint = self.dir .. "/c" })
  H.error_containing(lu, "layers.0.weight in " .. self.dir .. "/c/latest.safetensors is [5×12], but the model's layer 1", other.fit, other, x,
    { epochs = 2, optimizer = ae.optim.SGD {}, verbose = false, resume = self.dir .. "/c" })
  -- an optimizer of another kind: its moments mean something else
  local net2 = fresh()
  H.error_containing(lu, "written by Adam, and this fit uses SGD", net2.fit, net2, x,
    options { optimizer = ae.optim.SGD {}, resume = self.dir .. "/c" })
  -- the same kind with other moments (momentum's velocity, then none)
  local net3 = fresh()
  net3:fit(x, options { epochs = 1, optimizer = ae.optim.SGD { momentum = 0.9 }, checkpoint = self.dir .. "/m" })
  H.error_containing(lu, "the saved state has one moment, this optimizer keeps none", net3.fit, net3, x,
    options { optimizer = ae.optim.SGD {}, resume = self.dir .. "/m" })
end
