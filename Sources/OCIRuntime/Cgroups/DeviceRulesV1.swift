#if canImport(Glibc)
import Glibc
#endif
import Spec

extension DeviceRules {
    /// Brings a v1 devices cgroup directory to the state the rules describe. Safe on a cgroup
    /// that already has rules (update): when both states are allowlists only the differences
    /// are written, allows first, so a running container never loses a device it keeps.
    /// Otherwise the cgroup is reset with "a" and its exceptions written after it.
    public static func applyV1(directory: String, rules: [LinuxDeviceCgroup]) throws(RuntimeError) {
        let target = try V1DeviceState(rules: try DeviceRule.parse(rules))
        let listPath = directory + "/devices.list"
        let current = V1DeviceState(list: try Sys.readString(listPath))
        // One open per file, not per rule: the kernel takes each write(2) as one rule.
        let writes = v1Writes(from: current, to: target)
        var fds: [Int32] = [-1, -1]  // devices.allow, devices.deny
        defer { for fd in fds where fd >= 0 { close(fd) } }
        for (i, file) in writes.files.enumerated() {
            let slot = file == "devices.allow" ? 0 : 1
            let path = directory + "/" + file
            if fds[slot] < 0 {
                fds[slot] = try Sys.check("open", "open \(path)") { open(path, O_WRONLY | O_CLOEXEC) }
            }
            try Sys.writeAll(fds[slot], Array(writes.lines[i].utf8), what: path)
        }
        // The kernel refuses (EPERM) what the parent cgroup denies, but check the result as a
        // whole: a container must never run with more devices than its config grants.
        let after = V1DeviceState(list: try Sys.readString(listPath))
        if after.defaultAllow != target.defaultAllow || (!target.defaultAllow && after.exceptions != target.exceptions) {
            throw RuntimeError("the devices cgroup \(directory) does not hold the configured rules after writing them",
                               jsonPath: "linux.resources.devices")
        }
    }

    /// The writes that turn `current` into `target`, in order: files[i] gets lines[i]. Two
    /// arrays, not one of (file, line) tuples, a type the runtime would build by name.
    struct V1Writes {
        var files: [String] = []
        var lines: [String] = []
        mutating func append(_ file: String, _ line: String) { files.append(file); lines.append(line) }
    }

    static func v1Writes(from current: V1DeviceState, to target: V1DeviceState) -> V1Writes {
        var writes = V1Writes()
        if !target.defaultAllow && !current.defaultAllow {
            for key in target.order {
                let missing = target.exceptions[key]! & ~(current.exceptions[key] ?? 0)
                if missing != 0 { writes.append("devices.allow", key.rule(allow: true, access: missing).v1Line) }
            }
            for key in current.order {
                let extra = current.exceptions[key]! & ~(target.exceptions[key] ?? 0)
                if extra != 0 { writes.append("devices.deny", key.rule(allow: false, access: extra).v1Line) }
            }
            return writes
        }
        // Exceptions of an allow-all cgroup are not listed, so they cannot be diffed.
        writes.append(target.defaultAllow ? "devices.allow" : "devices.deny", "a")
        let file = target.defaultAllow ? "devices.deny" : "devices.allow"
        for key in target.order {
            writes.append(file, key.rule(allow: !target.defaultAllow, access: target.exceptions[key]!).v1Line)
        }
        return writes
    }
}

/// A v1 devices cgroup as the kernel keeps it: a default (allow-all or deny-all) and a list of
/// exceptions, each for one exact (type, major, minor) with wildcards as written. A rule with
/// the default's sign removes access from the exception with exactly its key; one with the
/// other sign adds access to it.
struct V1DeviceState: Equatable {
    struct Key: Equatable {
        var type: Character
        var major: UInt32?
        var minor: UInt32?

        func rule(allow: Bool, access: UInt8) -> DeviceRule {
            DeviceRule(allow: allow, type: type, major: major, minor: minor, access: access)
        }
    }

    var defaultAllow = false
    var exceptions: DeviceExceptions = [:]
    /// Exceptions in the order they were first added (the order the kernel lists them in).
    var order: [Key] { exceptions.keys }

    /// The state the rules produce, starting from deny-all as runc does.
    init(rules: [DeviceRule]) throws(RuntimeError) {
        for r in rules { try apply(r) }
    }

    /// devices.list: "a *:* rwm" alone in an allow-all cgroup (its exceptions are not shown),
    /// the allowed exceptions otherwise.
    init(list: String) {
        for line in list.fields("\n") {
            let f = line.fields(" ")
            guard f.count == 3, let t = f[0].first else { continue }
            if t == "a" { defaultAllow = true; exceptions = [:]; return }
            let mm = f[1].fields(":", keepEmpty: true)
            guard mm.count == 2 else { continue }
            var access: UInt8 = 0
            for ch in f[2] {
                access |= ch == "r" ? DeviceRule.read : ch == "w" ? DeviceRule.write : ch == "m" ? DeviceRule.mknod : 0
            }
            add(Key(type: t, major: UInt32(mm[0]), minor: UInt32(mm[1])), access)
        }
    }

    private mutating func add(_ key: Key, _ access: UInt8) {
        exceptions[key] = (exceptions[key] ?? 0) | access
    }

    mutating func apply(_ r: DeviceRule) throws(RuntimeError) {
        guard let type = r.type else {
            defaultAllow = r.allow; exceptions = [:]
            return
        }
        let key = Key(type: type, major: r.major, minor: r.minor)
        if r.allow != defaultAllow { add(key, r.access); return }
        // The kernel only subtracts from the exception with this exact key and ignores a wider
        // one silently; refuse instead of pretending the rule took effect (as runc does).
        for wider in [Key(type: type, major: nil, minor: r.minor), Key(type: type, major: r.major, minor: nil),
                      Key(type: type, major: nil, minor: nil)] where wider != key {
            if let acc = exceptions[wider], acc & r.access != 0 {
                throw RuntimeError.config("linux.resources.devices",
                    "rule \"\(r.v1Line)\" (\(r.allow ? "allow" : "deny")) cannot be applied by the v1 devices cgroup: "
                    + "it would punch a hole in the wider rule \"\(wider.rule(allow: !r.allow, access: acc).v1Line)\"")
            }
        }
        if let acc = exceptions[key] {
            let left = acc & ~r.access
            exceptions[key] = left == 0 ? nil : left
        }
    }
}

/// A v1 devices cgroup's exceptions in the order they were added, compared as a set. A few
/// dozen entries at most, so an array: a Dictionary keyed by Key made every create pay a
/// runtime conformance lookup for Key: Hashable (bench/README.md).
struct DeviceExceptions: Equatable, ExpressibleByDictionaryLiteral {
    private(set) var keys: [V1DeviceState.Key] = []
    private var values: [UInt8] = []

    init(dictionaryLiteral elements: (V1DeviceState.Key, UInt8)...) {
        for (k, v) in elements { self[k] = v }
    }

    subscript(key: V1DeviceState.Key) -> UInt8? {
        get { keys.firstIndex(of: key).map { values[$0] } }
        set {
            if let i = keys.firstIndex(of: key) {
                if let v = newValue { values[i] = v } else { keys.remove(at: i); values.remove(at: i) }
            } else if let v = newValue {
                keys.append(key); values.append(v)
            }
        }
    }

    static func == (a: DeviceExceptions, b: DeviceExceptions) -> Bool {
        a.keys.count == b.keys.count && a.keys.allSatisfy { a[$0] == b[$0] }
    }
}
