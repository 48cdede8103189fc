#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Checks a decoded config before the runtime acts on it, so a bad value is reported by
/// its JSON path instead of surfacing later as a failed syscall in the container's init.
/// The first problem found is thrown; checks run roughly in document order.
extension Spec {
    public func validate(bundle: String) throws(RuntimeError) {
        try validateVersion()
        try validateRoot(bundle: bundle)
        try validateProcess()
        // Namespaces first: the hostname and mapping rules below depend on them.
        try validateNamespaces()
        try validateHostNames()
        try refuseHostSysctls()
        try validateNetDevices()
        try validateMounts()
        try refuseMountsOverProc()
        try validateHooks()
        try validateIDMappings()
        try validateIdmappedMountsNeedMappings()
        try validateLinuxDevices()
        try validateLinuxMisc()
        try validateSeccomp()
        try linux?.resources?.refuseUnifiedOutsideLimits(path: "linux.resources")
    }

    func validateVersion() throws(RuntimeError) {
        guard let major = Spec.semverMajor(ociVersion) else {
            throw RuntimeError.config("ociVersion",
                "\"\(ociVersion)\" is not a semantic version (MAJOR.MINOR.PATCH)")
        }
        guard major == "1" else {
            throw RuntimeError.config("ociVersion",
                "version \"\(ociVersion)\" is not supported (this runtime implements 1.x)")
        }
    }

