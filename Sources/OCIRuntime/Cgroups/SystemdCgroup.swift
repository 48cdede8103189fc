#if canImport(Glibc)
import Glibc
#endif
import Spec

/// The systemd driver (`--systemd-cgroup`), as runc's systemd v2 manager: the container is a
/// transient scope "<prefix>-<name>.scope" in its slice, started with the init's PID, with
/// Delegate=yes and the properties systemd understands; the resource files systemd does not
/// own are then written into the scope's directory. Needs systemd as init and a pure cgroup
/// v2 host. Rootless, the unit goes to the user's own manager (`systemd --user`), whose
/// cgroup systemd delegates to the user: the scope is below it, and the user may write it.
final class SystemdCgroup: CgroupManager {
    let unit: SystemdCgroupsPath
    /// The unit is the user's manager's, not the system's (rootless).
    let user: Bool
    let paths: [String]
    /// The single v2 hierarchy, for the container's cgroup mount.
    let hierarchies: [CgroupHierarchy]
    private var resources: LinuxResources?
    private var deviceRules: [LinuxDeviceCgroup]
    private var bus: SystemdBus?
    private var started = false

    /// Everything that can be wrong with the config is found here, before anything exists.
    init(spec: Spec, id: String, hierarchies: [CgroupHierarchy], user: Bool = false) throws(RuntimeError) {
        guard Sys.isDirectory("/run/systemd/system") else {
            throw RuntimeError("--systemd-cgroup needs systemd as the init system, and systemd is not running here (no /run/systemd/system)",
                               hint: "run without --systemd-cgroup to use the cgroupfs driver")
        }
        guard hierarchies.count == 1, let v2 = hierarchies.first, v2.isV2 else {
            throw RuntimeError("--systemd-cgroup needs a host with only the cgroup v2 (unified) hierarchy; this one has v1 hierarchies",
                               hint: "run without --systemd-cgroup to use the cgroupfs driver")
        }
        unit = try SystemdCgroupsPath.parse(spec.linux?.cgroupsPath, id: id,
                                            defaultSlice: user ? "user.slice" : SystemdCgroupsPath.defaultSlice)
        self.user = user
        resources = spec.linux?.resources
        // A user's manager cannot load device programs (they need the host's root): the user
        // namespace already keeps the container from making device nodes.
        deviceRules = user ? [] : DeviceRules.effective(spec: spec)
        self.hierarchies = hierarchies
        if user {
            let b = try SystemdBus.connect(user: true)
            bus = b
            paths = [v2.directory(for: try Self.below(b.controlGroup(), unit.cgroup))]
        } else {
            paths = [v2.directory(for: unit.cgroup)]
        }
        // The same checks join will make with the real version: fail before anything exists.
        _ = try SystemdProperties.unit(unit, pid: nil, resources: resources, version: Int.max)
        _ = try SystemdProperties.resources(resources, version: Int.max)
        _ = try SystemdDeviceAllow.properties(deviceRules)
    }

    /// The unit of a container created earlier (`update`): its properties change at runtime.
    init(existingUnit: String, user: Bool, path: String, hierarchies: [CgroupHierarchy]) {
        unit = SystemdCgroupsPath(slice: "", name: existingUnit, unit: existingUnit, cgroup: "")
        self.user = user
        paths = [path]
        self.hierarchies = hierarchies
        resources = nil
        deviceRules = []
        started = true
    }

    /// Nothing to do: systemd creates the scope's cgroup when the scope starts, and a scope
    /// cannot start without a process (see join).
    func create() throws(RuntimeError) {}

    /// Before the scope exists the resources are kept for join, which starts the unit with
    /// them; afterwards (update) they go to the unit and to the files.
    func apply(_ resources: LinuxResources) throws(RuntimeError) {
        self.resources = resources
        guard started else { return }
        let bus = try connection()
        let (properties, adjusted) = try SystemdProperties.resources(resources, version: bus.version())
        try bus.setUnitProperties(unit.unit, properties: properties)
        if let adjusted { try writeFiles(adjusted) }
    }

