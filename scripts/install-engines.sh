#!/bin/sh
# Installs the engines the engine tier (Tests/engines) drives, on Debian bookworm as root:
# containerd 1.6 (+ ctr and the runc v2 shim), docker.io 20.10, podman 4.3 with conmon, uidmap.
# Fast when everything is already there. apt may be held by another installer: wait for it.
set -eu
PKGS="containerd docker.io podman conmon uidmap"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

# The packages' scripts would start dockerd/containerd on the host's own paths: the tests
# start private daemons instead. policy-rc.d (exit 101: "action forbidden") stops that, and
# is removed again unless it was already there.
own_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
fi
trap 'if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 $missing >/dev/null
