-- PCA: known covariance recovered, eigen-equation against a covariance
-- computed here in Lua, orthonormal components, reconstruction error equal
-- to the discarded variance, determinism, error messages, the userdata.
local lu = require "luaunit"
local ae = require "aelab"
local PCA = require "aelab.pca"
local H = require "helpers"

H.announce_seed("test_pca")

-- The synthetic set: N samples of D dimensions with covariance Q·diag(λ)·Qᵀ.
local N, D = 20000, 8
local LAMBDA = { 10, 6, 4, 2, 1, 0.5, 0.25, 0.1 }
local OFFSET = 3 -- added to every value: the fit must center
-- Sampling error of an eigenvalue estimate is about √(2/N) = 1% here.
local EIG_RTOL = 0.04
local RATIO_RTOL = 0.02
-- float32 eigenvectors: orthonormal to this much
local ORTHO_TOL = 1e-5

-- D orthonormal vectors (Lua tables) by Gram-Schmidt on Gaussian ones.
local function random_orthonormal(d)
  local g = ae.randn(d, d):totable()
  local q = {}
  for i = 1, d do
    local v = g[i]
    for _ = 1, 2 do -- twice: classical Gram-Schmidt loses orthogonality once
      for j = 1, i - 1 do
        local dot = 0
        for c = 1, d do dot = dot + v[c] * q[j][c] end
        for c = 1, d do v[c] = v[c] - dot * q[j][c] end
      end
    end
    local norm = 0
    for c = 1, d do norm = norm + v[c] * v[c] end
    norm = math.sqrt(norm)
    for c = 1, d do v[c] = v[c] / norm end
    q[i] = v
  end
  return q
end

-- x (n, D) = z·diag(√λ)·Qᵀ + OFFSET with z standard normal; q[i] is the i-th axis.
local function synthetic(n)
  local q = random_orthonormal(D)
  local m = {}
  for i = 1, D do
    m[i] = {}
    for c = 1, D do m[i][c] = math.sqrt(LAMBDA[i]) * q[i][c] end
  end
  local x = ae.randn(n, D):matmul(ae.tensor(m)) + OFFSET
  return x, q
end

local function dot(a, b)
  local s = 0
  for i = 1, #a do s = s + a[i] * b[i] end
  return s
end

TestPCA = {}

function TestPCA:setUp() H.seed() end

function TestPCA:testKnownCovariance()
  local x, q = synthetic(N)
  local p = PCA.fit(x, D)
  local ev, ratio = p:explained_variance():totable(), p:explained_variance_ratio():totable()
  local total = 0
  for _, l in ipairs(LAMBDA) do total = total + l end
  for i = 1, D do
    lu.assertTrue(math.abs(ev[i] - LAMBDA[i]) <= EIG_RTOL * LAMBDA[i],
      string.format("eigenvalue %d: %.4f, expected %.4f", i, ev[i], LAMBDA[i]))
    local want = LAMBDA[i] / total
    lu.assertTrue(math.abs(ratio[i] - want) <= RATIO_RTOL * want + 1e-3,
      string.format("variance ratio %d: %.4f, expected %.4f", i, ratio[i], want))
  end
  -- sorted, and the ratios of all D components add up to 1
  local sum = 0
  for i = 1, D do
    sum = sum + ratio[i]
    if i > 1 then lu.assertTrue(ev[i] <= ev[i - 1], "eigenvalues must decrease") end
  end
  lu.assertAlmostEquals(sum, 1, 1e-4)
  lu.assertAlmostEquals(p:total_variance(), total, EIG_RTOL * total)
  -- the well-separated top axes are found (up to sign)
  local comps = p:components():totable()
  for i = 1, 3 do
    lu.assertTrue(math.abs(dot(comps[i], q[i])) > 0.99,
      string.format("component %d is off its axis: |cos| = %.4f", i, math.abs(dot(comps[i], q[i]))))
  end
  -- the mean is the offset
  for _, m in ipairs(p:mean():totable()[1]) do lu.assertAlmostEquals(m, OFFSET, 0.05) end
end

