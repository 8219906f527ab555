#!/usr/bin/env bash
# Installs what Canary Console needs to build, test and package on Debian 12, and only what is missing.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail

packages=(
    cmake ninja-build g++ pkg-config git
    qt6-base-dev qt6-base-dev-tools qt6-charts-dev qt6-httpserver-dev qt6-websockets-dev
    libqt6sql6-sqlite libqt6opengl6-dev libxkbcommon-dev qtkeychain-qt6-dev nlohmann-json3-dev libgl-dev
    libbenchmark-dev clang-format dpkg-dev file
    clang libclang-rt-14-dev # the asan preset; libFuzzer and the sanitizer runtimes (only recommended by clang)
    xvfb xauth
    libsecret-1-0 gnome-keyring dbus-daemon dbus-bin
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "Installing: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
