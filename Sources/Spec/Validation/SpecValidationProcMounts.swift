/// Mounts onto /proc and below it (issue 12, class 5). A host directory bound onto /proc
/// is a fake procfs: the masks and readonly paths land on its files instead of the kernel's,
/// and whatever the runtime writes through /proc (sysctls, the init's own /proc/self/fd/N)
/// goes into files the config's author chose. A bind onto /proc/cmdline or /proc/sys/... hides
/// or replaces a kernel interface. runc refuses both (libcontainer/rootfs_linux.go,
/// checkProcMount); so does swrun, before anything is created.
extension Spec {
    /// What runc allows over files inside /proc: the ones lxcfs emulates per container, and
    /// fips_enabled for tests that fake FIPS mode. runc's older /proc/net/dev is not here:
    /// /proc/net is a symlink to self/net (already per network namespace), so that mount never
    /// worked, and runc dropped it (3620185d0).
    static let procFilesAllowedAsMountDestinations = [
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
        "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid",
        "/proc/sys/crypto/fips_enabled",
    ]

    func refuseMountsOverProc() throws(RuntimeError) {
        for (i, m) in (mounts ?? []).enumerated() {
            let dest = PathClean.clean(m.destination)
            let path = "mounts[\(i)].destination"
            if dest == "/proc" {
                if m.type == "proc" { continue }
                // Rootless engines bind the host's /proc when the container shares the host's
                // PID namespace (podman --pid=host): still the kernel's procfs. runc allows a
                // bind of any procfs (statfs); without statfs here, swrun allows the one
                // source that is procfs by definition, the caller's own /proc.
                if m.isBind, let source = m.source, PathClean.clean(source) == "/proc" { continue }
                throw RuntimeError.config(path,
                    "only a procfs can be mounted on /proc (type \"proc\", or a bind of the host's /proc), not "
                    + (m.isBind ? "a bind of \"\(m.source ?? "")\"" : "type \"\(m.type ?? "")\""))
            }
            if dest.hasPrefix("/proc/") && !Spec.procFilesAllowedAsMountDestinations.contains(dest) {
                throw RuntimeError.config(path,
                    "\(m.destination) is inside /proc: only "
                    + Spec.procFilesAllowedAsMountDestinations.joined(separator: ", ")
                    + " can be mounted over (as lxcfs does)")
            }
        }
    }
}

extension Mount {
    /// A bind mount by type or by option, as the mounter reads it.
    public var isBind: Bool {
        type == "bind" || (options ?? []).contains { $0 == "bind" || $0 == "rbind" }
    }
}