-- Against a covariance computed here in double: C·v = λ·v for each component,
-- total variance = trace. 2500 rows: three blocks of the core's 1024, split over threads.
function TestPCA:testEigenEquationAgainstLuaCovariance()
  local n, d, k = 2500, 12, 5
  local x = ae.randn(n, d):matmul(ae.randn(d, d)) + ae.rand(1, d) * 4
  local rows = x:totable()
  local mean = {}
  for c = 1, d do
    local s = 0
    for i = 1, n do s = s + rows[i][c] end
    mean[c] = s / n
  end
  local cov, trace = {}, 0
  for a = 1, d do
    cov[a] = {}
    for b = 1, d do
      local s = 0
      for i = 1, n do s = s + (rows[i][a] - mean[a]) * (rows[i][b] - mean[b]) end
      cov[a][b] = s / (n - 1)
    end
    trace = trace + cov[a][a]
  end
  local p = PCA.fit(x, k)
  lu.assertAlmostEquals(p:total_variance(), trace, 1e-5 * trace)
  local pm = p:mean():totable()[1]
  for c = 1, d do lu.assertAlmostEquals(pm[c], mean[c], 1e-5 * (1 + math.abs(mean[c]))) end
  local ev, comps = p:explained_variance():totable(), p:components():totable()
  for i = 1, k do
    local v = comps[i]
    for a = 1, d do
      local cv = dot(cov[a], v)
      lu.assertAlmostEquals(cv, ev[i] * v[a], 1e-4 * ev[1],
        string.format("(C·v)[%d] of component %d", a, i))
    end
  end
end

function TestPCA:testComponentsOrthonormalAndSigned()
  local x = synthetic(3000)
  local p = PCA.fit(x, 5)
  local c = p:components()
  lu.assertEquals(c:size(), { 5, D })
  local g = c:matmul(c:t()):totable()
  for i = 1, 5 do
    for j = 1, 5 do
      lu.assertAlmostEquals(g[i][j], i == j and 1 or 0, ORTHO_TOL, string.format("Gram matrix at %d,%d", i, j))
    end
  end
  -- the largest-|value| entry of each component is positive
  for i, row in ipairs(c:totable()) do
    local big = 1
    for j = 2, #row do if math.abs(row[j]) > math.abs(row[big]) then big = j end end
    lu.assertTrue(row[big] > 0, "component " .. i .. " has a negative largest entry")
  end
end

-- Mean over samples of ‖x − x̂‖² (summed over dimensions) equals
-- (N−1)/N · the sum of the discarded eigenvalues.
function TestPCA:testReconstructionErrorIsDiscardedVariance()
  local x = synthetic(N)
  local all = PCA.fit(x, D):explained_variance():totable()
  for _, k in ipairs { 2, 5 } do
    local p = PCA.fit(x, k)
    local z = p:transform(x)
    lu.assertEquals(z:size(), { N, k })
    local xr = p:inverse_transform(z)
    lu.assertEquals(xr:size(), { N, D })
    local diff = x - xr
    local mse = (diff * diff):sum() / N
    local discarded = 0
    for i = k + 1, D do discarded = discarded + all[i] end
    discarded = discarded * (N - 1) / N
    lu.assertTrue(math.abs(mse - discarded) <= 0.01 * discarded,
      string.format("k=%d: reconstruction MSE %.5f, discarded variance %.5f", k, mse, discarded))
  end
end

