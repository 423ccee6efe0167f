#!/usr/bin/env bash
# Installs PyTorch (Debian's python3-torch) if missing, then races aelab and
# PyTorch: `scripts/bench.sh dense` on the lesson-01 model, `scripts/bench.sh
# conv` on lesson 08's convolutional one. Further arguments go to
# scripts/bench-<name>.lua.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-dense}"
shift || true
if [ ! -f "scripts/bench-$name.lua" ]; then
  echo "bench: no benchmark '$name' (there are: dense, conv)" >&2
  exit 2
fi
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bench: installing python3-torch (Debian) for the comparison"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-torch python3-numpy >/dev/null
fi
exec ./aelab "scripts/bench-$name.lua" "$@"