    /// SemVer 2.0.0: three numeric parts without leading zeros, then optional
    /// `-prerelease` and `+build` made of dot-separated [0-9A-Za-z-] identifiers.
    /// A scan of the UTF-8 bytes: Character-wise splitting, or even an array of byte slices,
    /// would fault in parts of libswiftCore for this one field on every create
    /// (bench/README.md, "The standard library's text").
    static func semverMajor(_ version: String) -> String? {
        let b = Array(version.utf8)
        let dot = UInt8(ascii: "."), zero = UInt8(ascii: "0")
        func isDigit(_ c: UInt8) -> Bool { c >= zero && c <= UInt8(ascii: "9") }
        func isIdentifier(_ c: UInt8) -> Bool {
            isDigit(c) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) || c == UInt8(ascii: "-")
        }
        /// b[from..<to] is dot-separated non-empty identifiers (numeric ones without leading
        /// zeros); returns how many, or nil.
        func identifiers(_ from: Int, _ to: Int, numeric: Bool) -> Int? {
            var start = from, count = 0
            for i in from...to {
                if i == to || b[i] == dot {
                    guard i > start, !numeric || i - start == 1 || b[start] != zero else { return nil }
                    count += 1
                    start = i + 1
                } else if !(numeric ? isDigit(b[i]) : isIdentifier(b[i])) {
                    return nil
                }
            }
            return count
        }
        let plus = b.firstIndex(of: UInt8(ascii: "+")) ?? b.count
        var dash = plus
        for i in 0..<plus where b[i] == UInt8(ascii: "-") {
            dash = i
            break
        }
        guard identifiers(0, dash, numeric: true) == 3,
              dash == plus || identifiers(dash + 1, plus, numeric: false) != nil,
              plus == b.count || identifiers(plus + 1, b.count, numeric: false) != nil,
              let firstDot = b.firstIndex(of: dot) else { return nil }
        return String(decoding: b[..<firstDot], as: UTF8.self)
    }

    func validateRoot(bundle: String) throws(RuntimeError) {
        guard let root else { throw RuntimeError.config("root", "required") }
        guard !root.path.isEmpty else { throw RuntimeError.config("root.path", "must not be empty") }
        let full = Spec.bundlePath(bundle, root.path)
        var st = stat()
        if stat(full, &st) != 0 {
            let e = errno
            throw RuntimeError(
                "cannot use \"\(root.path)\" as the root filesystem (\(full))",
                jsonPath: "root.path", syscall: "stat", errno: e)
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw RuntimeError.config("root.path", "\(full) is not a directory")
        }
    }

    func validateProcess() throws(RuntimeError) {
        guard let process else { throw RuntimeError.config("process", "required") }
        guard let args = process.args, !args.isEmpty else {
            throw RuntimeError.config("process.args", "must contain at least the program to run")
        }
        guard process.cwd.hasPrefix("/") else {
            throw RuntimeError.config("process.cwd", "must be an absolute path, got \"\(process.cwd)\"")
        }
        if let umask = process.user?.umask, umask > 0o777 {
            throw RuntimeError.config("process.user.umask", "\(umask) is out of range (0 to 0777)")
        }
        try validateRlimits(process.rlimits ?? [])
        _ = try CPUAffinityRules.check(process.execCPUAffinity)
        if let policy = process.scheduler?.policy, !Spec.schedulerPolicies.contains(policy) {
            throw RuntimeError.config("process.scheduler.policy",
                "unknown policy " + Spec.quotedChoice(policy, Spec.schedulerPolicies))
        }
        try process.scheduler?.checkRanges()
        if let io = process.ioPriority {
            guard Spec.ioPriorityClasses.contains(io.class) else {
                throw RuntimeError.config("process.ioPriority.class",
                    "unknown class " + Spec.quotedChoice(io.class, Spec.ioPriorityClasses))
            }
            guard (0...7).contains(io.priority) else {
                throw RuntimeError.config("process.ioPriority.priority", "\(io.priority) is out of range (0 to 7)")
            }
        }
    }

    func validateRlimits(_ rlimits: [POSIXRlimit]) throws(RuntimeError) {
        // An array, not a [String: Int]: a handful of entries, and one generic type fewer for
        // the runtime to instantiate on every create.
        var seen: [String] = []
        for (i, rl) in rlimits.enumerated() {
            let path = "process.rlimits[\(i)]"
            guard Spec.rlimitNumber(rl.type) != nil else {
                throw RuntimeError.config(path + ".type", "unknown rlimit \"\(rl.type)\"")
            }
            if let first = seen.firstIndex(of: rl.type) {
                throw RuntimeError.config(path + ".type",
                    "duplicate rlimit \"\(rl.type)\" (also at process.rlimits[\(first)])")
            }
            seen.append(rl.type)
            guard rl.soft <= rl.hard else {
                throw RuntimeError.config(path + ".soft",
                    "soft limit \(rl.soft) is greater than the hard limit \(rl.hard)")
            }
        }
    }

    /// Setting the hostname in the runtime's own UTS namespace would rename the host.
    func validateHostNames() throws(RuntimeError) {
        // Two plain checks, not a loop over [(String, String?)]: an array of tuples is a
        // generic type the runtime instantiates by name on every create.
        guard namespace("uts") == nil else { return }
        if let h = hostname, !h.isEmpty {
            throw RuntimeError.config("hostname", "requires a uts namespace in linux.namespaces")
        }
        if let d = domainname, !d.isEmpty {
            throw RuntimeError.config("domainname", "requires a uts namespace in linux.namespaces")
        }
    }

    func validateMounts() throws(RuntimeError) {
        for (i, m) in (mounts ?? []).enumerated() {
            if !m.destination.hasPrefix("/") {
                throw RuntimeError.config("mounts[\(i)].destination",
                    "must be an absolute path, got \"\(m.destination)\"")
            }
            try Spec.validateIdmappedMount(m, path: "mounts[\(i)]")
        }
    }

    /// Idmapped mounts (config.md): bind mounts only here; uidMappings and gidMappings come
    /// together; `idmap`/`ridmap` without them take the container's own user namespace
    /// mappings, so one is needed then.
    static func validateIdmappedMount(_ m: Mount, path: String) throws(RuntimeError) {
        let opts = m.options ?? []
        let asked = opts.contains("idmap") || opts.contains("ridmap")
        guard asked || m.uidMappings != nil || m.gidMappings != nil else { return }
        if (m.uidMappings == nil) != (m.gidMappings == nil) {
            throw RuntimeError.config(path + (m.uidMappings == nil ? ".uidMappings" : ".gidMappings"),
                "required with \(m.uidMappings == nil ? "gidMappings" : "uidMappings") (an idmapped mount maps both)")
        }
        let bind = m.type == "bind" || opts.contains("bind") || opts.contains("rbind")
        if !bind {
            throw RuntimeError.config(path + ".options", "idmapped mounts are supported for bind mounts only here")
        }
        for (key, maps) in [("uidMappings", m.uidMappings), ("gidMappings", m.gidMappings)] {
            guard let maps else { continue }
            if maps.isEmpty { throw RuntimeError.config(path + "." + key, "must not be empty") }
            for (i, e) in maps.enumerated() where e.size == 0 {
                throw RuntimeError.config(path + ".\(key)[\(i)].size", "must be greater than zero")
            }
        }
    }

    func validateIdmappedMountsNeedMappings() throws(RuntimeError) {
        for (i, m) in (mounts ?? []).enumerated() where m.uidMappings == nil {
            let opts = m.options ?? []
            guard opts.contains("idmap") || opts.contains("ridmap") else { continue }
            if linux?.uidMappings?.isEmpty ?? true || linux?.gidMappings?.isEmpty ?? true {
                throw RuntimeError.config("mounts[\(i)].options",
                    "idmap without uidMappings/gidMappings takes the container's user namespace mappings, and it has none")
            }
        }
    }

    func validateHooks() throws(RuntimeError) {
        guard let hooks else { return }
        let lists: [(String, [Hook]?)] = [
            ("prestart", hooks.prestart), ("createRuntime", hooks.createRuntime),
            ("createContainer", hooks.createContainer), ("startContainer", hooks.startContainer),
            ("poststart", hooks.poststart), ("poststop", hooks.poststop),
        ]
        for (name, list) in lists {
            for (i, hook) in (list ?? []).enumerated() {
                let path = "hooks.\(name)[\(i)]"
                guard hook.path.hasPrefix("/") else {
                    throw RuntimeError.config(path + ".path", "must be an absolute path, got \"\(hook.path)\"")
                }
                if let t = hook.timeout, t <= 0 {
                    throw RuntimeError.config(path + ".timeout", "must be greater than zero, got \(t)")
                }
            }
        }
    }
}

extension Scheduler {
    /// The kernel's ranges (sched(7)): nice -20 to 19, a static priority of 0 to 99. Checked
    /// here so that no value reaches sched_setattr's unsigned fields by a trapping conversion.
    public func checkRanges() throws(RuntimeError) {
        if let n = nice, !(-20...19).contains(n) {
            throw RuntimeError.config("process.scheduler.nice", "\(n) is out of range (-20 to 19)")
        }
        // Real-time policies take 1 to 99, the others only 0 (sched_setattr's EINVAL otherwise).
        let realTime = policy == "SCHED_FIFO" || policy == "SCHED_RR"
        if let p = priority, !(realTime ? 1...99 : 0...0).contains(p) {
            throw RuntimeError.config("process.scheduler.priority",
                                      "\(p) is out of range (\(realTime ? "1 to 99" : "0") for \(policy))")
        }
    }
}
