-- The image data sets of lessons 11-13, as ae.data.documents, ae.data.photos
-- and ae.data.watermarks. scripts/prepare-images.py makes them once from
-- Debian packages into the cache (its header lists sources, licences and
-- the dirt); here they are read back as tensors.
--
--   local train, test = assert(ae.data.documents())
--   train[1] = {name = "ccitt2", clean = 1×1×H×W, dirty = {[level] = 1×1×H×W}}
--   local train, test = assert(ae.data.photos())        -- {name =, image = 1×3×H×W}
--   local train, test = assert(ae.data.watermarks())    -- {name =, clean =, marked = {1×3×H×W, ...}}
--
-- A missing set is prepared on first use (a few seconds to a minute); a
-- missing Debian package comes back as nil, message naming it.
local options = require "aelab.options"
local sys = require "aelab.sys"
local optcheck = require "aelab.optcheck"

local M = {}

-- as scripts/prepare-images.py writes them (its VERSIONS)
local VERSIONS = { documents = "1", photos = "2", watermarks = "2" }

-- aelab's cache folder: $AELAB_CACHE, else $XDG_CACHE_HOME/aelab, else
-- ~/.cache/aelab (the data sets prepared on first use live below it).
function M.cache_root()
  local cache = os.getenv("AELAB_CACHE")
  if not cache or cache == "" then
    local xdg = os.getenv("XDG_CACHE_HOME")
    cache = ((xdg and xdg ~= "") and xdg or ((os.getenv("HOME") or ".") .. "/.cache")) .. "/aelab"
  end
  return cache
end

function M.images_dir() return M.cache_root() .. "/images" end

local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- The folder of a set, prepared first when needed | nil, message.
local function ensure(set)
  local dir = M.images_dir() .. "/" .. set
  local v = read_all(dir .. "/VERSION")
  if v and v:match("^%s*(.-)%s*$") == VERSIONS[set] then return dir end
  local script = options.home .. "/scripts/prepare-images.py"
  io.stderr:write(string.format("The %s data set is not in %s yet: preparing it once from Debian packages...\n", set,
    dir))
  -- an argv, no shell; the script's messages go to our stderr
  local p, err = sys.spawn({ script, set }, { stdin = "inherit", stdout = "stderr" })
  if not p then return nil, "cannot run " .. script .. ": " .. tostring(err) end
  local ok, how, code = p:close()
  local why = how and (how .. " " .. tostring(code)) or nil
  v = read_all(dir .. "/VERSION")
  if not ok or not v or v:match("^%s*(.-)%s*$") ~= VERSIONS[set] then
    return nil, string.format("the %s data set could not be prepared (%s; see the message above from %s, which " ..
      "names any missing Debian package; scripts/install-deps.sh installs them all)", set, tostring(why or "failed"),
      script)
  end
  return dir
end

local function image() return require "aelab.images" end

-- The files of folder dir, sorted, as {name, path}.
local function list(dir)
  local entries, err = sys.listdir(dir) -- {name =, dir =}, sorted by name
  if not entries then return nil, err end
  local names = {}
  for _, e in ipairs(entries) do if not e.dir then names[#names + 1] = e.name end end
  return names
end

local function read(path, channels)
  return image().read(path, { channels = channels })
end

-- The {limit =, test_limit =} options of every ae.data loader, checked;
-- errors point at the loader's caller.
function M.check_limits(who, o)
  o = optcheck.check(who, o, { "limit", "test_limit" }, 3) or {}
  for _, k in ipairs { "limit", "test_limit" } do
    if o[k] ~= nil and not (math.type(o[k]) == "integer" and o[k] >= 1) then
      error(string.format("%s: %s must be a positive integer, got %s", who, k, tostring(o[k])), 3)
    end
  end
  return o
end

-- documents{limit =, test_limit =} → train, test pages | nil, message
function M.documents(o)
  o = M.check_limits("ae.data.documents", o)
  local dir, err = ensure("documents")
  if not dir then return nil, err end
  local out = {}
  for _, split in ipairs { "train", "test" } do
    local names, lerr = list(dir .. "/" .. split)
    if not names then return nil, lerr end
    local pages, by = {}, {}
    local limit = split == "train" and o.limit or (o.test_limit or o.limit)
    for _, f in ipairs(names) do
      local page, kind = f:match("^(.-)%.(%w[%w%-]*)%.png$")
      if page then
        if not by[page] then
          if limit and #pages >= limit then goto next end
          by[page] = { name = page, dirty = {} }
          pages[#pages + 1] = by[page]
        end
        local t, rerr = read(dir .. "/" .. split .. "/" .. f, 1)
        if not t then return nil, rerr end
        local level = kind:match("^dirty%-L(%d)$")
        if kind == "clean" then by[page].clean = t
        elseif level then by[page].dirty[tonumber(level)] = t end
      end
      ::next::
    end
    -- a page without its clean or dirty copies is a damaged set, not a smaller one
    for _, page in ipairs(pages) do
      if not page.clean or not next(page.dirty) then
        return nil, string.format("the documents set in %s is incomplete: %s/%s has no %s copy (delete %s and it is " ..
          "prepared again)", dir, split, page.name, page.clean and "dirty" or "clean", dir)
      end
    end
    if #pages == 0 then
      return nil, string.format("the documents set in %s has no %s pages (delete %s and it is prepared again)", dir,
        split, dir)
    end
    out[split] = pages
  end
  return out.train, out.test
end

-- photos{limit =, test_limit =} → train, test photos {name, image} | nil, message
function M.photos(o)
  o = M.check_limits("ae.data.photos", o)
  local dir, err = ensure("photos")
  if not dir then return nil, err end
  local out = {}
  for _, split in ipairs { "train", "test" } do
    local limit = split == "train" and o.limit or (o.test_limit or o.limit)
    local list_, ferr = image().folder(dir .. "/" .. split, { channels = 3, limit = limit })
    if not list_ then return nil, ferr end
    for _, p in ipairs(list_) do p.name = p.name:gsub("%.png$", "") end
    out[split] = list_
  end
  return out.train, out.test
end

-- watermarks{limit =, test_limit =} → train, test {name, clean, marked = {...}} | nil, message
function M.watermarks(o)
  o = M.check_limits("ae.data.watermarks", o)
  local dir, err = ensure("watermarks")
  if not dir then return nil, err end
  local train, test = M.photos(o)
  if not train then return nil, test end
  local out = { train = {}, test = {} }
  for split, photos in pairs { train = train, test = test } do
    local names, lerr = list(dir .. "/" .. split)
    if not names then return nil, lerr end
    for _, p in ipairs(photos) do
      local item = { name = p.name, clean = p.image, marked = {} }
      for _, f in ipairs(names) do
        if f:sub(1, #p.name + 1) == p.name .. "." and f:match("^.-%.(%d+)%.png$") and
            f:sub(#p.name + 2):match("^%d+%.png$") then
          local t, rerr = read(dir .. "/" .. split .. "/" .. f, 3)
          if not t then return nil, rerr end
          item.marked[#item.marked + 1] = t
        end
      end
      if #item.marked == 0 then return nil, "no watermarked copy of " .. p.name .. " in " .. dir .. "/" .. split end
      out[split][#out[split] + 1] = item
    end
  end
  return out.train, out.test
end

return M
