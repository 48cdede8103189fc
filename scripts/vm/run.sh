#!/bin/bash
# run.sh [--systemd] [--timeout SECONDS] [--memory SIZE] [--rwdir DIR]... [--kernel-args ARGS] -- COMMAND [ARG...]
#
# Boots ONE test VM (vng, TCG: nested KVM hangs on these machines) with pure cgroup v2 and every
# controller, runs COMMAND inside it from the current directory, streams its output to stdout and
# exits with COMMAND's exit status (124 on timeout, 125 when the VM itself failed).
#
# The guest sees the host's root filesystem read-only (so the host's build output, runc, podman
# and python are usable as they are); /tmp and /run are writable tmpfs, and each --rwdir is a
# host directory the guest may write.
#   plain      vng's own init; `cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1`.
#   --kernel-args  more kernel arguments (plain boot), e.g. "security=selinux selinux=1".
#   --systemd  systemd 252 as PID 1. The host has /.dockerenv, so the guest's systemd thinks it
#              runs in a container and ignores systemd.* kernel arguments: they go through
#              SYSTEMD_PROC_CMDLINE instead, and `container=` clears the guess. vng does not mount
#              the rwdirs in this mode: the wrapper mounts its own result dir over 9p.
# COMMAND's output and exit code travel through a result dir shared with the guest, the same
# way in both modes; the console (kernel and systemd messages) is kept in that dir and shown
# only when the VM failed.
set -euo pipefail

usage() { echo "usage: $0 [--systemd] [--timeout SECONDS] [--memory SIZE] [--rwdir DIR]... [--kernel-args ARGS] -- COMMAND [ARG...]" >&2; exit 2; }

systemd=0
timeout=1200
memory=2G
rwdirs=()
kernel_args=""
while [ $# -gt 0 ]; do
    case $1 in
        --systemd) systemd=1; shift ;;
        --timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
        --memory) [ $# -ge 2 ] || usage; memory=$2; shift 2 ;;
        --rwdir) [ $# -ge 2 ] || usage; rwdirs+=("$(realpath "$2")"); shift 2 ;;
        --kernel-args) [ $# -ge 2 ] || usage; kernel_args=$2; shift 2 ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
[ $# -ge 1 ] || usage
case $timeout in ''|*[!0-9]*) echo "$0: --timeout must be a number of seconds" >&2; exit 2 ;; esac

kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] || { echo "$0: no /boot/vmlinuz-*-amd64 (run scripts/vm/install.sh)" >&2; exit 125; }
command -v vng >/dev/null || { echo "$0: vng not found (run scripts/vm/install.sh)" >&2; exit 125; }

# The result dir must be the first rwdir: the systemd wrapper mounts "virtme.initmount0".
res=$(mktemp -d /tmp/swrun-vm.XXXXXX)
chmod 755 "$res"
vng_pid=""
tail_pid=""

# Every process below $1, deepest last (vng -> sh -> virtme-run -> qemu).
descendants() {
    local kids k
    kids=$(ps -o pid= --ppid "$1" 2>/dev/null || true)
    for k in $kids; do echo "$k"; descendants "$k"; done
}
stop_vm() {
    [ -n "$vng_pid" ] || return 0
    local p procs
    procs="$(descendants "$vng_pid") $vng_pid"
    for p in $procs; do kill -KILL "$p" 2>/dev/null || true; done
    wait "$vng_pid" 2>/dev/null || true
    # Orphaned qemu is reaped by init, not by us: wait until it is really gone.
    for _ in $(seq 50); do
        local alive=0
        for p in $procs; do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    vng_pid=""
}
cleanup() {
    stop_vm
    # VM_KEEP_CONSOLE=FILE keeps the guest's console (kernel and systemd messages) for debugging.
    [ -z "${VM_KEEP_CONSOLE:-}" ] || cp "$res/console" "$VM_KEEP_CONSOLE" 2>/dev/null || true
    [ -z "$tail_pid" ] || { kill "$tail_pid" 2>/dev/null || true; wait "$tail_pid" 2>/dev/null || true; }
    rm -rf "$res"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The guest resolves `python3` and friends through the host's PATH; pyenv shims want a writable
# home, so put the real interpreter's directory first.
pybin=$(dirname "$(python3 -c 'import sys; print(sys.executable)')")
if [ $systemd = 1 ]; then scratch=/run; else scratch=/tmp; fi
{
    echo '#!/bin/bash'
    if [ $systemd = 1 ]; then
        echo "mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 virtme.initmount0 $(printf %q "$res") || exit 0"
    fi
    echo "export PATH=$(printf %q "$pybin:$PATH")"
    echo "export HOME=$scratch/vmhome TMPDIR=$scratch/vmtmp VM_MODE=$([ $systemd = 1 ] && echo systemd || echo plain)"
    echo 'mkdir -p "$HOME" "$TMPDIR"'
    echo "cd $(printf %q "$PWD") || exit 0"
    printf '%q ' "$@"; echo " </dev/null >$(printf %q "$res")/output 2>&1"
    echo "echo \$? > $(printf %q "$res")/rc.tmp && mv $(printf %q "$res")/rc.tmp $(printf %q "$res")/rc"
    echo 'sync; exit 0'
} > "$res/wrapper.sh"
chmod 755 "$res/wrapper.sh"
: > "$res/output"

args=(--run "$kernel" --disable-kvm --force-9p --memory "$memory" --cpus "$(nproc)" --rwdir "$res")
for d in "${rwdirs[@]}"; do args+=(--rwdir "$d"); done
if [ $systemd = 1 ]; then
    sd="systemd.unified_cgroup_hierarchy=1 systemd.wants=basic.target systemd.run=$res/wrapper.sh"
    sd="$sd systemd.run_success_action=poweroff systemd.run_failure_action=poweroff"
    sd="$sd systemd.mask=systemd-timesyncd.service systemd.mask=podman.socket"
    # Units of the host's packages that only fail in the guest, ~10 s of emulated CPU each.
    sd="$sd systemd.mask=podman.service systemd.mask=podman-auto-update.service"
    sd="$sd systemd.mask=podman-restart.service systemd.mask=docker.socket systemd.mask=docker.service"
    sd="$sd systemd.mask=containerd.service"
    args+=(--systemd --append "container= cgroup_no_v1=all \"SYSTEMD_PROC_CMDLINE=$sd\"")
else
    args+=(--append "systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all $kernel_args" --exec "$res/wrapper.sh")
fi

start=$(date +%s)
vng "${args[@]}" </dev/null >"$res/console" 2>&1 &
vng_pid=$!
tail -n +1 -F --pid="$vng_pid" "$res/output" 2>/dev/null &
tail_pid=$!

while kill -0 "$vng_pid" 2>/dev/null; do
    if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
        echo "$0: VM still running after ${timeout}s: stopping it" >&2
        stop_vm
        wait "$tail_pid" 2>/dev/null || true; tail_pid=""
        tail -n 30 "$res/console" >&2
        exit 124
    fi
    sleep 1
done
wait "$vng_pid" 2>/dev/null || true
vng_pid=""
wait "$tail_pid" 2>/dev/null || true
tail_pid=""
echo "[vm] $([ $systemd = 1 ] && echo systemd || echo plain) VM: $(( $(date +%s) - start ))s from boot to power-off" >&2
if [ ! -s "$res/rc" ]; then
    echo "$0: the command did not finish inside the VM; console:" >&2
    tail -n 40 "$res/console" >&2
    exit 125
fi
exit "$(cat "$res/rc")"
