/// Namespace rules: which namespaces exist decides what else in the config is legal
/// (mappings need a user namespace, time offsets a time namespace).
extension Spec {
    func validateNamespaces() throws(RuntimeError) {
        var seen: [String] = []  // indexed like linux.namespaces: no String-keyed dictionary
        for (i, ns) in (linux?.namespaces ?? []).enumerated() {
            let path = "linux.namespaces[\(i)]"
            guard Spec.namespaceTypes.contains(ns.type) else {
                throw RuntimeError.config(path + ".type", "unknown namespace type \"\(ns.type)\"")
            }
            if let first = seen.firstIndex(of: ns.type) {
                throw RuntimeError.config(path + ".type",
                    "duplicate namespace type \"\(ns.type)\" (also at linux.namespaces[\(first)])")
            }
            seen.append(ns.type)
            if let p = ns.path, !p.hasPrefix("/") {
                throw RuntimeError.config(path + ".path", "must be an absolute path, got \"\(p)\"")
            }
        }
        if let offsets = linux?.timeOffsets {
            guard namespace("time") != nil else {
                throw RuntimeError.config("linux.timeOffsets", "requires a time namespace in linux.namespaces")
            }
            for (clock, offset) in offsets.sorted(by: { $0.key < $1.key }) {
                let path = JSONPath.key("linux.timeOffsets", clock)
                guard Spec.timeNamespaceClocks.contains(clock) else {
                    throw RuntimeError.config(path, "unknown clock " + Spec.quotedChoice(clock, Spec.timeNamespaceClocks))
                }
                if let ns = offset.nanosecs, ns >= 1_000_000_000 {
                    throw RuntimeError.config(path + ".nanosecs", "\(ns) is not below 1000000000")
                }
            }
        }
    }

    func validateIDMappings() throws(RuntimeError) {
        let userNS = linux?.namespaces?.firstIndex { $0.type == "user" }
        try validateIDMappings("uidMappings", linux?.uidMappings, userNS: userNS)
        try validateIDMappings("gidMappings", linux?.gidMappings, userNS: userNS)
    }

    private func validateIDMappings(_ key: String, _ maps: [LinuxIDMapping]?, userNS: Int?) throws(RuntimeError) {
        let path = "linux." + key
        if let maps, !maps.isEmpty {
            guard userNS != nil else {
                throw RuntimeError.config(path, "requires a user namespace in linux.namespaces")
            }
            for (i, m) in maps.enumerated() where m.size == 0 {
                throw RuntimeError.config(path + "[\(i)].size", "must be greater than zero")
            }
        } else if let i = userNS, linux?.namespaces?[i].path == nil {
            // A new user namespace without mappings leaves every id unmapped (nobody),
            // and the runtime could not even set up the container's root.
            throw RuntimeError.config(path,
                "required when creating a user namespace (linux.namespaces[\(i)] has no path)")
        }
    }
}
