#!/usr/bin/env bash
# Installs scikit-learn (Debian's python3-sklearn) if missing, then races
# aelab's exact PCA against scikit-learn's randomized and full solvers on
# Fashion-MNIST train. Arguments go to scripts/bench_pca.lua: [rounds] [k].
# SKLEARN_ENV sets the environment of scikit-learn's BLAS (see that file).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bench: installing python3-sklearn (Debian) for the comparison"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-sklearn python3-numpy >/dev/null
fi
[ -x ./aelab ] || make --no-print-directory all
exec ./aelab scripts/bench_pca.lua "$@"
