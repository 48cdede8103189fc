import Spec

/// The device cgroup rules of a container (runtime-spec config-linux.md "Device allowlist"),
/// in the order the kernel is given them.
public enum DeviceRules {
    /// The rules runc 1.1 applies, so a config behaves under swrun as it does under runc: the
    /// config's linux.resources.devices in order, then runc's default allowed devices
    /// (libcontainer/specconv AllowedDevices). runc appends the defaults after the config's
    /// rules, so a config cannot take them away (a deny of c 1:3 is undone by the /dev/null
    /// allow after it), and it drops a default with a path that linux.devices also lists (the
    /// config's device "takes priority"), which is the one way to deny such a device.
    /// linux.devices entries get no allow rule of their own: runc 1.1 creates their nodes but
    /// leaves access to linux.resources.devices, which is where engines put their allow rules;
    /// adding rwm for them would widen a config that grants such a device only "r".
    public static func effective(spec: Spec) -> [LinuxDeviceCgroup] {
        effective(rules: spec.linux?.resources?.devices, devices: spec.linux?.devices)
    }

    /// The same from the two config fields: linux.resources.devices and linux.devices.
    public static func effective(rules config: [LinuxDeviceCgroup]?, devices: [LinuxDevice]?) -> [LinuxDeviceCgroup] {
        var rules = config ?? []
        let configured = (devices ?? []).map(\.path)  // an array: a few paths, no Set<String> to instantiate
        for (i, rule) in runcDefaults.enumerated() where runcDefaultPaths[i].isEmpty || !configured.contains(runcDefaultPaths[i]) {
            rules.append(rule)
        }
        return rules
    }

    /// Checks what the kernel would reject, naming the config path, before anything is created.
    public static func validate(spec: Spec) throws(RuntimeError) {
        for (i, r) in (spec.linux?.resources?.devices ?? []).enumerated() {
            _ = try DeviceRule(r, jsonPath: "linux.resources.devices[\(i)]")
        }
    }

    /// runc 1.1's AllowedDevices, in its order: mknod of any char and block device, the
    /// standard nodes, /dev/pts/*, /dev/ptmx and /dev/net/tun. Two parallel arrays, not one
    /// of (path, rule) tuples: a tuple array is a type the runtime builds by name per create.
    static let runcDefaults: [LinuxDeviceCgroup] = [
        LinuxDeviceCgroup(allow: true, type: "c", major: -1, minor: -1, access: "m"),
        LinuxDeviceCgroup(allow: true, type: "b", major: -1, minor: -1, access: "m"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 7, access: "rwm"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 136, minor: -1, access: "rwm"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 5, minor: 2, access: "rwm"),
        LinuxDeviceCgroup(allow: true, type: "c", major: 10, minor: 200, access: "rwm"),
    ]
    /// The node each default is for ("": a class of devices, always added): a config that
    /// lists the node in linux.devices brings its own rule.
    static let runcDefaultPaths: [String] = [
        "", "", "/dev/null", "/dev/random", "/dev/full", "/dev/tty", "/dev/zero", "/dev/urandom",
        "", "", "",
    ]
}

/// One rule in the form both the v1 writer and the BPF generator use.
struct DeviceRule: Equatable, Hashable {
    /// The access bits as the kernel's BPF context has them (BPF_DEVCG_ACC_*).
    static let mknod: UInt8 = 1, read: UInt8 = 2, write: UInt8 = 4, all: UInt8 = 7

    var allow: Bool
    /// "b" or "c"; nil for every device ("a"). An "a" rule ignores major, minor and access,
    /// as the v1 kernel does: it resets the cgroup to allow-all or deny-all.
    var type: Character?
    /// nil: any.
    var major: UInt32?
    var minor: UInt32?
    var access: UInt8

    init(allow: Bool, type: Character?, major: UInt32?, minor: UInt32?, access: UInt8) {
        self.allow = allow
        self.type = type
        self.major = type == nil ? nil : major
        self.minor = type == nil ? nil : minor
        self.access = type == nil ? Self.all : access
    }

    init(_ r: LinuxDeviceCgroup, jsonPath: String = "linux.resources.devices") throws(RuntimeError) {
        var t: Character?
        switch r.type ?? "a" {
        case "a": t = nil
        case "b": t = "b"
        case "c": t = "c"
        default: throw RuntimeError.config(jsonPath + ".type", "must be \"a\", \"b\" or \"c\", not \"\(r.type!)\"")
        }
        var mask: UInt8 = 0
        for ch in r.access ?? "rwm" {
            switch ch {
            case "m": mask |= Self.mknod
            case "r": mask |= Self.read
            case "w": mask |= Self.write
            default: throw RuntimeError.config(jsonPath + ".access", "must be made of r, w and m, not \"\(r.access!)\"")
            }
        }
        if mask == 0 { throw RuntimeError.config(jsonPath + ".access", "must not be empty") }
        func number(_ v: Int64?, _ field: String) throws(RuntimeError) -> UInt32? {
            guard let v, v != -1 else { return nil }
            guard let n = UInt32(exactly: v) else {
                throw RuntimeError.config(jsonPath + "." + field, "must be -1 (any) or 0...\(UInt32.max), not \(v)")
            }
            return n
        }
        self.init(allow: r.allow, type: t, major: try number(r.major, "major"),
                  minor: try number(r.minor, "minor"), access: mask)
    }

    /// The v1 cgroup line: "c 1:3 rwm", "a".
    var v1Line: String {
        guard let type else { return "a" }
        var acc = ""
        if access & Self.read != 0 { acc += "r" }
        if access & Self.write != 0 { acc += "w" }
        if access & Self.mknod != 0 { acc += "m" }
        return "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(acc)"
    }

    static func parse(_ rules: [LinuxDeviceCgroup]) throws(RuntimeError) -> [DeviceRule] {
        var out: [DeviceRule] = []
        for (i, r) in rules.enumerated() { out.append(try DeviceRule(r, jsonPath: "linux.resources.devices[\(i)]")) }
        return out
    }
}
