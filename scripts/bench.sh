#!/usr/bin/env bash
# Installs PyTorch (Debian's python3-torch) if missing, then races aelab and
# PyTorch: `scripts/bench.sh dense` on the lesson-01 model, `scripts/bench.sh
# conv` on lesson 08's convolutional one, `scripts/bench.sh images` on lesson
# 13's with 3-channel 64×64 crops. Further arguments go to
# scripts/bench-<name>.lua.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-dense}"
shift || true
if [ ! -f "scripts/bench-$name.lua" ]; then
  echo "bench: no benchmark '$name' (there are: dense, conv, vae, classifier, images)" >&2
  exit 2
fi
. scripts/need-python.sh
need_python torch python3-torch python3-numpy
exec ./aelab "scripts/bench-$name.lua" "$@"
