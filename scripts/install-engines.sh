#!/bin/sh
# Installs the engines the engine tier (Tests/engines) drives, on Debian bookworm as root:
# containerd 1.6 (+ ctr and the runc v2 shim), docker.io 20.10, podman 4.3 with conmon, uidmap,
# buildah and slirp4netns (rootless podman and buildah).
# With arguments, installs those packages instead, with the same guard against their scripts
# starting daemons (scripts/install-kubernetes.sh). Fast when everything is already there. apt may be held by another installer: wait for it.
set -eu
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
if [ $# -eq 0 ]; then
    set -- containerd docker.io podman conmon uidmap buildah slirp4netns
fi
"$(dirname "$0")/apt-install.sh" "$@"
