#!/usr/bin/env bash
# Installs PyTorch (Debian's python3-torch) if missing, then races aelab and
# PyTorch on the lesson-01 model. Arguments go to scripts/bench-dense.lua.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bench: installing python3-torch (Debian) for the comparison"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-torch python3-numpy >/dev/null
fi
exec ./aelab scripts/bench-dense.lua "$@"