    /// systemd enforces the allowlist itself (DevicePolicy=strict and DeviceAllow, its own BPF
    /// program): like the resources, the rules go with the unit's start, or to the running unit.
    func applyDevices(_ rules: [LinuxDeviceCgroup]) throws(RuntimeError) {
        deviceRules = rules
        guard started else { return }
        try connection().setUnitProperties(unit.unit, properties: SystemdDeviceAllow.properties(rules))
    }

    var systemdUnit: String? { unit.unit }

    /// The first process starts the scope (runc's Apply(pid)); later ones are moved into it.
    func join(pid: Int32) throws(RuntimeError) {
        if started {
            do {
                try Sys.writeFile(paths[0] + "/cgroup.procs", String(pid), flags: 0)
            } catch where user && (error.errno == EACCES || error.errno == EPERM) {
                // From outside the user's delegated subtree (the exec of a user's login shell:
                // the common parent is root's) only systemd can move it.
                try connection().attach(pid: pid, to: unit.unit)
            }
            return
        }
        let bus = try connection()
        let version = bus.version()
        var properties = try SystemdProperties.unit(unit, pid: pid, resources: resources, version: version)
        let (resourceProperties, adjusted) = try SystemdProperties.resources(resources, version: version)
        // Not to a user's manager: it cannot load a device program (see init).
        properties += try (user ? [] : SystemdDeviceAllow.properties(deviceRules)) + resourceProperties
        try bus.startTransientUnit(unit.unit, properties: properties)
        started = true
        guard Sys.isDirectory(paths[0]) else {
            throw RuntimeError("systemd started \(unit.unit), but its cgroup is not \(paths[0])",
                               hint: "the slice's cgroup is elsewhere; check `systemctl show -p ControlGroup \(unit.unit)`")
        }
        if let adjusted { try writeFiles(adjusted) }
    }

    /// Stops the unit (systemd kills what is left in it and removes its cgroup), then removes
    /// any sub-cgroups an older systemd leaves behind.
    /// A unit this manager did not start (its name was taken) is left alone.
    func destroy() throws(RuntimeError) {
        guard started else { return }
        try Self.stop(unit: unit.unit, user: user, path: paths[0], bus: connection())
    }

    /// For `delete`, which knows the unit, its manager and the path from the container's record.
    static func stop(unit: String, user: Bool, path: String, bus: SystemdBus? = nil) throws(RuntimeError) {
        let connection: SystemdBus
        if let bus { connection = bus } else { connection = try SystemdBus.connect(user: user) }
        try connection.stopUnit(unit)
        try CgroupManagers.removeDirectory(path)
    }

    private func connection() throws(RuntimeError) -> SystemdBus {
        if let bus { return bus }
        let b = try SystemdBus.connect(user: user)
        bus = b
        return b
    }

    /// A cgroup below the user's manager's. systemd's answer is checked as any input is: an
    /// absolute path with no "." or ".." in it.
    static func below(_ managerCgroup: String, _ cgroup: String) throws(RuntimeError) -> String {
        let parts = managerCgroup.split(separator: "/")
        guard managerCgroup.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0 == "." }) else {
            throw RuntimeError("the user's systemd reports an unusable cgroup \"\(managerCgroup)\"")
        }
        return parts.isEmpty ? cgroup : "/" + parts.joined(separator: "/") + cgroup
    }

    /// The files systemd does not own (hugetlb, rdma, io limits, cpu.max.burst, unified...)
    /// and, again, those it does: the same values, so both agree.
    private func writeFiles(_ r: LinuxResources) throws(RuntimeError) {
        let plan = try CgroupV2Files.plan(for: r)
        plan.warnings.forEach(Log.warn)
        if let v2 = hierarchies.first(where: { $0.isV2 }) {
            CgroupWriter.enableControllers(mountPoint: v2.mountPoint, directory: paths[0])
        }
        try CgroupWriter.apply(plan, directory: paths[0])
    }
}
