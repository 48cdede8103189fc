#!/bin/sh
# Installs what building and testing swrun needs on a fresh Debian bookworm machine (as root).
# Fast when everything is already there.
set -eu
PKGS="pkg-config libseccomp-dev libjson-c-dev libsystemd-dev busybox-static runc hyperfine time"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
