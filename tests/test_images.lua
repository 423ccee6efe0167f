-- Images (ae.image): PNG/JPEG round trips and broken files, patches and
-- stitching, metrics against hand-computed values, colour spaces, and the
-- data preparation script's message for a missing package.
local lu = require "luaunit"
local ae = require "aelab"
local H = require "helpers"

local I = ae.image

-- A 1×C×h×w image of 8-bit values (k/255), so PNG returns it exactly.
local function bytes_image(C, h, w, seed)
  local t = ae.zeros(1, C, h, w)
  local flat = t:reshape(C * h * w)
  local v = seed or 7
  for i = 1, C * h * w do
    v = (v * 1103515245 + 12345) % 2147483648
    flat:set(i, (v % 256) / 255)
  end
  return t
end

-- A smooth image (JPEG keeps those well).
local function smooth_image(C, h, w)
  local t = ae.zeros(1, C, h, w)
  for c = 1, C do
    for y = 1, h do
      for x = 1, w do t:set(1, c, y, x, 0.5 + 0.4 * math.sin(x / 7 + c) * math.cos(y / 9)) end
    end
  end
  return t
end

TestImageFiles = {}
function TestImageFiles:setUp() self.dir = H.tmpdir() end
function TestImageFiles:tearDown() H.rmdir(self.dir) end

function TestImageFiles:testPngRoundTripIsExact()
  for _, case in ipairs { { 1, 5, 7 }, { 3, 13, 1 }, { 3, 1, 1 }, { 1, 31, 17 } } do
    local C, h, w = table.unpack(case)
    local t = bytes_image(C, h, w, C * 100 + h)
    local path = self.dir .. string.format("/img-%d-%d-%d.png", C, h, w)
    lu.assertTrue(I.write(t, path))
    local back = assert(I.read(path))
    lu.assertEquals(back:size(), { 1, C, h, w })
    lu.assertTrue(I.mse(t, back) < 1e-12, string.format("PNG %d×%d×%d changed the pixels", C, h, w)) -- float rounding only
  end
end

function TestImageFiles:testJpegRoundTripIsClose()
  for _, C in ipairs { 1, 3 } do
    local t = smooth_image(C, 33, 47) -- odd sizes: partial 8×8 blocks
    local path = self.dir .. "/smooth" .. C .. ".jpg"
    lu.assertTrue(I.write(t, path, { quality = 95 }))
    local back = assert(I.read(path))
    lu.assertEquals(back:size(), { 1, C, 33, 47 })
    local p = I.psnr(t, back)
    lu.assertTrue(p > 35, string.format("JPEG quality 95 of a smooth image: PSNR %.2f dB", p))
    -- a low quality loses more: the artefacts the documents lesson uses
    local low = I.jpeg(t, 10)
    lu.assertTrue(I.psnr(t, low) < p, "quality 10 is no worse than 95")
  end
end

function TestImageFiles:testChannelsConvert()
  local t = bytes_image(3, 4, 6)
  local path = self.dir .. "/c.png"
  assert(I.write(t, path))
  lu.assertEquals(assert(I.read(path, { channels = 1 })):size(), { 1, 1, 4, 6 })
  local g = bytes_image(1, 4, 6)
  assert(I.write(g, path))
  local rgb = assert(I.read(path, { channels = 3 }))
  lu.assertEquals(rgb:size(), { 1, 3, 4, 6 })
  lu.assertTrue(I.mse(I.channel(rgb, 2), g) < 1e-12) -- gray copied into each channel
end

