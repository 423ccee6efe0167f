-- Images as ae.image: PNG/JPEG files, folders of them, patches, stitching,
-- metrics, colour spaces. The work is in C (core/image.c, core/imgops.c,
-- bindings/limage.c); this adds options, defaults and folders.
--
--   local img = assert(ae.image.read("page.png"))          -- 1×C×H×W in [0, 1]
--   local p, corners = ae.image.patches(img, {size = 64, stride = 48})
--   local back = ae.image.stitch(p, corners, img)           -- overlaps averaged
--   ae.image.psnr(a, b), ae.image.ssim(a, b), ae.image.rmse(a, b)
--
-- Images are 1×C×H×W (one) or N×C×H×W (a batch), C = 1 (gray) or 3 (RGB).
-- As everywhere in aelab: a bad argument raises; a problem with a file
-- (missing, damaged, not an image, disk full) returns nil, message.
require "aelab" -- the tensor type's metatable, before any image is made
local C = require "aelab.image"
local sys = require "aelab.sys"
local optcheck = require "aelab.optcheck"

local image = {}

local function is_tensor(t) return require("aelab.tensor").is_tensor(t) end

local function check_image(who, t, arg)
  if not is_tensor(t) then error(string.format("%s: argument #%d must be an image tensor, got %s", who, arg, type(t)), 3) end
  if t:dim() ~= 4 and t:dim() ~= 3 then
    error(string.format("%s: an image is 1×C×H×W (or C×H×W), got %d dimensions", who, t:dim()), 3)
  end
end

-- The sizes C, H, W of an image or a batch.
function image.dims(t)
  if t:dim() == 4 then return t:size(2), t:size(3), t:size(4) end
  return t:size(1), t:size(2), t:size(3)
end

-- read(path, {channels = 0|1|3}) → 1×C×H×W | nil, message. channels 1
-- makes a colour file gray, 3 a gray one RGB; 0 (default) keeps the file's.
function image.read(path, o)
  if type(path) ~= "string" then error("ae.image.read: path must be a string, got " .. type(path), 2) end
  o = optcheck.check("ae.image.read", o, { "channels" }, 2) or {}
  return C.read(path, o.channels or 0)
end

-- write(t, path, {quality = 95}) → true | nil, message. The format from the
-- name: .png, or .jpg/.jpeg (quality 1..100).
function image.write(t, path, o)
  check_image("ae.image.write", t, 1)
  if type(path) ~= "string" then error("ae.image.write: path must be a string, got " .. type(path), 2) end
  o = optcheck.check("ae.image.write", o, { "quality" }, 2) or {}
  return C.write(t, path, o.quality or 95)
end

local IMAGE_EXT = { png = true, jpg = true, jpeg = true }

