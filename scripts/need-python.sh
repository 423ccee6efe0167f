# Sourced by the benchmark scripts: need_python MODULE PACKAGE... installs
# the Debian packages when /usr/bin/python3 cannot import MODULE.
need_python() {
  local module="$1"
  shift
  if ! /usr/bin/python3 -c "import $module" 2>/dev/null; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "bench: installing $1 (Debian) for the comparison"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
  fi
}
