#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What `swrun spec` writes: runc 1.1's example config with our own version and hostname,
/// so bundles made for runc keep working and vice versa.
extension Spec {
    public static let defaultVersion = "1.2.0"

    public static func defaultConfig(rootless: Bool) -> JSONValue {
        defaultSpec(rootless: rootless).jsonValue
    }

    public static func defaultSpec(rootless: Bool) -> Spec {
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        var spec = Spec(
            ociVersion: defaultVersion,
            process: Process(
                terminal: true,
                user: User(uid: 0, gid: 0),
                args: ["sh"],
                env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                cwd: "/",
                capabilities: LinuxCapabilities(bounding: caps, effective: caps, permitted: caps),
                rlimits: [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)],
                noNewPrivileges: true),
            root: Root(path: "rootfs", readonly: true),
            hostname: "swrun",
            mounts: [
                Mount(destination: "/proc", type: "proc", source: "proc"),
                Mount(destination: "/dev", type: "tmpfs", source: "tmpfs",
                      options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
                Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
                Mount(destination: "/dev/shm", type: "tmpfs", source: "shm",
                      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
                Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
                      options: ["nosuid", "noexec", "nodev"]),
                Mount(destination: "/sys", type: "sysfs", source: "sysfs",
                      options: ["nosuid", "noexec", "nodev", "ro"]),
                Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                      options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
            ],
            linux: Linux(
                resources: LinuxResources(devices: [LinuxDeviceCgroup(allow: false, access: "rwm")]),
                namespaces: ["pid", "network", "ipc", "uts", "mount", "cgroup"].map { LinuxNamespace(type: $0) },
                maskedPaths: [
                    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                    "/proc/scsi",
                ],
                readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]))
        if rootless { spec.makeRootless(uid: geteuid(), gid: getegid()) }
        return spec
    }

    /// runc's ToRootless: an unprivileged user can create a user namespace but not a
    /// network one it could configure, cannot mount a fresh sysfs or cgroupfs, cannot
    /// set cgroup limits, and has only its own id to map (so no devpts gid=5).
    mutating func makeRootless(uid: uid_t, gid: gid_t) {
        let kept = (linux?.namespaces ?? []).filter { $0.type != "network" && $0.type != "user" }
        linux?.namespaces = kept + [LinuxNamespace(type: "user")]
        linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: uid, size: 1)]
        linux?.gidMappings = [LinuxIDMapping(containerID: 0, hostID: gid, size: 1)]
        linux?.resources = nil
        mounts = mounts?.compactMap { m -> Mount? in
            if m.destination == "/sys/fs/cgroup" { return nil }
            if m.destination == "/sys" {
                return Mount(destination: "/sys", type: "none", source: "/sys",
                             options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
            }
            var m = m
            m.options = m.options?.filter { !$0.hasPrefix("gid=") && !$0.hasPrefix("uid=") }
            return m
        }
    }
}
