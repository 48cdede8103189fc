#!/bin/sh
# Installs what the VM test tier needs on a Debian bookworm host (as root): qemu (TCG: nested
# KVM does not work on these machines), a Debian kernel with every cgroup v2 controller, vng
# (virtme-ng) to boot it over the host's root fs, and what the tests run inside the guest
# (podman, runc, busybox-static for the rootfs, pytest, AppArmor's parser, SELinux's reference
# policy; neither LSM is enabled on the host's kernel, only in the guest's). Fast when everything is already there.
set -eu
"$(dirname "$0")/../apt-install.sh" qemu-system-x86 linux-image-amd64 podman conmon runc busybox-static apparmor criu \
    selinux-policy-default
python3 -c 'import pytest, pytest_timeout' 2>/dev/null || python3 -m pip install -q --break-system-packages pytest pytest-timeout \
    || python3 -m pip install -q pytest pytest-timeout
command -v vng >/dev/null 2>&1 || python3 -m pip install -q --break-system-packages virtme-ng \
    || python3 -m pip install -q virtme-ng
command -v vng >/dev/null 2>&1 || { echo "$0: vng not found after installing virtme-ng" >&2; exit 1; }
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || { echo "$0: no /boot/vmlinuz-*-amd64 kernel" >&2; exit 1; }
