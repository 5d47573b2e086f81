# Sourced by test.sh and bench.sh: `debian_package NAME` installs Debian's package NAME with
# apt-get, as root or through sudo; it returns non-zero when that is impossible or fails.
debian_package() {
    local as_root=()
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null || return 1
        as_root=(sudo)
    fi
    # Through env: sudo would drop DEBIAN_FRONTEND from the environment.
    local apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q)
    echo "Installing Debian's $1"
    # A fresh machine may have no package lists yet: update once and try again.
    "${apt[@]}" install --no-install-recommends "$1" \
        || { "${apt[@]}" update && "${apt[@]}" install --no-install-recommends "$1"; }
}
