#if canImport(Glibc)
import Glibc
#endif
import Spec

/// The systemd driver (`--systemd-cgroup`), as runc's systemd v2 manager: the container is a
/// transient scope "<prefix>-<name>.scope" in its slice, started with the init's PID, with
/// Delegate=yes and the properties systemd understands; the resource files systemd does not
/// own are then written into the scope's directory. Needs systemd as init and a pure cgroup
/// v2 host.
final class SystemdCgroup: CgroupManager {
    let unit: SystemdCgroupsPath
    let paths: [String]
    /// The single v2 hierarchy, for the container's cgroup mount.
    let hierarchies: [CgroupHierarchy]
    private var resources: LinuxResources?
    private var deviceRules: [LinuxDeviceCgroup]
    private var bus: SystemdBus?
    private var started = false

    /// Everything that can be wrong with the config is found here, before anything exists.
    init(spec: Spec, id: String, hierarchies: [CgroupHierarchy]) throws(RuntimeError) {
        guard Sys.isDirectory("/run/systemd/system") else {
            throw RuntimeError("--systemd-cgroup needs systemd as the init system, and systemd is not running here (no /run/systemd/system)",
                               hint: "run without --systemd-cgroup to use the cgroupfs driver")
        }
        guard hierarchies.count == 1, let v2 = hierarchies.first, v2.isV2 else {
            throw RuntimeError("--systemd-cgroup needs a host with only the cgroup v2 (unified) hierarchy; this one has v1 hierarchies",
                               hint: "run without --systemd-cgroup to use the cgroupfs driver")
        }
        unit = try SystemdCgroupsPath.parse(spec.linux?.cgroupsPath, id: id)
        resources = spec.linux?.resources
        deviceRules = DeviceRules.effective(spec: spec)
        self.hierarchies = hierarchies
        paths = [v2.directory(for: unit.cgroup)]
        // The same checks join will make with the real version: fail before anything exists.
        _ = try SystemdProperties.unit(unit, pid: nil, resources: resources, version: Int.max)
        _ = try SystemdProperties.resources(resources, version: Int.max)
        _ = try SystemdDeviceAllow.properties(deviceRules)
    }

    /// The unit of a container created earlier (`update`): its properties change at runtime.
    init(existingUnit: String, path: String, hierarchies: [CgroupHierarchy]) {
        unit = SystemdCgroupsPath(slice: "", name: existingUnit, unit: existingUnit, cgroup: "")
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
            try Sys.writeFile(paths[0] + "/cgroup.procs", String(pid), flags: 0)
            return
        }
        let bus = try connection()
        let version = bus.version()
        var properties = try SystemdProperties.unit(unit, pid: pid, resources: resources, version: version)
        let (resourceProperties, adjusted) = try SystemdProperties.resources(resources, version: version)
        properties += try SystemdDeviceAllow.properties(deviceRules) + resourceProperties
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
        try Self.stop(unit: unit.unit, path: paths[0], bus: connection())
    }

    /// For `delete`, which knows the unit and the path from the container's record.
    static func stop(unit: String, path: String, bus: SystemdBus? = nil) throws(RuntimeError) {
        let connection: SystemdBus
        if let bus { connection = bus } else { connection = try SystemdBus.connect() }
        try connection.stopUnit(unit)
        try CgroupManagers.removeDirectory(path)
    }

    private func connection() throws(RuntimeError) -> SystemdBus {
        if let bus { return bus }
        let b = try SystemdBus.connect()
        bus = b
        return b
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