function TestImageFiles:testBrokenFilesSayWhat()
  local png, jpg = self.dir .. "/ok.png", self.dir .. "/ok.jpg"
  assert(I.write(smooth_image(3, 40, 40), png))
  assert(I.write(smooth_image(3, 40, 40), jpg))
  local function cut(src, dst, n)
    local s = H.read(src)
    H.write_file(dst, s:sub(1, n or #s // 2))
    return dst
  end
  H.failure_containing(lu, "PNG", I.read, cut(png, self.dir .. "/half.png"))
  H.failure_containing(lu, "truncated JPEG", I.read, cut(jpg, self.dir .. "/half.jpg"))
  H.failure_containing(lu, "is empty", I.read, cut(png, self.dir .. "/empty.png", 0))
  -- corrupt: the PNG's data chunk overwritten (its CRC no longer matches)
  local s = H.read(png)
  H.write_file(self.dir .. "/bad.png", s:sub(1, 60) .. string.rep("\255", 40) .. s:sub(101))
  H.failure_containing(lu, "PNG", I.read, self.dir .. "/bad.png")
  -- unsupported: a BMP and a text file
  H.write_file(self.dir .. "/x.bmp", "BM" .. string.rep("\0", 60))
  H.failure_containing(lu, "neither PNG nor JPEG", I.read, self.dir .. "/x.bmp")
  H.failure_containing(lu, "cannot open", I.read, self.dir .. "/missing.png")
  -- writing: an unknown extension and a bad shape are errors, a missing folder a failure
  H.error_containing(lu, "end it in .png, .jpg or .jpeg", I.write, smooth_image(1, 4, 4), self.dir .. "/x.gif")
  H.error_containing(lu, "1 (gray) or 3 (RGB) channels", I.write, ae.zeros(1, 2, 4, 4), self.dir .. "/x.png")
  H.failure_containing(lu, "cannot write", I.write, smooth_image(1, 4, 4), self.dir .. "/no/such/x.png")
  H.error_containing(lu, "unknown option", I.read, png, { channel = 1 })
end

-- CRC-32 of a PNG chunk's type and data (ISO 3309, as PNG uses).
local function crc32(s)
  local c = 0xffffffff
  for i = 1, #s do
    c = c ~ s:byte(i)
    for _ = 1, 8 do c = (c & 1) == 1 and (0xedb88320 ~ (c >> 1)) or (c >> 1) end
  end
  return c ~ 0xffffffff
end

-- A PNG of 16-bit gray pixels (no gAMA chunk, as most writers leave it),
-- zlib with stored blocks so no compressor is needed.
local function png16_gray(w, h, value)
  local raw = {}
  for _ = 1, h do raw[#raw + 1] = "\0" .. string.rep(string.pack(">I2", value), w) end
  raw = table.concat(raw)
  local a, b = 1, 0
  for i = 1, #raw do a = (a + raw:byte(i)) % 65521; b = (b + a) % 65521 end
  local z = "\120\1\1" .. string.pack("<I2I2", #raw, 0xffff - #raw) .. raw .. string.pack(">I4", (b << 16) | a)
  local function chunk(kind, data) return string.pack(">I4", #data) .. kind .. data .. string.pack(">I4", crc32(kind .. data)) end
  return "\137PNG\r\n\26\n" .. chunk("IHDR", string.pack(">I4I4BBBBB", w, h, 16, 0, 0, 0, 0)) ..
    chunk("IDAT", z) .. chunk("IEND", "")
end

function TestImageFiles:testSixteenBitPngIsSrgb()
  -- 32768/65535 is mid-gray as stored, not linear light brightened to 0.73
  local t = assert(I.decode(png16_gray(5, 3, 32768), 0, "gray16.png"))
  lu.assertEquals(t:size(), { 1, 1, 3, 5 })
  lu.assertAlmostEquals(t:get(1, 1, 2, 3), 128 / 255, 0.5 / 255)
  lu.assertAlmostEquals(assert(I.decode(png16_gray(2, 2, 65535), 3)):min(), 1, 1e-6)
end

-- A header claiming more pixels than the file can hold (or than 2^28) is
-- refused before anything that size is allocated.
function TestImageFiles:testHugeClaimsAreRefused()
  local png, jpg = self.dir .. "/ok.png", self.dir .. "/ok.jpg"
  assert(I.write(smooth_image(1, 16, 16), png))
  assert(I.write(smooth_image(3, 16, 16), jpg))
  -- PNG: IHDR (bytes 17-29 are its type and data, 30-33 its CRC) rewritten
  local s = H.read(png)
  local function with_size(w, h)
    local ihdr = "IHDR" .. string.pack(">I4I4", w, h) .. s:sub(25, 29)
    return s:sub(1, 12) .. ihdr .. string.pack(">I4", crc32(ihdr)) .. s:sub(34)
  end
  H.write_file(self.dir .. "/big.png", with_size(16384, 16385)) -- 2^28 + 16384 pixels
  H.failure_containing(lu, "claims 16384×16385 pixels", I.read, self.dir .. "/big.png")
  H.write_file(self.dir .. "/wide.png", with_size(0x7fffffff, 1)) -- past libpng's own limit
  H.failure_containing(lu, "not a readable PNG", I.read, self.dir .. "/wide.png")
  -- JPEG: the frame header's height and width (after FF C0 and its length, precision)
  s = H.read(jpg)
  local at = s:find("\255[\192\194]")
  lu.assertNotNil(at, "no SOF marker")
  H.write_file(self.dir .. "/big.jpg", s:sub(1, at + 4) .. string.pack(">I2I2", 65000, 65000) .. s:sub(at + 9))
  H.failure_containing(lu, "claims 65000×65000 pixels", I.read, self.dir .. "/big.jpg")
  -- within the limit but far more than the data: a damaged file, not a gray page
  H.write_file(self.dir .. "/tall.jpg", s:sub(1, at + 4) .. string.pack(">I2I2", 4000, 16) .. s:sub(at + 9))
  H.failure_containing(lu, "JPEG", I.read, self.dir .. "/tall.jpg")
end

function TestImageFiles:testFolder()
  assert(I.write(bytes_image(1, 3, 3), self.dir .. "/b.png"))
  assert(I.write(bytes_image(3, 3, 3), self.dir .. "/a.png"))
  H.write_file(self.dir .. "/notes.txt", "not an image")
  local list = assert(I.folder(self.dir))
  lu.assertEquals(#list, 2)
  lu.assertEquals(list[1].name, "a.png")
  lu.assertEquals(list[2].image:size(), { 1, 1, 3, 3 })
  H.write_file(self.dir .. "/c.png", "garbage")
  H.failure_containing(lu, "c.png", I.folder, self.dir)
end

TestPatches = {}

function TestPatches:testGridAndStitchReproduceTheImage()
  local img = bytes_image(3, 37, 50)
  for _, case in ipairs { { 8, 8, 0 }, { 16, 5, 0 }, { 16, 12, 2 }, { 37, 1, 0 } } do
    local P, stride, margin = table.unpack(case)
    local p, corners = I.patches(img, { size = P, stride = stride })
    lu.assertEquals(p:size(2), 3)
    local back = I.stitch(p, corners, img, { margin = margin })
    lu.assertTrue(I.mse(img, back) < 1e-12, string.format("P %d stride %d margin %d", P, stride, margin))
  end
  -- the identity through apply: a whole image back, exactly
  local same = I.apply(function(x) return x end, img, { size = 16 })
  lu.assertTrue(I.mse(img, same) < 1e-12)
end

-- centre crops of images of different sizes, each its own middle square
function TestPatches:testCenterCrops()
  local a, b = bytes_image(3, 10, 12), bytes_image(3, 7, 9)
  local c = I.center_crops({ a, b }, 5)
  lu.assertEquals(c:size(), { 2, 3, 5, 5 })
  local ct, at, bt = c:totable(), a:totable(), b:totable()
  for k = 1, 3 do
    for y = 1, 5 do
      for x = 1, 5 do
        lu.assertEquals(ct[1][k][y][x], at[1][k][y + 2][x + 3])
        lu.assertEquals(ct[2][k][y][x], bt[1][k][y + 1][x + 2])
      end
    end
  end
end

function TestPatches:testRandomPatchesFollowTheSeed()
  local img = bytes_image(1, 40, 40)
  local a, ca = I.patches(img, { size = 8, count = 20, seed = 5 })
  local b, cb = I.patches(img, { size = 8, count = 20, seed = 5 })
  local _, cc = I.patches(img, { size = 8, count = 20, seed = 6 })
  lu.assertEquals(ca:totable(), cb:totable())
  lu.assertNotEquals(ca:totable(), cc:totable())
  lu.assertEquals(I.mse(a, b), 0)
  -- every patch is the image at its corner
  for k = 1, 20 do
    local y, x = ca:get(k, 1), ca:get(k, 2)
    lu.assertTrue(y >= 0 and x >= 0 and y + 8 <= 40 and x + 8 <= 40)
    lu.assertEquals(a:get(k, 1, 1, 1), img:get(1, 1, y + 1, x + 1))
    lu.assertEquals(a:get(k, 1, 8, 8), img:get(1, 1, y + 8, x + 8))
  end
end

function TestPatches:testErrors()
  local img = bytes_image(1, 10, 10)
  H.error_containing(lu, "do not fit", I.patches, img, { size = 11 })
  H.error_containing(lu, "count (random patches) or stride", I.patches, img, { size = 4, count = 3, stride = 2 })
  -- random patches need not cover every pixel: stitching says where
  local p, c = I.patches(img, { size = 2, count = 1, seed = 1 })
  H.error_containing(lu, "covered by no patch", I.stitch, p, c, img)
  H.error_containing(lu, "outside", I.stitch, p, ae.tensor { { 9, 9 } }, img)
  -- a grid whose patch count overflows an int is refused (not a wrapped count)
  local raw = require "aelab.image"
  H.error_containing(lu, "too many (at most 2^28): raise the stride", raw.grid, 70000, 70000, 1, 1)
  -- a stride whose second step passes INT_MAX: three rows of corners, not a wrapped loop
  lu.assertEquals(raw.grid(2147483647, 1, 1, 1073741825):size(), { 3, 2 })
  lu.assertEquals(raw.grid(10, 10, 4, 2147483647):totable(), { { 0, 0 }, { 0, 6 }, { 6, 0 }, { 6, 6 } })
end

TestImageMetrics = {}

function TestImageMetrics:testHandComputed()
  local a = ae.full(0.5, 1, 1, 16, 16)
  local b = ae.full(0.6, 1, 1, 16, 16)
  lu.assertAlmostEquals(I.mse(a, b), 0.01, 1e-7)
  lu.assertAlmostEquals(I.rmse(a, b), 0.1, 1e-6)
  lu.assertAlmostEquals(I.psnr(a, b), 20, 1e-4) -- 10·log10(1/0.01)
  lu.assertEquals(I.psnr(a, a), math.huge)
  -- constant images: σ = 0, so SSIM is the luminance term (2μxμy + C1)/(μx² + μy² + C1)
  local C1 = 0.01 ^ 2
  lu.assertAlmostEquals(I.ssim(a, b), (2 * 0.5 * 0.6 + C1) / (0.25 + 0.36 + C1), 1e-6)
  local x = bytes_image(3, 20, 24)
  lu.assertAlmostEquals(I.ssim(x, x), 1, 1e-9)
  -- x against its negative: anti-correlated, SSIM below 0
  lu.assertTrue(I.ssim(x, 1 - x) < 0)
  -- noise lowers SSIM, more noise more
  local n1 = (x + ae.randn(x:size()) * 0.05):clamp(0, 1)
  local n2 = (x + ae.randn(x:size()) * 0.3):clamp(0, 1)
  lu.assertTrue(I.ssim(x, n1) > I.ssim(x, n2))
  H.error_containing(lu, "at least 11×11", I.ssim, ae.zeros(1, 1, 10, 30), ae.zeros(1, 1, 10, 30))
  H.error_containing(lu, "differ in shape", I.mse, a, ae.zeros(1, 1, 16, 15))
end

-- SSIM of textured images against a direct transcription of Wang et al.
-- (2004): at each 11×11 window position, Gaussian-weighted means, variances
-- and covariance, then the product of the three terms; mean over positions.
local function ssim_by_hand(x, y)
  local N, Cn, Hh, Ww = table.unpack(x:size())
  local g, gs = {}, 0
  for k = 0, 10 do
    g[k] = math.exp(-((k - 5) ^ 2) / (2 * 1.5 ^ 2))
    gs = gs + g[k]
  end
  local C1, C2 = 0.01 ^ 2, 0.03 ^ 2
  local total, count = 0, 0
  for n = 1, N do
    for c = 1, Cn do
      for y0 = 0, Hh - 11 do
        for x0 = 0, Ww - 11 do
          local mx, my, sxx, syy, sxy = 0, 0, 0, 0, 0
          for i = 0, 10 do
            for j = 0, 10 do
              local w = g[i] * g[j] / (gs * gs)
              local a, b = x:get(n, c, y0 + i + 1, x0 + j + 1), y:get(n, c, y0 + i + 1, x0 + j + 1)
              mx, my = mx + w * a, my + w * b
              sxx, syy, sxy = sxx + w * a * a, syy + w * b * b, sxy + w * a * b
            end
          end
          local vx, vy, cxy = sxx - mx * mx, syy - my * my, sxy - mx * my
          total = total + (2 * mx * my + C1) * (2 * cxy + C2) / ((mx * mx + my * my + C1) * (vx + vy + C2))
          count = count + 1
        end
      end
    end
  end
  return total / count
end

function TestImageMetrics:testSsimByHand()
  local x = bytes_image(3, 13, 15, 3):reshape(1, 3, 13, 15)
  local two = ae.zeros(2, 3, 13, 15)
  two:narrow(1, 1, 1):copy(x)
  two:narrow(1, 2, 1):copy(smooth_image(3, 13, 15))
  local noisy = (two * 0.7 + bytes_image(3, 26, 15, 11):reshape(2, 3, 13, 15) * 0.3):clamp(0, 1)
  local want = ssim_by_hand(two, noisy)
  lu.assertTrue(want > 0.05 and want < 0.95, "a case between the extremes: " .. want)
  lu.assertAlmostEquals(I.ssim(two, noisy), want, 1e-6)
  -- symmetric in its arguments
  lu.assertAlmostEquals(I.ssim(noisy, two), want, 1e-6)
end

function TestImageMetrics:testLabAndColorfulness()
  local px = ae.zeros(1, 3, 1, 3)
  -- white, pure red, mid gray
  for c, v in ipairs { { 1, 1, 0.5 }, { 1, 0, 0.5 }, { 1, 0, 0.5 } } do
    for k = 1, 3 do px:set(1, c, 1, k, v[k]) end
  end
  local lab = I.rgb_to_lab(px)
  lu.assertAlmostEquals(lab:get(1, 1, 1, 1), 100, 0.01)
  lu.assertAlmostEquals(lab:get(1, 2, 1, 1), 0, 0.01)
  lu.assertAlmostEquals(lab:get(1, 1, 1, 2), 53.24, 0.02) -- sRGB red: L 53.24, a 80.09, b 67.20
  lu.assertAlmostEquals(lab:get(1, 2, 1, 2), 80.09, 0.05)
  lu.assertAlmostEquals(lab:get(1, 3, 1, 2), 67.20, 0.05)
  lu.assertAlmostEquals(lab:get(1, 1, 1, 3), 53.39, 0.02)
  lu.assertTrue(I.mse(I.lab_to_rgb(lab), px) < 1e-10)
  lu.assertAlmostEquals(I.colorfulness(ae.full(0.3, 1, 3, 4, 4)), 0, 1e-9)
  lu.assertTrue(I.colorfulness(px) > 30)
end

function TestImageMetrics:testBaselines()
  -- a lone speck vanishes under a 3×3 median; Otsu splits two levels between them
  local t = ae.full(1, 1, 1, 9, 9)
  t:set(1, 1, 5, 5, 0)
  lu.assertEquals(I.median(t, 3):min(), 1)
  local two = ae.full(0.2, 1, 1, 4, 8)
  two:narrow(1, 1, 1):reshape(32):narrow(1, 1, 16):fill(0.8)
  local th = I.otsu(two)
  lu.assertTrue(th > 0.2 and th < 0.8, "Otsu threshold " .. th)
  lu.assertEquals(I.shrink(ae.full(0.25, 1, 1, 8, 8), 4):size(), { 1, 1, 2, 2 })
end

TestImagePrep = {}
function TestImagePrep:setUp() self.dir = H.tmpdir() end
function TestImagePrep:tearDown() H.rmdir(self.dir) end

function TestImagePrep:testMissingPackagesAreNamed()
  local script = "scripts/prepare-images.py"
  local _, err, code = H.run(string.format("AELAB_CACHE=%s AELAB_JBIG_DIR=/nonexistent %s documents", H.q(self.dir),
    script))
  lu.assertEquals(code, 2)
  lu.assertStrContains(err, "jbigkit-testdata")
  lu.assertStrContains(err, "apt-get install")
  _, err, code = H.run(string.format("AELAB_CACHE=%s PATH=/nonexistent %s documents", H.q(self.dir), script))
  lu.assertEquals(code, 2)
  lu.assertStrContains(err, "jbigkit-bin")
  _, err, code = H.run(string.format("AELAB_CACHE=%s AELAB_MATE_DIR=/nonexistent %s photos", H.q(self.dir), script))
  lu.assertEquals(code, 2)
  lu.assertStrContains(err, "mate-backgrounds")
  -- through the loader: nil and a message that sends to the script's words
  local out
  out, err, code = H.run(string.format("AELAB_CACHE=%s AELAB_MATE_DIR=/nonexistent %s -e %s", H.q(self.dir), H.BIN,
    H.q("local ae = require 'aelab'; print(ae.data.photos())")))
  lu.assertEquals(code, 0)
  lu.assertStrContains(out, "nil\tthe photos data set could not be prepared")
  lu.assertStrContains(err, "mate-backgrounds")
  -- nothing half made is left behind
  local names = assert(require("aelab.sys").listdir(self.dir .. "/images"))
  for _, e in ipairs(names) do lu.assertNotStrContains(e.name, "partial") end
end

-- A prepared set with a page's copy missing is an error naming it, not a
-- page whose clean image is nil in the middle of a lesson.
function TestImagePrep:testIncompleteDocumentsSet()
  local d = self.dir .. "/images/documents"
  assert(os.execute("mkdir -p " .. H.q(d .. "/train") .. " " .. H.q(d .. "/test")))
  H.write_file(d .. "/VERSION", "1\n")
  assert(I.write(smooth_image(1, 16, 16), d .. "/train/p.dirty-L1.png"))
  assert(I.write(smooth_image(1, 16, 16), d .. "/test/q.clean.png"))
  assert(I.write(smooth_image(1, 16, 16), d .. "/test/q.dirty-L1.png"))
  local out, err, code = H.run(string.format("AELAB_CACHE=%s %s -e %s", H.q(self.dir), H.BIN,
    H.q("local ae = require 'aelab'; print(ae.data.documents())")))
  lu.assertEquals(code, 0, err)
  lu.assertStrContains(out, "nil\tthe documents set in ")
  lu.assertStrContains(out, "train/p has no clean copy")
end

-- The image benchmark's race runs argv lists: a path with shell syntax in
-- it reaches the program as it is, and nothing of it is run.
function TestImagePrep:testRaceArgvHasNoShell()
  local race = require "scripts.race"
  local marker = self.dir .. "/ran"
  local line = '{"test_mse":[0.5],"samples_per_s":[7],"median_samples_per_s":7}'
  local c = { { name = "argv", argv = { "/usr/bin/printf", "%s %s\n", line, "$(touch " .. marker .. ")" } } }
  local ok, err = pcall(race, c, 1, 10, "test MSE", "test_mse")
  lu.assertTrue(ok, tostring(err))
  lu.assertEquals(c[1].metric, { 0.5 })
  lu.assertNil(io.open(marker), "the argument was run by a shell")
  c = { { name = "missing", argv = { self.dir .. "/no such program" } } }
  ok, err = pcall(race, c, 1, 10, "test MSE", "test_mse")
  lu.assertFalse(ok)
  lu.assertStrContains(tostring(err), "missing failed")
end

-- A damaged source image is one line naming it (exit status 1), not a
-- Python traceback, and leaves nothing half made in the cache.
function TestImagePrep:testDamagedSourceIsNamed()
  local mate, sk = self.dir .. "/mate", self.dir .. "/sk"
  assert(os.execute("mkdir " .. H.q(mate) .. " " .. H.q(sk)))
  H.write_file(mate .. "/Broken.jpg", "\255\216\255 not really a JPEG")
  for _, f in ipairs { "astronaut.png", "rocket.jpg", "coffee.png", "chelsea.png" } do
    assert(I.write(smooth_image(3, 16, 16), sk .. "/" .. f))
  end
  local _, err, code = H.run(string.format("AELAB_CACHE=%s AELAB_MATE_DIR=%s AELAB_SKIMAGE_DIR=%s %s photos",
    H.q(self.dir .. "/cache"), H.q(mate), H.q(sk), "scripts/prepare-images.py"))
  lu.assertEquals(code, 1, err)
  lu.assertStrContains(err, "prepare-images: the photos set could not be made")
  lu.assertStrContains(err, "Broken.jpg")
  lu.assertNotStrContains(err, "Traceback")
  for _, e in ipairs(assert(require("aelab.sys").listdir(self.dir .. "/cache/images"))) do
    lu.assertNotStrContains(e.name, "partial")
    lu.assertNotStrContains(e.name, "photos")
  end
end

-- Colour figures: N×3×H×W goes to gnuplot as three floats per pixel
-- (rgbimage); a comparison mixes gray and colour columns.
TestImagePlots = {}
function TestImagePlots:setUp() self.dir = H.tmpdir() end
function TestImagePlots:tearDown() H.rmdir(self.dir) end

local function data_bytes(path)
  local s = H.read((path:gsub("%.png$", ".data1.bin")))
  return s and #s
end

function TestImagePlots:testRgbMosaic()
  local x = ae.rand(6, 3, 10, 12)
  local out = self.dir .. "/rgb.png"
  lu.assertEquals(ae.plot.images(x, { out = out, ncol = 3, pad = 2 }), out)
  local MH, MW = 2 * 10 + 3 * 2, 3 * 12 + 4 * 2
  lu.assertEquals(data_bytes(out), 3 * 4 * MH * MW)
  lu.assertStrContains(H.read(self.dir .. "/rgb.gp"), "with rgbimage")
  -- gray images stay gray
  local g = self.dir .. "/gray.png"
  ae.plot.images(ae.rand(6, 1, 10, 12), { out = g, ncol = 3, pad = 2 })
  lu.assertEquals(data_bytes(g), 4 * MH * MW)
  lu.assertNotStrContains(H.read(self.dir .. "/gray.gp"), "rgbimage")
  -- rows of colour images
  local r = self.dir .. "/rows.png"
  ae.plot.image_rows({ { "a", x:narrow(1, 1, 3) }, { "b", x:narrow(1, 4, 3) } }, { out = r })
  lu.assertStrContains(H.read(self.dir .. "/rows.gp"), "with rgbimage")
end

function TestImagePlots:testComparison()
  local rgb = ae.rand(2, 3, 40, 60)
  local gray = ae.image.gray(rgb)
  local out = self.dir .. "/cmp.png"
  lu.assertEquals(ae.plot.comparison({ { "gray", gray }, { "colour", rgb } }, { out = out, shrink = 2 }), out)
  local gp = H.read(self.dir .. "/cmp.gp")
  lu.assertStrContains(gp, "with rgbimage")
  lu.assertStrContains(gp, "'gray'")
  lu.assertStrContains(gp, "'colour'")
  H.error_containing(lu, "holds 40×59 images", ae.plot.comparison,
    { { "a", rgb }, { "b", ae.rand(2, 3, 40, 59) } }, { out = out })
  H.error_containing(lu, "unknown option", ae.plot.comparison, { { "a", rgb } }, { shrinks = 2 })
end
