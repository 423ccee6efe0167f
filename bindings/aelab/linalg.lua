-- Small dense linear algebra for k×k problems (k up to ~100): symmetric
-- eigenvalues (LAPACK's dsyevr in the core, through aelab.pca), orthonormal
-- bases by Cholesky, and principal angles between subspaces. Big matrices
-- stay in the core (PCA).
local T = require "aelab.tensor"
local pca = require "aelab.pca"

local linalg = {}

local function to_rows(t) return t:totable(), t:size(1), t:size(2) end

-- Eigenvalues of a symmetric k×k tensor, in decreasing order (a table of
-- doubles; an asymmetry left by rounding counts as the symmetric part).
linalg.symmetric_eigenvalues = pca.sym_eigenvalues

-- An orthonormal basis (D×k) of the column space of A (D×k, full rank):
-- Q = A·R⁻¹ with RᵀR = AᵀA (Cholesky), in double precision for R.
function linalg.orthonormal_columns(A)
  local G, k = to_rows(A:t():matmul(A))
  local R = {}
  for i = 1, k do R[i] = {} for j = 1, k do R[i][j] = 0 end end
  for j = 1, k do
    local s = G[j][j]
    for p = 1, j - 1 do s = s - R[p][j] ^ 2 end
    if s <= 0 then error("orthonormal_columns: the columns are linearly dependent", 2) end
    R[j][j] = math.sqrt(s)
    for i = j + 1, k do
      local v = G[j][i]
      for p = 1, j - 1 do v = v - R[p][j] * R[p][i] end
      R[j][i] = v / R[j][j]
    end
  end
  -- R⁻¹ (upper triangular) by back substitution
  local Rinv = T.zeros(k, k)
  for c = 1, k do
    local x = {}
    for i = k, 1, -1 do
      local v = (i == c) and 1 or 0
      for p = i + 1, k do v = v - R[i][p] * x[p] end
      x[i] = v / R[i][i]
    end
    for i = 1, k do Rinv:set(i, c, x[i]) end
  end
  return A:matmul(Rinv)
end

-- Principal angles (degrees, smallest first) between the column spaces of
-- A (D×k) and B (D×k): arccos of the singular values of QAᵀ·QB.
function linalg.principal_angles(A, B)
  local QA, QB = linalg.orthonormal_columns(A), linalg.orthonormal_columns(B)
  local M = QA:t():matmul(QB)
  local ev = linalg.symmetric_eigenvalues(M:t():matmul(M))
  local angles = {}
  for i, v in ipairs(ev) do
    local s = math.min(1, math.sqrt(math.max(v, 0)))
    angles[i] = math.deg(math.acos(s))
  end
  return angles
end

return linalg
