#!/bin/sh
# make-rootfs.sh DEST_DIR
#
# Builds a minimal busybox root filesystem in DEST_DIR for runtime tests.
# Nothing binary is kept in the repository: busybox comes from Debian's
# busybox-static package at test time.
#
# Where busybox comes from (first match wins):
#   1. $BUSYBOX, if set (must be a statically linked busybox);
#   2. /bin/busybox, if it is statically linked (Debian's busybox-static);
#   3. `apt-get download busybox-static` + `dpkg-deb -x` into a cache dir
#      ($BUSYBOX_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/swrun-busybox).
#
# Idempotent: running it again on the same DEST_DIR refreshes it in place.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 DEST_DIR" >&2
    exit 2
fi
DEST=$1

is_static() {
    # A static binary has no program interpreter; ldd says so and fails.
    [ -x "$1" ] || return 1
    if command -v ldd >/dev/null 2>&1; then
        ! ldd "$1" >/dev/null 2>&1
    else
        return 0
    fi
}

find_busybox() {
    if [ -n "${BUSYBOX:-}" ]; then
        is_static "$BUSYBOX" || { echo "$0: BUSYBOX=$BUSYBOX is not a static executable" >&2; exit 1; }
        echo "$BUSYBOX"; return
    fi
    if is_static /bin/busybox; then
        echo /bin/busybox; return
    fi
    cache=${BUSYBOX_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/swrun-busybox}
    if [ -x "$cache/bin/busybox" ]; then
        echo "$cache/bin/busybox"; return
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download busybox-static >/dev/null 2>&1) || {
        (apt-get update >/dev/null 2>&1 || true)
        (cd "$tmp" && apt-get download busybox-static >/dev/null) || {
            echo "$0: cannot obtain busybox-static (apt-get download failed)" >&2
            exit 1
        }
    }
    dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
    mkdir -p "$cache/bin"
    cp "$tmp/x/bin/busybox" "$cache/bin/busybox.new"
    mv "$cache/bin/busybox.new" "$cache/bin/busybox"
    echo "$cache/bin/busybox"
}

BB=$(find_busybox)

mkdir -p "$DEST"
cd "$DEST"
for d in bin sbin usr/bin usr/sbin proc sys dev etc tmp root run var var/tmp home/test mnt opt; do
    mkdir -p "$d"
done
chmod 1777 tmp var/tmp
chmod 0700 root

if ! cmp -s "$BB" bin/busybox 2>/dev/null; then
    cp "$BB" bin/busybox.new
    chmod 0755 bin/busybox.new
    mv -f bin/busybox.new bin/busybox
fi

# One symlink per applet, at the path busybox itself reports.
bin/busybox --list-full | while read -r p; do
    case $p in
        */*) ;;
        *) continue ;;           # e.g. "linuxrc": not wanted at /
    esac
    [ "$p" = bin/busybox ] && continue
    [ -L "$p" ] && continue      # already there (idempotent re-run)
    echo "$p"
done | xargs -r -n 64 sh -c 'for p; do ln -sfn /bin/busybox "$p"; done' sh

cat > etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
test:x:1000:1000:test:/home/test:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > etc/group <<'EOF'
root:x:0:
tty:x:5:
audio:x:29:test
test:x:1000:
nogroup:x:65534:
EOF
chmod 0644 etc/passwd etc/group
chown 1000:1000 home/test 2>/dev/null || true
: > etc/hosts.tmp && printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > etc/hosts.tmp && mv -f etc/hosts.tmp etc/hosts
