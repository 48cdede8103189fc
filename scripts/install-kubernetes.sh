#!/bin/sh
# Installs what the Kubernetes tier (Tests/kubernetes) needs on Debian bookworm, as root:
# containerd 1.6 (its CRI plugin and the runc v2 shim), the CNI plugins (bridge, host-local,
# loopback in /usr/lib/cni), iproute2 (ip netns), and a venv with grpcio and grpcio-tools
# for the Python CRI client. Fast when everything is already there.
# The venv goes to $KUBE_VENV (default /var/cache/swrun-kubernetes/venv); the tier finds it
# there (or through KUBE_VENV).
set -eu
here="$(dirname "$0")"
# Through the engines' script: containerd's package would start it on the host's own paths,
# which that script's policy-rc.d holds off.
"$here/install-engines.sh" containerd containernetworking-plugins iproute2 python3-venv
venv="${KUBE_VENV:-/var/cache/swrun-kubernetes/venv}"
if ! "$venv/bin/python" -c 'import grpc, grpc_tools, pytest' 2>/dev/null; then
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check grpcio grpcio-tools pytest
fi
