-- Options tables are checked against the keys their function knows, so a
-- typo (`fit{epoch = 3}`) is an error naming the key and the nearest valid
-- one instead of a silently ignored option. One helper, used by every
-- options table written in Lua; bindings/glue.c has its twin for C glue
-- (ae_lua_check_options), with the same message.
local M = {}
local F = require("aelab.i18n").F -- messages in the chosen language (English: as written)

-- Levenshtein distance between two short strings (option names).
function M.distance(a, b)
  local la, lb = #a, #b
  local prev, cur = {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    cur[0] = i
    local ca = a:byte(i)
    for j = 1, lb do
      local cost = (ca == b:byte(j)) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev, cur = cur, prev
  end
  return prev[lb]
end

-- Names other libraries use for our options (Keras, PyTorch): too far from
-- ours for the edit distance, suggested when the target is an option there.
-- bindings/glue.c keeps the same list.
M.aliases = { learning_rate = "lr", epsilon = "eps", batch_size = "batch", num_epochs = "epochs",
  n_epochs = "epochs", validation_data = "validation", decay = "weight_decay", momentum_nesterov = "nesterov" }

-- The allowed key nearest to `key`, when near enough to be a typo: within
-- a third of the longer name (at least 2 edits), or one a prefix of the
-- other (`epoch` for `epochs`); else a known alias (learning_rate → lr).
function M.nearest(key, allowed)
  local alias = M.aliases[key]
  if alias then
    for _, k in ipairs(allowed) do if k == alias then return alias end end
  end
  local best, bestd
  for _, k in ipairs(allowed) do
    local d = M.distance(key, k)
    if not bestd or d < bestd or (d == bestd and k < best) then best, bestd = k, d end
  end
  if not best then return nil end
  local limit = math.max(2, math.max(#key, #best) // 3)
  if bestd <= limit or best:sub(1, #key) == key or key:sub(1, #best) == best then return best end
  return nil
end

-- The message for an unknown key: "fit: unknown option 'epoch' (did you mean
-- 'epochs'?)", or with the list of valid keys when none is near.
function M.message(who, key, allowed)
  local near = M.nearest(key, allowed)
  if near then return F("%s: unknown option '%s' (did you mean '%s'?)", who, key, near) end
  local sorted = {}
  for i, k in ipairs(allowed) do sorted[i] = k end
  table.sort(sorted)
  return F("%s: unknown option '%s' (the options are %s)", who, key, table.concat(sorted, ", "))
end

-- check(who, opts, allowed [, level]): raises at `level` (2, the default:
-- the caller of the function that calls check) when opts has a key not in
-- the list `allowed`; array entries (integer keys) are not options and are
-- left to the caller. Returns opts.
function M.check(who, opts, allowed, level)
  if opts == nil then return opts end
  if type(opts) ~= "table" then
    error(F("%s: options must be a table, got %s", who, type(opts)), (level or 2) + 1)
  end
  local set = {}
  for _, k in ipairs(allowed) do set[k] = true end
  for k in pairs(opts) do
    if math.type(k) ~= "integer" then
      if type(k) ~= "string" then
        error(F("%s: option names are strings, got a %s key", who, type(k)), (level or 2) + 1)
      end
      if not set[k] then error(M.message(who, k, allowed), (level or 2) + 1) end
    end
  end
  return opts
end

return M
