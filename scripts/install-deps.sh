#!/usr/bin/env bash
# Installs the Debian packages aelab needs, only those missing. Quiet when
# everything is there; uses sudo when not root. Safe to run again and again.
# Arguments name extra packages a target needs (make test-fuzz: clang;
# make MPI=1 and tests/test_mpi.lua: openmpi-bin libopenmpi-dev;
# tests/test_sweep.lua's single-node Slurm: slurm-wlm munge).
set -euo pipefail

packages=(
  build-essential   # gcc, make
  liblua5.4-dev     # Lua 5.4 headers and library
  libblis-dev       # BLIS (the OpenMP build below is what aelab links)
  libblis4-openmp
  libflame-dev      # LAPACK (PCA's eigensolver), BLIS' own; linked statically
  gnuplot-nox       # figures: pngcairo, pdfcairo, svg, dumb
  libsndfile1-dev   # sound files in and out (WAV, FLAC, Ogg)
  libsoxr-dev       # resampling (the resampler sox itself uses)
  libfftw3-dev      # the STFT (fftw3f, single precision)
  sox               # lesson 14's baseline: sox noisered with a noise profile
  espeak-ng         # lesson 14's training speech: es, pt and en voices
  asterisk-core-sounds-en-wav  # lesson 14's real test speech, 8 kHz (CC-BY-SA-3.0)
  pocketsphinx-testdata        # lesson 14's real test speech, 16 kHz
  lua-unit          # LuaUnit for the tests
  lua-ldoc          # make docs: LDoc renders the API reference
  zlib1g-dev        # gzip'd IDX files
  libreadline-dev   # the REPL
  libchafa-dev      # figures drawn in the terminal: symbols, sixels, kitty (bindings/lterm.c)
  libglib2.0-dev    #   ... chafa's headers include GLib's
  liblbfgs-dev      # ae.optim.LBFGS (libLBFGS)
  libgsl-dev        # ae.optim.CG (GSL's Polak–Ribière)
  libnlopt-dev      # ae.optim.Powell (NLopt's PRAXIS)
  dataset-fashion-mnist
  fonts-dejavu-core # the fonts figures use
  libpng-dev        # PNG in and out (core/image.c)
  libturbojpeg0-dev # JPEG in and out, libjpeg-turbo's TurboJPEG API
  gettext           # msgfmt, xgettext, msgmerge: the message catalogues (po/)
  python3-pil       # scripts/prepare-images.py: text by FreeType, resizing, JPEG
  python3-numpy     #   ... and the dirt and the watermarks
  jbigkit-bin       # jbgtopbm: decodes the CCITT fax pages (lesson 11)
  jbigkit-testdata  # the eight CCITT fax test pages (GPL-2+)
  fonts-liberation  # pages and watermarks rendered in Liberation fonts
  mate-backgrounds  # nature photos (GPL-2+; lessons 12, 13)
  plasma-workspace-wallpapers # more photos (GPL-2+)
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: not root and no sudo; install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once if an install fails.
if ! $sudo apt-get install -y -qq "${missing[@]}" >/tmp/aelab-apt.log 2>&1; then
  $sudo apt-get update -qq >>/tmp/aelab-apt.log 2>&1 || true
  if ! $sudo apt-get install -y -qq "${missing[@]}" >>/tmp/aelab-apt.log 2>&1; then
    echo "install-deps: apt-get failed; the last lines of /tmp/aelab-apt.log:" >&2
    tail -20 /tmp/aelab-apt.log >&2
    exit 1
  fi
fi
echo "install-deps: done"
