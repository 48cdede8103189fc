import Spec

/// The device allowlist (DeviceRules.effective) as systemd's DevicePolicy/DeviceAllow, derived
/// as runc derives them: the rules folded in order into one allow list, since systemd cannot
/// express deny rules.
enum SystemdDeviceAllow {
    struct Entry: Equatable {
        var path: String
        var perms: String
    }

    static func properties(_ rules: [LinuxDeviceCgroup]) throws(RuntimeError) -> [SystemdProperty] {
        var set = DeviceRuleSet()
        for r in try DeviceRule.parse(rules) { try set.apply(r) }
        return entries(set)
    }

    static func entries(_ set: DeviceRuleSet) -> [SystemdProperty] {
        let reset = SystemdProperty("DeviceAllow", .deviceAllow([]))
        if set.defaultAllow {
            if set.rules.isEmpty { return [reset, SystemdProperty("DevicePolicy", .string("auto"))] }
            Log.warn("systemd cannot express device deny rules on top of allow-all: no device is allowed")
            return [reset, SystemdProperty("DevicePolicy", .string("strict"))]
        }
        var list: [Entry] = []
        for (key, access) in set.ordered() {
            let group = key.type == "b" ? "block-" : "char-"
            let path: String
            switch (key.major, key.minor) {
            case (nil, nil): path = group + "*"
            case (nil, let minor?):
                Log.warn("systemd cannot express the device rule \(key.type) *:\(minor): ignored")
                continue
            case (let major?, nil): path = group + String(major)
            case (let major?, let minor?):
                path = (key.type == "b" ? "/dev/block/" : "/dev/char/") + "\(major):\(minor)"
            }
            list.append(Entry(path: path, perms: DeviceRuleSet.text(access)))
        }
        return [reset, SystemdProperty("DevicePolicy", .string("strict")), SystemdProperty("DeviceAllow", .deviceAllow(list))]
    }
}

/// The device cgroup's semantics, folded: a default (allow or deny all) and exceptions, as the
/// v1 devices controller keeps them. An "a" rule resets everything.
struct DeviceRuleSet {
    struct Key: Hashable {
        var type: Character
        /// nil: any.
        var major: UInt32?
        var minor: UInt32?
    }

    var defaultAllow = false
    var rules: [Key: UInt8] = [:]

    mutating func apply(_ r: DeviceRule) throws(RuntimeError) {
        guard let type = r.type else {
            self = DeviceRuleSet(defaultAllow: r.allow, rules: [:])
            return
        }
        let key = Key(type: type, major: r.major, minor: r.minor)
        // An exception in the direction of the default removes one; otherwise it adds one.
        if r.allow != defaultAllow {
            rules[key, default: 0] |= r.access
        } else {
            try remove(key, r.access)
        }
    }

    private mutating func remove(_ key: Key, _ access: UInt8) throws(RuntimeError) {
        // The kernel silently ignores a hole punched in a wildcard exception; refusing is safer.
        let wider = [Key(type: key.type, major: nil, minor: key.minor), Key(type: key.type, major: key.major, minor: nil),
                     Key(type: key.type, major: nil, minor: nil)]
        for w in wider where w != key {
            if let held = rules[w], held & access != 0 {
                throw RuntimeError.config("linux.resources.devices",
                    "the rule \(Self.describe(key, access)) cannot be carved out of the wider rule \(Self.describe(w, held))")
            }
        }
        let left = (rules[key] ?? 0) & ~access
        rules[key] = left == 0 ? nil : left
    }

    /// By major, minor, then type, wildcards first (runc's order).
    func ordered() -> [(Key, UInt8)] {
        func n(_ v: UInt32?) -> Int64 { v.map(Int64.init) ?? -1 }
        return rules.sorted { a, b in
            (n(a.key.major), n(a.key.minor), a.key.type) < (n(b.key.major), n(b.key.minor), b.key.type)
        }.map { ($0.key, $0.value) }
    }

    static func text(_ access: UInt8) -> String {
        (access & DeviceRule.read != 0 ? "r" : "") + (access & DeviceRule.write != 0 ? "w" : "")
            + (access & DeviceRule.mknod != 0 ? "m" : "")
    }

    static func describe(_ k: Key, _ access: UInt8) -> String {
        "\(k.type) \(k.major.map(String.init) ?? "*"):\(k.minor.map(String.init) ?? "*") \(text(access))"
    }
}
