"""CVE-2025-52881 (procfs writes redirected by a volume) and sysctls that reach the host:
not namespaced at all, or namespaced but the container does not have that namespace."""

import os
import secrets

import pytest

from conftest import host_sysctl_unchanged

REDIRECT = "/proc/sys/kernel/domainname"   # UTS-namespaced: harmless to redirect to


def drop_namespace(cfg, typ):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != typ]
    return cfg


def test_sysctl_redirected_by_volume_over_proc_sys_net(h):
    """CVE-2025-52881: a volume mounted over /proc/sys/net whose ipv4/ip_forward is a
    symlink to /proc/sys/kernel/domainname; writing the net.ipv4.ip_forward sysctl by path
    follows it into another procfs file. Create must fail; no domainname changes."""
    vol = h.tmpdir("netvol")
    (vol / "ipv4").mkdir()
    os.symlink(REDIRECT, vol / "ipv4" / "ip_forward")
    token = f"sectest{secrets.token_hex(4)}"
    cfg = h.config(["cat", REDIRECT])
    cfg["mounts"].append({"destination": "/proc/sys/net", "type": "bind", "source": str(vol),
                          "options": ["rbind", "rw"]})
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": token}
    host = open(REDIRECT).read()
    r = h.run(cfg)
    assert open(REDIRECT).read() == host, "the host's domainname changed"
    assert token not in r.out, f"the sysctl write landed in the container's domainname:\n{r}"
    assert r.rc != 0, f"a sysctl under a volume mounted over /proc/sys was accepted:\n{r}"
    assert sorted(p.name for p in vol.rglob("*")) == ["ip_forward", "ipv4"]


def bumped(value: str) -> str:
    return str(int(value.split()[0]) + 1)


def test_non_namespaced_sysctl_kernel_printk_ratelimit(h):
    """Host sysctls through linux.sysctl (runc's validation: only namespaced sysctls):
    kernel.printk_ratelimit is not namespaced, setting it changes the host's value. It
    must be refused; the host value is compared (and restored) after."""
    with host_sysctl_unchanged("kernel.printk_ratelimit") as before:
        cfg = h.config(["true"])
        cfg["linux"]["sysctl"] = {"kernel.printk_ratelimit": bumped(before["kernel.printk_ratelimit"])}
        r = h.run(cfg)
    assert r.rc != 0, f"kernel.printk_ratelimit was accepted:\n{r}"


@pytest.mark.parametrize("name,namespace,value", [
    ("fs.mqueue.queues_max", "ipc", None),
    ("net.ipv4.ping_group_range", "network", "65534 65534"),
])
def test_namespaced_sysctl_without_its_namespace(h, name, namespace, value):
    """Host sysctls through linux.sysctl: an IPC (fs.mqueue.*) or network (net.*) sysctl in
    a container that shares the host's IPC or network namespace would be written into the
    host's. It must be refused; the host value is compared (and restored) after."""
    with host_sysctl_unchanged(name) as before:
        cfg = drop_namespace(h.config(["true"]), namespace)
        new = value or bumped(before[name])
        assert new.split() != before[name].split(), "pick a value the host does not have"
        cfg["linux"]["sysctl"] = {name: new}
        r = h.run(cfg)
    assert r.rc != 0, f"{name} without a {namespace} namespace was accepted:\n{r}"
