#!/bin/sh
# apt-install.sh PKG...: installs the Debian packages not yet installed (as root), waiting for
# the apt lock another installer may hold. The one place the install scripts go through apt.
set -eu
missing=""
for p in "$@"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086  # a list of package names
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 $missing >/dev/null
