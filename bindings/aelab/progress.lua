-- The progress line of a training run. On a terminal it redraws in place
-- (at most ten times a second); otherwise it prints one line per epoch.
local sys = require "aelab.sys"
local i18n = require "aelab.i18n"
local T, F = i18n.T, i18n.F

local Progress = {}
Progress.__index = Progress

local function fmt_time(s)
  if s ~= s or s == math.huge then return "?" end
  if s < 60 then return string.format("%.0fs", s) end
  if s < 3600 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%dh%02dm", s // 3600, math.floor(s % 3600) // 60)
end
Progress.fmt_time = fmt_time

local function fmt_rate(r)
  if r >= 1e6 then return i18n.fmt("%.2fM", r / 1e6) end
  if r >= 1e3 then return i18n.fmt("%.1fk", r / 1e3) end
  return string.format("%.0f", r)
end
Progress.fmt_rate = fmt_rate

-- new{epochs=, samples=, out=io.stdout, tty=bool, every=1}: a line is kept
-- for every `every`-th epoch (and the last); on a terminal the others are
-- only drawn in place.
function Progress.new(o)
  local self = setmetatable({}, Progress)
  self.every = o.every or 1
  self.epochs, self.samples = o.epochs, o.samples
  self.out = o.out or io.stdout
  if o.tty == nil then self.tty = sys.isatty(1) else self.tty = o.tty end
  self.start = sys.clock()
  self.last_draw = 0
  return self
end

function Progress:epoch_start(epoch)
  self.epoch, self.epoch_t0, self.done = epoch, sys.clock(), 0
end

-- called after each batch with the samples done so far in this epoch
function Progress:batch(done, loss)
  self.done = done
  if not self.tty then return end
  local now = sys.clock()
  if now - self.last_draw < 0.1 and done < self.samples then return end
  self.last_draw = now
  local el = now - self.epoch_t0
  local rate = done / math.max(el, 1e-9)
  local left = (self.samples - done) / rate + (self.epochs - self.epoch) * self.samples / rate
  local width = 24
  local filled = math.floor(width * done / self.samples)
  local bar = string.rep("=", filled) .. (filled < width and ">" or "") .. string.rep(" ", width - filled - 1)
  self.out:write("\r\27[K" .. F("epoch %d/%d [%s] %3d%%  %s samples/s  loss %.4f  ETA %s",
    self.epoch, self.epochs, bar, math.floor(100 * done / self.samples), fmt_rate(rate), loss or 0 / 0,
    fmt_time(left)))
  self.out:flush()
end

-- prints the epoch's line for good; returns the epoch's seconds and samples/s
-- (a classifier's accuracy and val_accuracy, 0..1, show as percentages)
function Progress:epoch_end(loss, val_loss, train_seconds, accuracy, val_accuracy)
  local el = train_seconds or (sys.clock() - self.epoch_t0)
  local rate = self.samples / math.max(el, 1e-9)
  local left = (self.epochs - self.epoch) * (sys.clock() - self.start) / self.epoch
  local line = F("epoch %d/%d  loss %.4f%s%s%s  %.1fs  %s samples/s%s", self.epoch, self.epochs, loss,
    accuracy and F("  acc %.1f%%", 100 * accuracy) or "",
    val_loss and F("  val_loss %.4f", val_loss) or "",
    val_accuracy and F("  val_acc %.1f%%", 100 * val_accuracy) or "", el, fmt_rate(rate),
    self.epoch < self.epochs and (T"  ETA " .. fmt_time(left)) or "")
  local keep = self.epoch % self.every == 0 or self.epoch == self.epochs or self.epoch == 1
  if self.tty then self.out:write("\r\27[K") end
  if keep then self.out:write(line, "\n") elseif self.tty then self.out:write(line) end
  self.out:flush()
  return el, rate
end

return Progress