function TestPCA:testTransformIsCenteredProjection()
  local x = synthetic(1500)
  local p = PCA.fit(x, 3)
  local z = p:transform(x)
  local want = (x - p:mean()):matmul(p:components():t())
  local bad, at = H.worst(z, want, 1e-4, 1e-4)
  lu.assertEquals(bad, 0, "transform differs at " .. tostring(at))
  -- codes are centered, with the explained variances as variances
  local zt, ev = z:totable(), p:explained_variance():totable()
  for c = 1, 3 do
    local s, ss = 0, 0
    for i = 1, #zt do s, ss = s + zt[i][c], ss + zt[i][c] ^ 2 end
    lu.assertAlmostEquals(s / #zt, 0, 1e-3 * math.sqrt(ev[c]))
    lu.assertAlmostEquals(ss / (#zt - 1), ev[c], 1e-4 * ev[c])
  end
end

function TestPCA:testDeterministic()
  local x = synthetic(5000)
  local a, b = PCA.fit(x, 4), PCA.fit(x, 4)
  lu.assertTrue(a:components() == b:components(), "two fits of the same data differ")
  lu.assertTrue(a:explained_variance() == b:explained_variance())
  lu.assertTrue(a:mean() == b:mean())
end

-- Images as N×C×H×W: D is the values per sample.
function TestPCA:testImageShapedInput()
  local x = synthetic(1000)
  local a, b = PCA.fit(x, 3), PCA.fit(x:reshape(1000, 1, 2, 4), 3)
  lu.assertTrue(a:components() == b:components())
  lu.assertEquals(b:transform(x:reshape(1000, 1, 2, 4)):size(), { 1000, 3 })
end

function TestPCA:testErrors()
  local x = synthetic(100)
  H.error_containing(lu, "PCA: asked for 9 components of 8-dimensional data", PCA.fit, x, 9)
  H.error_containing(lu, "PCA: asked for 0 components", PCA.fit, x, 0)
  H.error_containing(lu, "PCA: asked for -2 components", PCA.fit, x, -2)
  H.error_containing(lu, "at least 2", PCA.fit, x:narrow(1, 1, 1), 1)
  H.error_containing(lu, "expected a tensor of N samples", PCA.fit, ae.zeros(10), 1)
  H.error_containing(lu, "bad argument #1", PCA.fit, "x", 1)
  local p = PCA.fit(x, 3)
  H.error_containing(lu, "PCA(8 → 3) transform: input [5×7], expected [5×8]", p.transform, p, ae.zeros(5, 7))
  H.error_containing(lu, "PCA(8 → 3) inverse_transform: input [5×4], expected [5×3]", p.inverse_transform, p,
    ae.zeros(5, 4))
  local bad = x:clone()
  bad:set(7, 3, 0 / 0)
  H.error_containing(lu, "NaN or Inf", PCA.fit, bad, 2)
  bad:set(7, 3, math.huge)
  H.error_containing(lu, "NaN or Inf", PCA.fit, bad, 2)
end

function TestPCA:testUserdata()
  local x = synthetic(2000)
  local p = PCA.fit(x, 8)
  lu.assertEquals(tostring(p), "PCA(8 → 8, 100.0% of variance)")
  local ratio = PCA.fit(x, 2):explained_variance_ratio():totable()
  lu.assertEquals(tostring(PCA.fit(x, 2)),
    string.format("PCA(8 → 2, %.1f%% of variance)", 100 * (ratio[1] + ratio[2])))
  lu.assertEquals(p:explained_variance():size(), { 8 })
  lu.assertEquals(p:mean():size(), { 1, 8 })
  do
    local q <close> = PCA.fit(x, 1)
    lu.assertEquals(q:components():size(), { 1, 8 })
    p = q
  end
  lu.assertEquals(tostring(p), "PCA (closed)")
  H.error_containing(lu, "PCA was closed", p.components, p)
  getmetatable(p).__gc(p) -- closing twice is harmless
end

-- The small symmetric eigensolver (LAPACK's dsyevr) and what linalg builds
-- on it: eigenvalues of Q·diag(λ)·Qᵀ recovered, principal angles of known
-- subspaces.
local SYM_EIG_TOL = 1e-5 -- the matrix is float32: its entries carry ~1e-7 relative error
local ANGLE_TOL = 1e-3 -- degrees

TestSymEigen = {}

function TestSymEigen:testKnownSpectrum()
  H.seed()
  local q = random_orthonormal(D)
  local a = ae.zeros(D, D)
  for i = 1, D do
    for j = 1, D do
      local s = 0
      for k = 1, D do s = s + q[k][i] * LAMBDA[k] * q[k][j] end
      a:set(i, j, s)
    end
  end
  local w = PCA.sym_eigenvalues(a)
  lu.assertEquals(#w, D)
  for k = 1, D do lu.assertAlmostEquals(w[k], LAMBDA[k], SYM_EIG_TOL * LAMBDA[1], "eigenvalue " .. k) end
  lu.assertTrue(ae.linalg.symmetric_eigenvalues == PCA.sym_eigenvalues, "linalg uses the core's solver")
end

function TestSymEigen:testAsymmetryCountsAsSymmetricPart()
  -- [[2, 1+d], [1−d, 2]]: its symmetric part has eigenvalues 3 and 1
  local w = PCA.sym_eigenvalues(ae.tensor { { 2, 1.25 }, { 0.75, 2 } })
  lu.assertAlmostEquals(w[1], 3, 1e-12)
  lu.assertAlmostEquals(w[2], 1, 1e-12)
end

function TestSymEigen:testErrors()
  H.error_containing(lu, "expected a square 2-D tensor", PCA.sym_eigenvalues, ae.zeros(2, 3))
  H.error_containing(lu, "expected a square 2-D tensor", PCA.sym_eigenvalues, ae.zeros(4))
  H.error_containing(lu, "sym_eigenvalues (2×2): the matrix holds NaN or Inf", PCA.sym_eigenvalues,
    ae.tensor { { 1, 0 }, { 0, 1 / 0 } })
end

function TestSymEigen:testPrincipalAngles()
  -- span{e1, e2} against span{e1, cos θ·e2 + sin θ·e3}: angles 0 and θ
  for _, theta in ipairs { 0, 7.5, 30, 90 } do
    local r = math.rad(theta)
    local A = ae.tensor { { 1, 0 }, { 0, 1 }, { 0, 0 }, { 0, 0 } }
    local B = ae.tensor { { 2, 0 }, { 0, 3 * math.cos(r) }, { 0, 3 * math.sin(r) }, { 0, 0 } } -- not unit: bases are made orthonormal
    local angles = ae.linalg.principal_angles(A, B)
    lu.assertAlmostEquals(angles[1], 0, ANGLE_TOL)
    lu.assertAlmostEquals(angles[2], theta, ANGLE_TOL, "θ = " .. theta)
  end
end
