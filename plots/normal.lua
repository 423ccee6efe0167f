-- The standard normal's inverse CDF (quantile function, Φ⁻¹, scipy's
-- norm.ppf), for grids on the Gaussian's quantiles: a VAE's latent space
-- decoded where the prior puts equal mass, as Keras' VAE example does.
-- Wichura's algorithm AS241 (PPND16, Applied Statistics 37(3), 1988): three
-- rational approximations of degree 7, relative error about 1e-16, the one R's
-- qnorm and Python's statistics.NormalDist.inv_cdf use. (Acklam's simpler
-- approximation is good to 1.15e-9 only, and needs a Newton step on erfc,
-- which Lua lacks, to do better.)
local N = {}

-- Horner's rule over c[1]·r^(n-1) + ... + c[n].
local function poly(c, r)
  local s = c[1]
  for i = 2, #c do s = s * r + c[i] end
  return s
end

-- |p − 0.5| ≤ 0.425: r = 0.180625 − q²
local CENTRAL_NUM = { 2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4,
  4.5921953931549871457e+4, 1.3731693765509461125e+4, 1.9715909503065514427e+3, 1.3314166789178437745e+2,
  3.3871328727963666080e+0 }
local CENTRAL_DEN = { 5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4,
  2.1213794301586595867e+4, 5.3941960214247511077e+3, 6.8718700749205790830e+2, 4.2313330701600911252e+1, 1.0 }
-- r = sqrt(−log(min(p, 1 − p))) ≤ 5, shifted by 1.6
local NEAR_NUM = { 7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
  1.27045825245236838258e+0, 3.64784832476320460504e+0, 5.76949722146069140550e+0, 4.63033784615654529590e+0,
  1.42343711074968357734e+0 }
local NEAR_DEN = { 1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2,
  1.48103976427480074590e-1, 6.89767334985100004550e-1, 1.67638483018380384940e+0, 2.05319162663775882187e+0, 1.0 }
-- r > 5 (p below about 1.4e-11), shifted by 5
local FAR_NUM = { 2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
  2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580e+0, 5.46378491116411436990e+0,
  6.65790464350110377720e+0 }
local FAR_DEN = { 2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5,
  7.86869131145613259100e-4, 1.48753612908506148525e-2, 1.36929880922735805310e-1, 5.99832206555887937690e-1, 1.0 }

-- quantile(p): the z with Φ(z) = p, for 0 < p < 1 (−inf at 0, inf at 1).
function N.quantile(p)
  if type(p) ~= "number" or p ~= p or p < 0 or p > 1 then
    error(string.format("normal_quantile: p must be a probability in [0, 1], got %s", tostring(p)), 2)
  end
  if p == 0 then return -math.huge elseif p == 1 then return math.huge end
  local q = p - 0.5
  if math.abs(q) <= 0.425 then
    local r = 0.180625 - q * q
    return q * poly(CENTRAL_NUM, r) / poly(CENTRAL_DEN, r)
  end
  local r = math.sqrt(-math.log(q < 0 and p or 1 - p))
  local x
  if r <= 5 then
    x = poly(NEAR_NUM, r - 1.6) / poly(NEAR_DEN, r - 1.6)
  else
    x = poly(FAR_NUM, r - 5) / poly(FAR_DEN, r - 5)
  end
  return q < 0 and -x or x
end

return N
