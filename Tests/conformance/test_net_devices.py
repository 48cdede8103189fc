"""linux.netDevices (runtime-spec 1.3, config-linux.md "Network Devices"): host interfaces
moved into the container's network namespace at create, renamed as asked, with their
permanent global addresses, and up. One end of a veth pair plays the device: its other end
stays on the host, so traffic between the two proves the move, and its disappearance when
the container's namespace dies proves nothing was left on the host.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time

import pytest

# runc has linux.netDevices from 1.3 on; the 1.1.5 here ignores the field.
pytestmark = pytest.mark.swrun_only


def ip(*args, check=True) -> subprocess.CompletedProcess:
    p = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        pytest.fail(f"ip {' '.join(args)}: {p.stderr}", pytrace=False)
    return p


def link_exists(name: str, netns: str | None = None) -> bool:
    where = ["-n", netns] if netns else []
    return ip(*where, "link", "show", "dev", name, check=False).returncode == 0


def link_up(name: str) -> bool:
    flags = ip("-o", "link", "show", "dev", name).stdout.split("<", 1)[1].split(">", 1)[0]
    return "UP" in flags.split(",")


def wait_gone(name: str, timeout: float = 10.0) -> bool:
    # The kernel tears a network namespace down asynchronously (cleanup_net).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not link_exists(name):
            return True
        time.sleep(0.1)
    return not link_exists(name)


class Veths:
    """veth pairs with random names; the host end keeps `h`, the end to move is `c`."""

    def __init__(self):
        self.pairs: list[tuple[str, str]] = []
        self.netns: list[str] = []

    def pair(self, subnet: int | None = None) -> tuple[str, str]:
        tag = secrets.token_hex(3)
        host, moved = f"swh{tag}", f"swc{tag}"
        ip("link", "add", host, "type", "veth", "peer", "name", moved)
        self.pairs.append((host, moved))
        if subnet is not None:
            ip("addr", "add", f"10.{subnet}.0.1/24", "dev", host)
            ip("addr", "add", f"10.{subnet}.0.2/24", "dev", moved)
        ip("link", "set", host, "up")
        ip("link", "set", moved, "up")
        return host, moved

    def namespace(self) -> str:
        name = f"swrun-nd-{secrets.token_hex(3)}"
        ip("netns", "add", name)
        self.netns.append(name)
        return name

    def cleanup(self):
        for host, moved in self.pairs:
            for n in (host, moved):
                if link_exists(n):
                    ip("link", "del", n, check=False)
        for ns in self.netns:
            ip("netns", "del", ns, check=False)


@pytest.fixture
def veths():
    v = Veths()
    yield v
    v.cleanup()


def with_devices(h, devices: dict, args: list[str], *, netns_path: str | None = None,
                 caps=("CAP_NET_RAW",)) -> dict:
    c = h.config(args)
    c["linux"]["netDevices"] = devices
    for kind in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][kind] += list(caps)
    if netns_path:
        for ns in c["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = netns_path
    return c


def test_veth_end_moves_in_renamed_with_its_address_and_up(h, veths):
    host, moved = veths.pair(subnet=77)
    # Addresses the spec says stay behind: link scope, and a dynamic (non-permanent) one.
    ip("addr", "add", "169.254.77.2/16", "scope", "link", "dev", moved)
    ip("addr", "add", "10.78.0.2/24", "valid_lft", "300", "preferred_lft", "300", "dev", moved)
    r = h.run(with_devices(h, {moved: {"name": "ctr0"}}, ["sh", "-c",
        "ip -o -4 addr show dev ctr0; cat /sys/class/net/ctr0/operstate /sys/class/net/ctr0/flags; "
        "ping -c 1 -W 5 10.77.0.1"]))
    assert r.rc == 0, r
    lines = r.out.splitlines()
    addrs = [l for l in lines if " inet " in l]
    assert len(addrs) == 1 and "10.77.0.2/24" in addrs[0] and "scope global" in addrs[0], r.out
    assert int([l for l in lines if l.startswith("0x")][0], 16) & 0x1, "ctr0 is not up"
    assert "1 packets received" in r.out, r.out
    # The container is gone, and with its namespace the veth pair: nothing stays on the host.
    assert wait_gone(host), f"{host} still on the host after the container's namespace ended"
    assert not link_exists(moved) and not link_exists("ctr0")


def test_not_on_the_host_while_the_container_lives(h, veths):
    host, moved = veths.pair(subnet=79)
    ctid, r = h.create(with_devices(h, {moved: {}}, ["sh", "-c", "ip -o link show dev " + moved]))
    assert r.rc == 0, r
    assert not link_exists(moved), f"{moved} still on the host after create"
    pid = h.state_json(ctid)["pid"]
    inside = subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "-o", "addr", "show", "dev", moved],
                            capture_output=True, text=True, timeout=30)
    assert inside.returncode == 0 and "10.79.0.2/24" in inside.stdout, inside
    assert h.start(ctid).rc == 0
    h.wait_status(ctid, "stopped")
    assert moved in h.output(ctid).out
    assert h.delete(ctid).rc == 0
    assert wait_gone(host)


def test_host_name_kept_and_templates_get_free_names(h, veths):
    (_, keep), (_, t1), (_, t2) = veths.pair(), veths.pair(), veths.pair()
    r = h.run(with_devices(h, {keep: {}, t1: {"name": "net%d"}, t2: {"name": "net%d"}},
                           ["sh", "-c", "ls /sys/class/net"]))
    assert r.rc == 0, r
    assert sorted(r.out.split()) == sorted(["lo", keep, "net0", "net1"]), r.out


def test_joined_namespace_keeps_the_device_after_delete(h, veths):
    # config-linux.md: the runtime MUST NOT move the interface out before deletion; a
    # namespace joined by path outlives the container and keeps it.
    host, moved = veths.pair(subnet=81)
    ns = veths.namespace()
    r = h.run(with_devices(h, {moved: {"name": "pod0"}}, ["cat", "/sys/class/net/pod0/operstate"],
                           netns_path=f"/var/run/netns/{ns}"))
    assert r.rc == 0, r
    assert link_exists("pod0", netns=ns)
    assert "10.81.0.2/24" in ip("-n", ns, "-o", "addr", "show", "dev", "pod0").stdout
    assert link_exists(host) and not link_exists(moved)


def test_name_taken_in_joined_namespace_is_an_error_and_the_device_stays_up(h, veths):
    host, moved = veths.pair(subnet=83)
    ns = veths.namespace()
    ip("-n", ns, "link", "add", "pod0", "type", "veth", "peer", "name", "pod0peer")
    ctid, r = h.create(with_devices(h, {moved: {"name": "pod0"}}, ["true"],
                                    netns_path=f"/var/run/netns/{ns}"))
    assert r.rc == 1, r
    assert f'linux.netDevices["{moved}"]' in r.err and "already exists" in r.err, r.err
    assert link_exists(moved) and link_up(moved), "the device must stay on the host as it was"
    assert "10.83.0.2/24" in ip("-o", "addr", "show", "dev", moved).stdout
    assert h.state(ctid).rc != 0, "a failed create must leave no container"


@pytest.mark.parametrize("case", [
    "missing_device", "no_network_namespace", "host_network_namespace", "slash", "too_long",
    "dot", "space", "two_templates", "same_target", "loopback_name",
])
def test_refused_before_anything_is_created(h, veths, case):
    _, moved = veths.pair()
    devices = {moved: {"name": "ctr0"}}
    c = with_devices(h, devices, ["true"])
    want = f'linux.netDevices["{moved}"]'
    if case == "missing_device":
        c["linux"]["netDevices"] = {"swnonexist0": {}}
        want = 'linux.netDevices["swnonexist0"]'
    elif case == "no_network_namespace":
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
    elif case == "host_network_namespace":
        for n in c["linux"]["namespaces"]:
            if n["type"] == "network":
                n["path"] = f"/proc/{os.getpid()}/ns/net"
    elif case == "same_target":
        _, other = veths.pair()
        c["linux"]["netDevices"] = {moved: {"name": "ctr0"}, other: {"name": "ctr0"}}
        want = "linux.netDevices["
    else:
        devices[moved]["name"] = {"slash": "a/b", "too_long": "x" * 16, "dot": ".", "space": "a b",
                                  "two_templates": "e%d%d", "loopback_name": "lo"}[case]
    ctid, r = h.create(c)
    assert r.rc == 1, r
    assert want in r.err, r.err
    assert h.state(ctid).rc != 0
    assert link_exists(moved) and link_up(moved), "a refused config must not touch the device"


def test_features_lists_net_devices(h):
    r = h.rt("features", root=False)
    assert r.rc == 0, r
    assert json.loads(r.out)["linux"]["netDevices"] == {"enabled": True}
