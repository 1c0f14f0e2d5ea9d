#!/usr/bin/env bash
# Installs what gridsensor needs on Debian 12, from Debian's packages only.
#   scripts/setup.sh          build dependencies
#   scripts/setup.sh --test   build and test dependencies (Redis server, iproute2, tcpreplay)
# Runs apt-get only for packages that are missing; as root, or through sudo otherwise.
set -euo pipefail

pkgs=(build-essential cmake pkg-config ca-certificates
      libpcap-dev libndpi-dev libjansson-dev libhiredis-dev libssl-dev check)
if [ "${1:-}" = "--test" ]; then
    pkgs+=(redis-server iproute2 tcpreplay)
fi

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
    sudo=sudo
fi
echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
