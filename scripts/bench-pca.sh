#!/usr/bin/env bash
# Installs scikit-learn (Debian's python3-sklearn) if missing, then races
# aelab's exact PCA against scikit-learn's randomized and full solvers on
# Fashion-MNIST train. Arguments go to scripts/bench_pca.lua: [rounds] [k].
# SKLEARN_ENV sets the environment of scikit-learn's BLAS (see that file).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need-python.sh
need_python sklearn python3-sklearn python3-numpy
[ -x ./aelab ] || make --no-print-directory all
exec ./aelab scripts/bench_pca.lua "$@"
