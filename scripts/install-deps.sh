#!/bin/sh
# Installs what building and testing swrun needs on a fresh Debian bookworm machine (as root);
# criu: the conformance tier checks that checkpoint/restore fail clearly where it cannot run.
# Fast when everything is already there.
set -eu
"$(dirname "$0")/apt-install.sh" pkg-config libseccomp-dev libjson-c-dev libsystemd-dev busybox-static runc strace uidmap criu \
    hyperfine time
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
