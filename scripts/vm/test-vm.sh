#!/bin/bash
# The VM test tier: one plain (pure cgroup v2) boot for Tests/vm/cgroupfs, Tests/vm/podman,
# Tests/vm/lsm (AppArmor), Tests/vm/criu (its own pytest session: swrun and runc side by side,
# ~5 min) and the conformance suite, one plain boot with SELinux for Tests/vm/selinux, then one
# boot with systemd as PID 1 for Tests/vm/systemd.
# RUNTIME (default: this tree's release build) is the runtime under test; VM_PYTEST_ARGS are
# passed to every pytest run (e.g. "-k memory"). VM_CONFORMANCE picks the conformance tests of
# the plain boot: by default the files where cgroup v2 makes a difference (namespaces and the
# cgroup mount, exec joining the cgroup, pause, ps, kill --all), since the whole suite takes
# too long under emulation; "all" for all of it, "none" for none. Exits non-zero if any batch
# failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
RUNTIME=${RUNTIME:-$repo/.build/release/swrun}
[ -x "$RUNTIME" ] || { echo "$0: runtime $RUNTIME not built (make build)" >&2; exit 1; }

scripts/vm/install.sh
# The guest cannot write the host's root fs: prepare the busybox rootfs here, before boot.
mkdir -p .build/vm
bundles/make-rootfs.sh "$repo/.build/vm/rootfs" >/dev/null

pytest_args="-v -p no:cacheprovider -p pytest_timeout --timeout=150 --durations=8 ${VM_PYTEST_ARGS:-}"
# Only the plugins the tests use (every import costs under emulation); a hung test must not eat
# the whole boot: pytest-timeout fails it and goes on.
env=(env "RUNTIME=$RUNTIME" "VM_ROOTFS=$repo/.build/vm/rootfs" "BUSYBOX=$repo/.build/vm/rootfs/bin/busybox"
     PYTHONDONTWRITEBYTECODE=1 PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 "PYTEST_ARGS=$pytest_args")
status=0

conformance=${VM_CONFORMANCE:-Tests/conformance/test_container.py Tests/conformance/test_exec_hooks_terminal.py Tests/conformance/test_lifecycle.py::test_kill_all}
[ "$conformance" = all ] && conformance=Tests/conformance
suites=("Tests/vm/cgroupfs Tests/vm/podman Tests/vm/lsm" "Tests/vm/criu")
# Separate pytest sessions: each suite keeps its own conftest and summary.
[ "$conformance" = none ] || suites+=("$conformance")
t0=$(date +%s)
scripts/vm/run.sh --timeout 1500 -- "${env[@]}" scripts/vm/guest.sh "${suites[@]}" || status=1
echo "[vm] plain batch: $(( $(date +%s) - t0 ))s" >&2

# SELinux takes the place of AppArmor as the major LSM: a boot of its own (the tests load
# Debian's reference policy, permissive: the 9p root carries no file labels).
t0=$(date +%s)
scripts/vm/run.sh --kernel-args "security=selinux selinux=1" --timeout 900 -- "${env[@]}" \
    scripts/vm/guest.sh Tests/vm/selinux || status=1
echo "[vm] selinux batch: $(( $(date +%s) - t0 ))s" >&2

if compgen -G "Tests/vm/systemd/test_*.py" >/dev/null; then
    # Rootless under systemd's delegation needs an unprivileged user, and the guest's /etc is
    # the host's, read-only: the user is made here (useradd writes its subuid/subgid ranges)
    # and removed after the boot.
    rl_user=swrun-vm-rootless
    rl_made=0
    if ! id "$rl_user" >/dev/null 2>&1; then useradd -m -s /bin/sh "$rl_user"; rl_made=1; fi
    remove_rl_user() {
        [ $rl_made = 1 ] || return 0
        userdel -r "$rl_user" 2>/dev/null || true
        sed -i "/^$rl_user:/d" /etc/subuid /etc/subgid
        rl_made=0
    }
    trap remove_rl_user EXIT
    t0=$(date +%s)
    scripts/vm/run.sh --systemd --timeout 1200 -- "${env[@]}" "VM_ROOTLESS_USER=$rl_user" \
        scripts/vm/guest.sh Tests/vm/systemd || status=1
    remove_rl_user
    echo "[vm] systemd batch: $(( $(date +%s) - t0 ))s" >&2
else
    echo "[vm] Tests/vm/systemd has no tests: no systemd boot" >&2
fi
exit $status