-- folder(dir, {channels =, limit =}) → {{name =, path =, image =}, ...}
-- sorted by name | nil, message: every PNG and JPEG in dir (not below).
-- A file that does not read is an error naming it: a data set with a bad
-- file is a data set to fix, not to use in part.
function image.folder(dir, o)
  if type(dir) ~= "string" then error("ae.image.folder: dir must be a string, got " .. type(dir), 2) end
  o = optcheck.check("ae.image.folder", o, { "channels", "limit" }, 2) or {}
  local entries, err = sys.listdir(dir) -- {name =, dir =}, sorted by name
  if not entries then return nil, err end
  local list = {}
  for _, e in ipairs(entries) do
    local ext = e.name:match("%.(%w+)$")
    if not e.dir and ext and IMAGE_EXT[ext:lower()] then list[#list + 1] = e.name end
  end
  local out = {}
  for i, name in ipairs(list) do
    if o.limit and i > o.limit then break end
    local path = dir .. "/" .. name
    local t, why = C.read(path, o.channels or 0)
    if not t then return nil, why end
    out[#out + 1] = { name = name, path = path, image = t }
  end
  if #out == 0 then return nil, "ae.image.folder: no PNG or JPEG file in " .. dir end
  return out
end

-- patches(img, {size = P, stride = s}) → n×C×P×P patches, n×2 corners: a
-- regular grid every s pixels (default P/2), the last row and column flush
-- with the border so every pixel is covered.
-- patches(img, {size = P, count = n, seed = k}) → n random patches (corners
-- from the seed when given, else from ae.seed's generator).
-- patches(img, {size = P, corners = c}) → the patches at given corners (the
-- same places in an input and its target).
function image.patches(img, o)
  check_image("ae.image.patches", img, 1)
  o = optcheck.check("ae.image.patches", o, { "corners", "count", "seed", "size", "stride" }, 2)
  if not o or math.type(o.size) ~= "integer" or o.size < 1 then
    error("ae.image.patches: size (the side of a square patch, in pixels) must be a positive integer", 2)
  end
  local _, H, W = image.dims(img)
  local corners = o.corners
  if not corners then
    if o.count then
      if o.stride then error("ae.image.patches: count (random patches) or stride (a grid), not both", 2) end
      corners = C.random_corners(H, W, o.size, o.count, o.seed)
    else
      if o.seed then error("ae.image.patches: seed goes with count (random patches); a grid is not random", 2) end
      corners = C.grid(H, W, o.size, o.stride or math.max(1, o.size // 2))
    end
  end
  return C.extract(img, corners, o.size), corners
end

-- stitch(patches, corners, like, {margin = m}) → 1×C×H×W, each pixel the
-- mean of the patches over it; `like` is the original image or {H, W}.
-- margin: the m pixels along a patch's inner edges are left out (a
-- convolution's zero padding spoils a patch's rim).
function image.stitch(patches, corners, like, o)
  o = optcheck.check("ae.image.stitch", o, { "margin" }, 2) or {}
  local H, W
  if is_tensor(like) then
    local _
    _, H, W = image.dims(like)
  elseif type(like) == "table" then
    H, W = like[1], like[2]
  else
    error("ae.image.stitch: the third argument is the image's size {H, W} or an image of that size", 2)
  end
  return C.stitch(patches, corners, H, W, o.margin or 0)
end

-- apply(fn, img, {size = P, margin = m, batch = 256}) → 1×C'×H×W: fn (a
-- model, or a function of an n×C×P×P batch) run over overlapping patches of
-- a whole image and stitched back, so a model trained on P×P patches works
-- at the image's own resolution. Each patch gives only its middle (margin
-- m, default P/8, dropped on inner edges; the grid's stride P − 2m).
function image.apply(fn, img, o)
  check_image("ae.image.apply", img, 2)
  o = optcheck.check("ae.image.apply", o, { "batch", "margin", "size" }, 2) or {}
  if type(fn) ~= "function" then
    local model = fn
    fn = function(x) return model:reconstruct(x) end
  end
  local P = o.size or error("ae.image.apply: size (the model's patch side) is required", 2)
  local _, H, W = image.dims(img)
  local margin = o.margin or P // 8
  local corners = C.grid(H, W, P, math.max(1, P - 2 * margin))
  local n, B = corners:size(1), o.batch or 256
  local out
  for s = 1, n, B do
    local c = corners:narrow(1, s, math.min(B, n - s + 1))
    local y = fn(C.extract(img, c, P))
    if not out then out = require("aelab.tensor").zeros(n, y:size(2), P, P) end
    out:narrow(1, s, c:size(1)):copy(y)
  end
  return C.stitch(out, corners, H, W, margin)
end

-- Quality of b against the reference a (tensors of one shape, values in [0, 1]).
function image.mse(a, b) return C.mse(a, b) end
function image.rmse(a, b) return math.sqrt(C.mse(a, b)) end
-- PSNR in dB for a peak of 1: 10·log10(1 / MSE); identical images give inf.
function image.psnr(a, b)
  local m = C.mse(a, b)
  return m > 0 and 10 * math.log(1 / m, 10) or math.huge
end
image.ssim = C.ssim
image.colorfulness = C.colorfulness

-- Colour spaces and small filters, straight from C.
image.rgb_to_lab, image.lab_to_rgb = C.rgb_to_lab, C.lab_to_rgb
image.median, image.otsu, image.shrink = C.median, C.otsu, C.shrink
image.decode = C.decode
-- jpeg(t, quality) → t after a JPEG save and load at that quality.
image.jpeg = C.jpeg

-- gray(rgb) → N×1×H×W: the CIE lightness L*/100 of sRGB images, the gray
-- a black-and-white photo of the scene would show.
function image.gray(rgb)
  local N, _, H, W = table.unpack(rgb:size())
  local lab = C.rgb_to_lab(rgb)
  local idx = {}
  for k = 0, N - 1 do idx[#idx + 1] = 3 * k + 1 end
  return lab:reshape(N * 3, H * W):rows(idx):reshape(N, 1, H, W) / 100
end

-- Channel c (1-based) of N×C×H×W images, as N×1×H×W.
function image.channel(t, c)
  local N, Cn, H, W = table.unpack(t:size())
  local idx = {}
  for k = 0, N - 1 do idx[#idx + 1] = Cn * k + c end
  return t:reshape(N * Cn, H * W):rows(idx):reshape(N, 1, H, W)
end

-- Channels stacked: merge({a, b, ...}) of N×Ck×H×W tensors → N×(ΣCk)×H×W.
function image.merge(parts)
  local N, _, H, W = table.unpack(parts[1]:size())
  local total = 0
  for _, p in ipairs(parts) do total = total + p:size(2) end
  local out = require("aelab.tensor").zeros(N, total, H, W)
  local flat = out:reshape(N * total, H * W)
  for n = 1, N do
    local at = 0
    for _, p in ipairs(parts) do
      local k = p:size(2)
      flat:narrow(1, (n - 1) * total + at + 1, k):copy(p:narrow(1, n, 1):reshape(k, H * W))
      at = at + k
    end
  end
  return out
end

-- center_crops(list, side) → N×C×side×side: the central side×side square of
-- each image of the list (1×C×H×W each, C that of the first), e.g. the
-- held-out photos of a figure at one size.
function image.center_crops(list, side)
  local Cn = image.dims(list[1])
  local out = require("aelab.tensor").zeros(#list, Cn, side, side)
  for i, t in ipairs(list) do
    local _, hh, ww = image.dims(t)
    local c = require("aelab.tensor").tensor { { (hh - side) // 2, (ww - side) // 2 } }
    out:narrow(1, i, 1):copy(image.patches(t, { size = side, corners = c }))
  end
  return out
end

return image
