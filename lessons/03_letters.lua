-- Lesson 03 — the 7×5 letter font in a 2-D latent space.
--
-- Question: can 32 dot-matrix characters be squeezed into two numbers each
-- and come back intact? And what lives between them: does a point of the
-- plane that no letter occupies decode into a new letter?
--
--   ./aelab lessons/03_letters.lua [epochs]      (default 10000 full-batch epochs, seconds)
--   ./aelab --quick lessons/03_letters.lua
local ae = require "aelab"

local L = ae.Lesson.new {
  name = "03_letters",
  title = "Lesson 03 — the 7×5 letter font in a 2-D latent space",
  question = "Can 32 characters of 35 pixels each be coded with 2 numbers and decoded without a\n" ..
    "wrong pixel? What do the points between them decode to?",
}

local quick = ae.options.quick
local epochs = tonumber(arg and arg[1]) or (quick and 800 or 10000)
local data = ae.data.letters()
local x, chars = data.x, data.chars
L:say("The font: %d symbols of 7×5 pixels (%s).", x:size(1), table.concat(chars))

-- encoder 35 → h1 → ... → 2, decoder the mirror image; tanh inside, sigmoid out
local function build(hidden)
  local enc, dec, prev = {}, {}, 35
  for _, n in ipairs(hidden) do
    enc[#enc + 1] = ae.Dense(prev, n)
    enc[#enc + 1] = ae.Tanh()
    prev = n
  end
  enc[#enc + 1] = ae.Dense(prev, 2)
  prev = 2
  for i = #hidden, 1, -1 do
    dec[#dec + 1] = ae.Dense(prev, hidden[i])
    dec[#dec + 1] = ae.Tanh()
    prev = hidden[i]
  end
  dec[#dec + 1] = ae.Dense(prev, 35)
  dec[#dec + 1] = ae.Sigmoid()
  return ae.Autoencoder { encoder = enc, decoder = dec }
end

-- wrong pixels of each letter after thresholding the reconstruction at 0.5
local function pixel_errors(r)
  local errs, worst, total = {}, 0, 0
  for i = 1, x:size(1) do
    local w = 0
    for j = 1, 35 do
      if (r:get(i, j) > 0.5 and 1 or 0) ~= x:get(i, j) then w = w + 1 end
    end
    errs[i], worst, total = w, math.max(worst, w), total + w
  end
  return errs, worst, total
end

local sizes = quick and { { 30, 20 } } or { { 20, 10 }, { 25, 15, 10 }, { 30, 20 } }
local runs, best = {}, nil
L:say("\nTraining %d architectures for %d epochs each (full batch of 32, Adam lr 3e-3, BCE):", #sizes, epochs)
local rows = { "| architecture | parameters | final loss | worst letter (wrong pixels) | wrong pixels in all |",
  "|---|---:|---:|---:|---:|" }
for _, hidden in ipairs(sizes) do
  local name = "35-" .. table.concat(hidden, "-") .. "-2"
  local net = build(hidden)
  net:compile { loss = "bce", optimizer = ae.optim.Adam { lr = 3e-3 } }
  local h = net:fit(x, { epochs = epochs, batch = 32, verbose = false })
  local errs, worst, total = pixel_errors(net:reconstruct(x))
  L:say("  %-14s %6s parameters  loss %.4f  worst letter %d wrong pixels, %d in all", name,
    ae.commas(net:param_count()), h.loss[#h.loss], worst, total)
  rows[#rows + 1] = string.format("| %s | %s | %.4f | %d | %d |", name, ae.commas(net:param_count()),
    h.loss[#h.loss], worst, total)
  local run = { name = name, net = net, history = h, errs = errs, worst = worst, total = total }
  runs[#runs + 1] = run
  if not best or worst < best.worst or (worst == best.worst and h.loss[#h.loss] < best.history.loss[#best.history.loss]) then
    best = run
  end
end
L:section("Architectures tried", table.concat(rows, "\n"))
L:say("\nThe best: %s (worst letter %d wrong pixels of 35).", best.name, best.worst)
local net = best.net
L:save_model(net, "best " .. best.name)

-- the codes, and the plane around them
local z = net:encode(x)
local lo1, hi1, lo2, hi2 = math.huge, -math.huge, math.huge, -math.huge
for i = 1, z:size(1) do
  lo1, hi1 = math.min(lo1, z:get(i, 1)), math.max(hi1, z:get(i, 1))
  lo2, hi2 = math.min(lo2, z:get(i, 2)), math.max(hi2, z:get(i, 2))
end
local m1, m2 = 0.08 * (hi1 - lo1), 0.08 * (hi2 - lo2)

-- A new letter: among midpoints of pairs of letters (a-z) that are
-- neighbours in the plane, the one that decodes to the crispest bitmap
-- (pixels nearest 0 or 1) at least 2 pixels away from every symbol of the font.
local function bitmap(r, i)
  local s = {}
  for j = 1, 35 do s[j] = r:get(i, j) > 0.5 and 1 or 0 end
  return s
end
local font = {}
for i = 1, x:size(1) do font[i] = bitmap(x, i) end
local function distance_to_font(b)
  local best_d = 36
  for _, f in ipairs(font) do
    local d = 0
    for j = 1, 35 do if f[j] ~= b[j] then d = d + 1 end end
    best_d = math.min(best_d, d)
  end
  return best_d
end
local new
for i = 1, x:size(1) do
  for j = i + 1, x:size(1) do
    if chars[i]:match("%a") and chars[j]:match("%a") then
      local mid = ae.tensor { { (z:get(i, 1) + z:get(j, 1)) / 2, (z:get(i, 2) + z:get(j, 2)) / 2 } }
      local r = net:decode(mid)
      local blur = 0
      for k = 1, 35 do blur = blur + math.min(r:get(1, k), 1 - r:get(1, k)) end
      local dist = distance_to_font(bitmap(r, 1))
      local gap = math.sqrt((z:get(i, 1) - z:get(j, 1)) ^ 2 + (z:get(i, 2) - z:get(j, 2)) ^ 2)
      -- crisp, new, and between letters that are close (a real neighbourhood)
      local score = blur / 35 + 0.02 * gap / math.max(hi1 - lo1, hi2 - lo2)
      if dist >= 2 and (not new or score < new.score) then
        new = { i = i, j = j, mid = mid, image = r, score = score, dist = dist, blur = blur / 35 }
      end
    end
  end
end
if new then
  L:say("A new symbol: halfway between '%s' and '%s', at (%.2f, %.2f), the decoder draws a bitmap %d pixels away\n" ..
    "  from every symbol of the font (mean distance of its pixels from 0 or 1: %.3f).", chars[new.i], chars[new.j],
    new.mid:get(1, 1), new.mid:get(1, 2), new.dist, new.blur)
else
  L:say("Every midpoint between neighbouring letters decodes to a letter of the font.")
end

L:say("\nFigures:")
L:figure("loss.png", "Training loss of each architecture", ae.plot.history(
  (function() local t = {} for k, r in ipairs(runs) do t[k] = { label = r.name, history = r.history } end return t end)(),
  { out = L:path("loss.png"), title = "Letters: training loss (BCE per pixel)", logscale = true }))
local group = ae.zeros(x:size(1))
for i, c in ipairs(chars) do group:set(i, c:match("%a") and 0 or 1) end
L:figure("latent.png", "The 32 codes in the plane, each labelled with its character",
  ae.plot.latent(z, group, { out = L:path("latent.png"), classes = { "letters", "other symbols" }, text = chars,
    title = "Codes of the font (" .. best.name .. ")", pointsize = 1.2 }))
L:figure("manifold.png", "The latent plane decoded on a 20×20 grid: letters morph into their neighbours",
  ae.plot.manifold(net, { out = L:path("manifold.png"), n = 20, xrange = { lo1 - m1, hi1 + m1 },
    yrange = { lo2 - m2, hi2 + m2 }, image = { 7, 5 }, invert = true, background = 0.0, pixels = 700,
    title = "Decoded latent plane" }))
local captions = {}
for i = 1, x:size(1) do captions[i] = string.format("%s: %d", chars[i], best.errs[i]) end
local both = ae.zeros(64, 35)
both:narrow(1, 1, 32):copy(x)
both:narrow(1, 33, 32):copy(net:reconstruct(x))
local cap2 = {}
for i = 1, 32 do cap2[i], cap2[32 + i] = chars[i], captions[i] end
L:figure("reconstructions.png", "The font (top two rows) and its reconstructions labelled with wrong pixels (bottom two rows)",
  ae.plot.images(both, { out = L:path("reconstructions.png"), image = { 7, 5 }, ncol = 16, captions = cap2,
    invert = true, scale = 12, title = "Font and reconstructions (character: wrong pixels)" }))
if new then
  local a = net:decode(z:narrow(1, new.i, 1))
  local b = net:decode(z:narrow(1, new.j, 1))
  L:figure("interpolation.png", string.format("From '%s' to '%s' through the latent plane; the middle is a new symbol",
      chars[new.i], chars[new.j]),
    ae.plot.interpolation(net, z:narrow(1, new.i, 1), z:narrow(1, new.j, 1), { out = L:path("interpolation.png"),
      steps = 9, image = { 7, 5 }, invert = true, scale = 12, title = string.format("'%s' → '%s'", chars[new.i], chars[new.j]) }))
  local trio = ae.zeros(3, 35)
  trio:narrow(1, 1, 1):copy(a)
  trio:narrow(1, 2, 1):copy(new.image)
  trio:narrow(1, 3, 1):copy(b)
  L:figure("new_letter.png", "A letter that is not in the font, decoded from the midpoint",
    ae.plot.images(trio, { out = L:path("new_letter.png"), image = { 7, 5 }, ncol = 3, invert = true, scale = 20,
      captions = { chars[new.i], "new", chars[new.j] }, title = "A new symbol" }))
end

L:metric("worst_pixel_errors", best.worst, "wrong pixels of the worst letter (best architecture)")
L:metric("total_pixel_errors", best.total, "wrong pixels over all 32 letters")
L:metric("best_architecture", best.name, "best architecture")
L:metric("train_loss", best.history.loss[#best.history.loss], "final training loss (BCE per pixel)")
L:metric("epochs", epochs, "epochs")
L:metric("seconds", best.history.total_seconds, "training seconds of the best architecture")
L:metric("parameters", net:param_count(), "parameters of the best architecture")
L:metric("new_letter", new and (chars[new.i] .. "|" .. chars[new.j]) or "none", "the new symbol lies between")
L:finish()
