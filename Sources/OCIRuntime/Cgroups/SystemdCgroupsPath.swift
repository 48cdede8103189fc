import Spec

/// linux.cgroupsPath under `--systemd-cgroup`: "slice:prefix:name", read exactly as runc reads
/// it, so engines that name units for runc get the same units from swrun.
struct SystemdCgroupsPath: Equatable {
    /// The parent slice unit ("system.slice").
    var slice: String
    /// The name part (the container ID by default), for the unit's description.
    var name: String
    /// The unit swrun starts: "<prefix>-<name>.scope", or the name itself when it is a slice.
    var unit: String
    /// The unit's cgroup relative to the v2 root ("/system.slice/swrun-c1.scope").
    var cgroup: String

    static let defaultSlice = "system.slice"
    /// runc's default is "runc"; ours names the runtime that made the unit.
    static let defaultPrefix = "swrun"

    var isSlice: Bool { unit.hasSuffix(".slice") }

    /// An absent or empty cgroupsPath means the default slice, the default prefix and the
    /// container ID; in "slice:prefix:name" only an empty slice falls back to the default
    /// (runc keeps an empty prefix or name as it is).
    /// defaultSlice: "system.slice", or "user.slice" in a user's manager (runc's rootless default).
    static func parse(_ cgroupsPath: String?, id: String,
                      defaultSlice: String = defaultSlice) throws(RuntimeError) -> SystemdCgroupsPath {
        let slice: String, prefix: String, name: String
        if let path = cgroupsPath, !path.isEmpty {
            let parts = path.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else {
                throw RuntimeError.config("linux.cgroupsPath",
                    "expected \"slice:prefix:name\" for systemd cgroups, got \"\(path)\"")
            }
            (slice, prefix, name) = (parts[0].isEmpty ? defaultSlice : parts[0], parts[1], parts[2])
        } else {
            (slice, prefix, name) = (defaultSlice, defaultPrefix, id)
        }
        // A "/" would make the unit's cgroup directory escape its slice; systemd refuses such
        // unit names anyway, but the path is computed (and recorded) before systemd sees it.
        for (part, value) in [("prefix", prefix), ("name", name)] where value.contains("/") {
            throw RuntimeError.config("linux.cgroupsPath", "the \(part) \"\(value)\" must not contain \"/\"")
        }
        let unit = name.hasSuffix(".slice") ? name : prefix + "-" + name + ".scope"
        let sliceDir = try expandSlice(slice)
        return SystemdCgroupsPath(slice: slice, name: name, unit: unit,
                                  cgroup: sliceDir == "/" ? "/" + unit : sliceDir + "/" + unit)
    }

    /// systemd nests slices by their dashes: "a-b-c.slice" lives in
    /// /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the root.
    static func expandSlice(_ slice: String) throws(RuntimeError) -> String {
        let invalid = RuntimeError.config("linux.cgroupsPath", "invalid slice name: \(slice)")
        guard slice.hasSuffix(".slice"), !slice.contains("/") else { throw invalid }
        let base = String(slice.dropLast(".slice".count))
        if base == "-" { return "/" }
        var path = "", prefix = ""
        for component in base.split(separator: "-", omittingEmptySubsequences: false) {
            // "a--b.slice", "-a.slice", "a-.slice" and ".slice" name no slice.
            if component.isEmpty { throw invalid }
            path += "/" + prefix + component + ".slice"
            prefix += component + "-"
        }
        return path
    }
}
