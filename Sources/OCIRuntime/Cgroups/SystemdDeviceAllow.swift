import Spec

/// linux.resources.devices as systemd's DevicePolicy/DeviceAllow, derived as runc derives them:
/// the config's rules, then the devices every container may use, folded in order into one
/// allow list (systemd cannot express deny rules).
enum SystemdDeviceAllow {
    struct Entry: Equatable {
        var path: String
        var perms: String
    }

    /// A device cgroup rule reduced to what the fold needs; -1 is the wildcard.
    struct Rule {
        var allow: Bool
        /// "a", "b" or "c".
        var type: String
        var major: Int64
        var minor: Int64
        var perms: Set<Character>
    }

    /// runc's default allow list, appended after the config's rules. A linux.devices entry
    /// with the same path replaces the default one (runc drops the default's rule then).
    static let defaults: [(path: String?, rule: Rule)] = [
        (nil, Rule(allow: true, type: "c", major: -1, minor: -1, perms: ["m"])),
        (nil, Rule(allow: true, type: "b", major: -1, minor: -1, perms: ["m"])),
        ("/dev/null", Rule(allow: true, type: "c", major: 1, minor: 3, perms: ["r", "w", "m"])),
        ("/dev/random", Rule(allow: true, type: "c", major: 1, minor: 8, perms: ["r", "w", "m"])),
        ("/dev/full", Rule(allow: true, type: "c", major: 1, minor: 7, perms: ["r", "w", "m"])),
        ("/dev/tty", Rule(allow: true, type: "c", major: 5, minor: 0, perms: ["r", "w", "m"])),
        ("/dev/zero", Rule(allow: true, type: "c", major: 1, minor: 5, perms: ["r", "w", "m"])),
        ("/dev/urandom", Rule(allow: true, type: "c", major: 1, minor: 9, perms: ["r", "w", "m"])),
        (nil, Rule(allow: true, type: "c", major: 136, minor: -1, perms: ["r", "w", "m"])),
        (nil, Rule(allow: true, type: "c", major: 5, minor: 2, perms: ["r", "w", "m"])),
        (nil, Rule(allow: true, type: "c", major: 10, minor: 200, perms: ["r", "w", "m"])),
    ]

    static func properties(_ rules: [LinuxDeviceCgroup]?, devices: [LinuxDevice]?) throws(RuntimeError) -> [SystemdProperty] {
        var all: [Rule] = []
        for (i, r) in (rules ?? []).enumerated() {
            all.append(try rule(r, jsonPath: "linux.resources.devices[\(i)]"))
        }
        let given = Set((devices ?? []).map(\.path))
        all += defaults.filter { $0.path.map { !given.contains($0) } ?? true }.map(\.rule)
        var set = DeviceRuleSet()
        for r in all { try set.apply(r) }
        return entries(set)
    }

    static func rule(_ r: LinuxDeviceCgroup, jsonPath: String) throws(RuntimeError) -> Rule {
        let type = r.type ?? "a"
        guard ["a", "b", "c"].contains(type) else {
            throw RuntimeError.config(jsonPath + ".type", "must be \"a\", \"b\" or \"c\", got \"\(type)\"")
        }
        let access = r.access ?? ""
        guard !access.isEmpty, access.allSatisfy({ "rwm".contains($0) }) else {
            throw RuntimeError.config(jsonPath + ".access", "must be some of \"rwm\", got \"\(access)\"")
        }
        return Rule(allow: r.allow, type: type, major: r.major ?? -1, minor: r.minor ?? -1, perms: Set(access))
    }

    static func entries(_ set: DeviceRuleSet) -> [SystemdProperty] {
        let reset = SystemdProperty("DeviceAllow", .deviceAllow([]))
        if set.defaultAllow {
            if set.rules.isEmpty { return [reset, SystemdProperty("DevicePolicy", .string("auto"))] }
            Log.warn("systemd cannot express device deny rules on top of allow-all: no device is allowed")
            return [reset, SystemdProperty("DevicePolicy", .string("strict"))]
        }
        var list: [Entry] = []
        for (key, perms) in set.ordered() {
            let group = key.type == "b" ? "block-" : "char-"
            let path: String
            if key.major == -1 {
                guard key.minor == -1 else {
                    Log.warn("systemd cannot express the device rule \(key.type) *:\(key.minor): ignored")
                    continue
                }
                path = group + "*"
            } else if key.minor == -1 {
                path = group + String(key.major)
            } else {
                path = (key.type == "b" ? "/dev/block/" : "/dev/char/") + "\(key.major):\(key.minor)"
            }
            list.append(Entry(path: path, perms: DeviceRuleSet.text(perms)))
        }
        return [reset, SystemdProperty("DevicePolicy", .string("strict")), SystemdProperty("DeviceAllow", .deviceAllow(list))]
    }
}

/// The device cgroup's semantics, folded: a default (allow or deny all) and exceptions, as the
/// v1 devices controller keeps them. An "a" rule resets everything.
struct DeviceRuleSet {
    struct Key: Hashable {
        var type: String
        var major: Int64
        var minor: Int64
    }

    var defaultAllow = false
    var rules: [Key: Set<Character>] = [:]

    mutating func apply(_ r: SystemdDeviceAllow.Rule) throws(RuntimeError) {
        if r.type == "a" {
            self = DeviceRuleSet(defaultAllow: r.allow, rules: [:])
            return
        }
        let key = Key(type: r.type, major: r.major, minor: r.minor)
        // An exception in the direction of the default removes one; otherwise it adds one.
        if r.allow != defaultAllow {
            rules[key, default: []].formUnion(r.perms)
        } else {
            try remove(key, r.perms)
        }
    }

    private mutating func remove(_ key: Key, _ perms: Set<Character>) throws(RuntimeError) {
        // The kernel silently ignores a hole punched in a wildcard exception; refusing is safer.
        let wider = [Key(type: key.type, major: -1, minor: key.minor), Key(type: key.type, major: key.major, minor: -1),
                     Key(type: key.type, major: -1, minor: -1)]
        for w in wider where w != key {
            if let p = rules[w], !p.isDisjoint(with: perms) {
                throw RuntimeError.config("linux.resources.devices",
                    "the rule \(key.type) \(Self.number(key.major)):\(Self.number(key.minor)) \(Self.text(perms)) cannot be carved out of the wider rule \(w.type) \(Self.number(w.major)):\(Self.number(w.minor)) \(Self.text(p))")
            }
        }
        let left = (rules[key] ?? []).subtracting(perms)
        rules[key] = left.isEmpty ? nil : left
    }

    /// By major, minor, then type, wildcards first (runc's order).
    func ordered() -> [(Key, Set<Character>)] {
        rules.sorted { a, b in
            (a.key.major, a.key.minor, a.key.type) < (b.key.major, b.key.minor, b.key.type)
        }.map { ($0.key, $0.value) }
    }

    static func text(_ perms: Set<Character>) -> String { String("rwm".filter { perms.contains($0) }) }
    static func number(_ n: Int64) -> String { n == -1 ? "*" : String(n) }
}
