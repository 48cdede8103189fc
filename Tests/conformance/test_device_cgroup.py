"""The device cgroup (config-linux.md "Device allowlist"), seen from inside the container.

The runtime applies linux.resources.devices in order and then, as runc 1.1 does, its default
allowed devices (mknod of any char/block device, null, zero, full, random, urandom, tty,
ptmx, /dev/pts/*, tun); a default whose path linux.devices also lists is left out. The probe
opens devices and reports; a device the cgroup denies fails with EPERM ("Operation not
permitted"), which no other cause of failure here produces.
"""

import pytest

NULL_DEV = {"path": "/dev/null", "type": "c", "major": 1, "minor": 3,
            "fileMode": 0o666, "uid": 0, "gid": 0}
FULL_DEV = {"path": "/dev/full", "type": "c", "major": 1, "minor": 7,
            "fileMode": 0o666, "uid": 0, "gid": 0}

PROBE = """
[ -c /dev/null ] && echo null-is-char
if echo x > /dev/null; then echo null-write-ok; else echo null-write-denied; fi
[ "$(head -c 4 /dev/zero | wc -c)" = 4 ] && echo zero-read-ok
echo x > /dev/full
if mknod /dev/probe c 1 11; then echo mknod-ok; fi
if ( : > /dev/probe ); then echo kmsg-write-ok; else echo kmsg-write-denied; fi
true
"""


def with_devices(cfg, rules, devices=None, mknod=False):
    cfg["linux"].setdefault("resources", {})["devices"] = rules
    if devices is not None:
        cfg["linux"]["devices"] = devices
    if mknod:  # to make a node for a device outside the defaults (/dev/kmsg, c 1:11)
        for s in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][s].append("CAP_MKNOD")
    return cfg


def probe(h, cfg):
    r = h.sh(PROBE, cfg)
    assert r.rc == 0, r
    return r


def probe_denying(h, dev):
    """Probes a container whose config denies `dev` after deny-all. linux.devices lists it,
    so runc's default allow rule for its path is dropped and the config's deny stands."""
    deny = {"allow": False, "type": "c", "major": dev["major"], "minor": dev["minor"], "access": "rwm"}
    r = probe(h, with_devices(h.config(), [{"allow": False, "access": "rwm"}, deny], devices=[dev], mknod=True))
    assert "zero-read-ok" in r.out, r
    # Not in the defaults: denied too, though mknod of it is allowed ("c *:* m").
    assert "mknod-ok" in r.out and "kmsg-write-denied" in r.out, r
    return r


def test_denied_device_cannot_be_opened(h):
    r = probe_denying(h, FULL_DEV)
    # Allowed, writing /dev/full fails with ENOSPC instead.
    assert "can't create /dev/full: Operation not permitted" in r.err, r
    assert "No space left on device" not in r.err, r
    assert "null-write-ok" in r.out, r


# runc 1.1.5 opens /dev/null O_RDWR in its init whatever the stdio, so it cannot start a
# container whose cgroup denies /dev/null ("error reopening /dev/null inside container").
@pytest.mark.swrun_only
def test_denied_dev_null(h):
    r = probe_denying(h, NULL_DEV)
    assert "null-is-char" in r.out and "null-write-denied" in r.out, r
    assert "can't create /dev/null: Operation not permitted" in r.err, r


def test_allow_all(h):
    cfg = with_devices(h.config(), [{"allow": True, "access": "rwm"}], mknod=True)
    r = probe(h, cfg)
    assert "No space left on device" in r.err, r
    assert "null-write-ok" in r.out and "zero-read-ok" in r.out, r
    assert "mknod-ok" in r.out and "kmsg-write-ok" in r.out, r
    assert "Operation not permitted" not in r.err, r


def test_deny_all_keeps_the_default_devices(h):
    # What engines send: deny everything, then allow what they add. The defaults still work.
    cfg = with_devices(h.config(), [{"allow": False, "access": "rwm"}], mknod=True)
    r = probe(h, cfg)
    assert "null-write-ok" in r.out and "zero-read-ok" in r.out, r
    assert "mknod-ok" in r.out and "kmsg-write-denied" in r.out, r


def test_without_device_rules_only_the_defaults_are_allowed(h):
    cfg = h.config()
    for s in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][s].append("CAP_MKNOD")
    r = probe(h, cfg)
    assert "null-write-ok" in r.out and "zero-read-ok" in r.out, r
    assert "kmsg-write-denied" in r.out, r


@pytest.mark.parametrize("access,allowed", [("w", True), ("rm", False), ("rwm", True)])
def test_access_letters(h, access, allowed):
    cfg = with_devices(h.config(), [{"allow": False, "access": "rwm"},
                                    {"allow": True, "type": "c", "major": 1, "minor": 11, "access": access}],
                       mknod=True)
    r = probe(h, cfg)
    assert ("kmsg-write-ok" if allowed else "kmsg-write-denied") in r.out, r


def test_defaults_come_after_the_config(h):
    # runc appends its defaults: a config's deny of /dev/null alone is undone by them.
    cfg = with_devices(h.config(), [{"allow": False, "access": "rwm"},
                                    {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "rwm"}])
    r = probe(h, cfg)
    assert "null-write-ok" in r.out, r


def test_invalid_rule_is_a_config_error(h):
    cfg = with_devices(h.config(), [{"allow": True, "type": "x", "access": "rwm"}])
    r = h.sh("true", cfg)
    assert r.rc != 0, r
    assert "device" in r.err, r


def test_linux_devices_get_no_allow_rule_of_their_own(h):
    # The node is created, but access is what linux.resources.devices grants (runc 1.1).
    cfg = with_devices(h.config(), [{"allow": False, "access": "rwm"}],
                       devices=[{"path": "/dev/probe", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666}])
    r = probe(h, cfg)
    assert "mknod-ok" not in r.out and "kmsg-write-denied" in r.out, r
    cfg = with_devices(h.config(), [{"allow": False, "access": "rwm"},
                                    {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}],
                       devices=[{"path": "/dev/probe", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666}])
    r = probe(h, cfg)
    assert "kmsg-write-ok" in r.out, r
