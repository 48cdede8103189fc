#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import CSyscalls
import Spec

/// linux.seccomp through libseccomp (the only hand-written BPF is runc's ENOSYS stub put in
/// front of libseccomp's program), in two steps as in runc:
///
/// - `prepare` (stage 2, before `create` reports ready) translates the whole profile into a
///   libseccomp context, so every config error fails `create` with its JSON path;
/// - `load` (after `start`, in `finishProcess`) installs it: last before exec with
///   noNewPrivileges, before the user switch without it (installing then needs CAP_SYS_ADMIN).
///
/// Translation follows runc's libcontainer/seccomp/seccomp_linux.go: SCMP_ACT_ERRNO and
/// SCMP_ACT_TRACE default to EPERM; a rule whose action equals the default action is skipped
/// (libseccomp rejects it); a syscall name this architecture's libseccomp does not know is
/// skipped with a warning; the args of a rule are ANDed in one rule unless two of them test
/// the same argument, then each becomes its own rule (ORed); no flags at all means
/// SECCOMP_FILTER_FLAG_SPEC_ALLOW when libseccomp supports it; NO_NEW_PRIVS is never set by
/// libseccomp (process.noNewPrivileges decides). With a default action that denies, the
/// program libseccomp generates gets runc's ENOSYS stub in front (SeccompEnosys) and is loaded
/// with seccomp(2) and the flags libseccomp would have used.
final class SeccompFilter {
    private(set) var ctx: scmp_filter_ctx?
    /// libseccomp's program behind the ENOSYS stub, built in `prepare`; nil: seccomp_load.
    private(set) var patched: [SockFilter]?
    /// SECCOMP_FILTER_FLAG_* for `patched`.
    private(set) var kernelFlags: UInt32 = 0
    /// Syscall names skipped because libseccomp does not know them on this architecture.
    private(set) var warnings: [String] = []
    /// With SCMP_ACT_NOTIFY rules: where the notify fd goes after load.
    private(set) var listener: SeccompListener?

    private init(ctx: scmp_filter_ctx) { self.ctx = ctx }

    deinit { if let ctx { seccomp_release(ctx) } }

    /// The container as the notify listener is told about it (`container`), and where
    /// warnings go (by default Log.warn; the init and exec forward them over the sync socket).
    static func prepare(_ config: LinuxSeccomp?, container: SeccompContainer? = nil, listener: SeccompListener? = nil,
                        warn: (String) -> Void = { Log.warn($0) }) throws(RuntimeError) -> SeccompFilter? {
        guard let config else { return nil }
        let base = "linux.seccomp"
        let defaultAction = try SeccompNames.action(config.defaultAction, errnoRet: config.defaultErrnoRet,
                                                    path: base + ".defaultAction", errnoPath: base + ".defaultErrnoRet")
        let rules = try translateRules(config, defaultAction: defaultAction)
        try checkNotify(config)

        guard let ctx = seccomp_init(defaultAction) else {
            throw RuntimeError("create the seccomp filter (seccomp_init failed)", jsonPath: base + ".defaultAction")
        }
        let filter = SeccompFilter(ctx: ctx)
        var architectures = [seccomp_arch_native()]
        for (i, arch) in (config.architectures ?? []).enumerated() {
            let path = base + ".architectures[\(i)]"
            let token = try SeccompNames.architecture(arch, path: path)
            architectures.append(token)
            let rc = seccomp_arch_add(ctx, token)
            if rc < 0 && rc != -EEXIST {  // the native architecture is already there
                throw RuntimeError.sys("seccomp_arch_add", "add architecture \(arch)", errno: -rc, jsonPath: path)
            }
        }
        try filter.setFlags(config.flags)
        // libseccomp's binary tree for long profiles, with runc's threshold (0 rules misbehave
        // in libseccomp <= 2.5.4). Not fatal: older libseccomp lacks it.
        if rules.count > 32 { _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) }
        // We set no_new_privs ourselves, when process.noNewPrivileges asks for it.
        try filter.attr(SCMP_FLTATR_CTL_NNP, 0, "disable libseccomp's no_new_privs", path: base)

        for rule in rules where rule.action != defaultAction {
            let nr = seccomp_syscall_resolve_name(rule.name)
            if nr == -1 {  // __NR_SCMP_ERROR
                let w = "\(rule.path).names[\(rule.nameIndex)]: unknown syscall \"\(rule.name)\" on this architecture: rule skipped"
                filter.warnings.append(w)
                warn(w)
                continue
            }
            try filter.add(rule, nr: nr)
        }
        if let path = config.listenerPath, rules.contains(where: { $0.action == SCMP_ACT_NOTIFY }) {
            if let listener { filter.listener = listener }
            else { filter.listener = try SeccompListener(path: path, config: config, container: container) }
        }
        if SeccompEnosys.applies(defaultAction: defaultAction) {
            try filter.patchForENOSYS(architectures: architectures, names: rules.map { $0.name })
        }
        return filter
    }

    /// runc's ENOSYS stub in front of libseccomp's program, built here rather than at load:
    /// a filter the kernel would refuse fails `create`, not the start of the program.
    private func patchForENOSYS(architectures: [UInt32], names: [String]) throws(RuntimeError) {
        let stub = SeccompEnosys.stub(SeccompEnosys.limits(architectures: architectures, names: names))
        if stub.isEmpty { return }
        patched = try SeccompEnosys.patch(try exportBPF(), stub: stub)
        kernelFlags = loadFlags()
    }

    // linux/seccomp.h
    static let flagTSync: UInt32 = 1 << 0
    static let flagLog: UInt32 = 1 << 1
    static let flagSpecAllow: UInt32 = 1 << 2
    static let flagNewListener: UInt32 = 1 << 3
    static let flagTSyncESRCH: UInt32 = 1 << 4
    static let flagWaitKillableRecv: UInt32 = 1 << 5

    /// The flags libseccomp's seccomp_load would pass (sys_filter_load), from the attributes
    /// `setFlags` set. runc's patchbpf drops TSYNC; it is kept here as libseccomp would, and
    /// changes nothing in the single-threaded init.
    private func loadFlags() -> UInt32 {
        func on(_ attr: scmp_filter_attr) -> Bool {
            var value: UInt32 = 0
            return seccomp_attr_get(ctx, attr, &value) == 0 && value != 0
        }
        var flags: UInt32 = 0
        if on(SCMP_FLTATR_CTL_TSYNC) {
            flags |= Self.flagTSync
            // The kernel refuses TSYNC with NEW_LISTENER unless a failed sync reports ESRCH:
            // TSYNC's own report, a thread id, would be taken for the listener's fd.
            if listener != nil { flags |= Self.flagTSyncESRCH }
        }
        if on(SCMP_FLTATR_CTL_LOG) { flags |= Self.flagLog }
        if on(SCMP_FLTATR_CTL_SSB) { flags |= Self.flagSpecAllow }
        if on(SeccompNames.attrWaitKill) { flags |= Self.flagWaitKillableRecv }
        if listener != nil { flags |= Self.flagNewListener }
        return flags
    }

    /// Installs the filter, then hands the notify fd (if any) to the listener.
    func load() throws(RuntimeError) {
        guard let ctx else { return }
        var notifyFd: Int32 = -1
        if let patched {
            let bytes = SockFilter.encode(patched)
            // patch() kept the count within BPF_MAXINSNS.
            let rc = bytes.withUnsafeBytes { sw_seccomp_set_filter(kernelFlags, $0.baseAddress, UInt16(truncatingIfNeeded: patched.count)) }
            if rc < 0 {
                let e = errno
                try Self.loadFailed(e)
            }
            notifyFd = rc
        } else {
            let rc = seccomp_load(ctx)
            if rc < 0 { try Self.loadFailed(-rc) }
            if listener != nil {
                notifyFd = seccomp_notify_fd(ctx)
                if notifyFd < 0 {
                    throw RuntimeError.sys("seccomp_notify_fd", "get the seccomp notify fd", errno: -notifyFd,
                                           jsonPath: "linux.seccomp.listenerPath")
                }
            }
        }
        if let listener {
            defer { close(notifyFd) }
            try listener.send(notifyFd)
        }
        seccomp_release(ctx)
        self.ctx = nil
    }

    private static func loadFailed(_ e: Int32) throws(RuntimeError) -> Never {
        throw RuntimeError.sys("seccomp", "load the seccomp filter", errno: e, jsonPath: "linux.seccomp",
                               hint: e == EACCES ? "without process.noNewPrivileges the filter needs CAP_SYS_ADMIN" : nil)
    }

    /// libseccomp's pseudo filter code: what the filter does, readable (tests, debugging).
    func exportPFC() throws(RuntimeError) -> String {
        String(decoding: try export("seccomp_export_pfc", "export the seccomp filter") { seccomp_export_pfc(ctx, $0) },
               as: UTF8.self)
    }

    /// The program libseccomp would load.
    func exportBPF() throws(RuntimeError) -> [SockFilter] {
        try SockFilter.decode(export("seccomp_export_bpf", "export the seccomp filter as BPF") { seccomp_export_bpf(ctx, $0) })
    }

    /// What libseccomp writes to an fd, through a memfd: `exec` prepares its filter inside the
    /// container, where no writable directory can be counted on.
    private func export(_ call: String, _ what: String, _ body: (Int32) -> Int32) throws(RuntimeError) -> [UInt8] {
        guard ctx != nil else { throw RuntimeError("the seccomp filter is already loaded") }
        let fd = try Sys.check("memfd_create", what) { sw_memfd_create("swrun-seccomp", 1 /* MFD_CLOEXEC */) }
        defer { close(fd) }
        let rc = body(fd)
        if rc < 0 { throw RuntimeError.sys(call, what, errno: -rc) }
        lseek(fd, 0, SEEK_SET)
        return try Sys.readAll(fd, what: what)
    }

    // MARK: - translation

    /// One syscall name of one `syscalls` entry, translated.
    struct Rule {
        var name: String
        var action: UInt32
        var conditions: [scmp_arg_cmp]
        /// linux.seccomp.syscalls[i]
        var path: String
        var nameIndex: Int
    }

    /// Every entry checked and translated before libseccomp sees any: a bad name anywhere
    /// fails with its path even when its rule would be skipped.
    static func translateRules(_ config: LinuxSeccomp, defaultAction: UInt32) throws(RuntimeError) -> [Rule] {
        var rules: [Rule] = []
        for (i, sc) in (config.syscalls ?? []).enumerated() {
            let path = "linux.seccomp.syscalls[\(i)]"
            guard !sc.names.isEmpty else {
                throw RuntimeError.config(path + ".names", "must name at least one syscall")
            }
            let action = try SeccompNames.action(sc.action, errnoRet: sc.errnoRet,
                                                 path: path + ".action", errnoPath: path + ".errnoRet")
            var conditions: [scmp_arg_cmp] = []
            for (j, arg) in (sc.args ?? []).enumerated() {
                conditions.append(try SeccompNames.condition(arg, path: path + ".args[\(j)]"))
            }
            for (j, name) in sc.names.enumerated() {
                guard !name.isEmpty else {
                    throw RuntimeError.config(path + ".names[\(j)]", "empty syscall name")
                }
                rules.append(Rule(name: name, action: action, conditions: conditions, path: path, nameIndex: j))
            }
        }
        return rules
    }

    /// SCMP_ACT_NOTIFY needs somewhere to send the fd, and must not catch the calls the init
    /// makes to send it (runc forbids it on `write` for the same reason).
    static func checkNotify(_ config: LinuxSeccomp) throws(RuntimeError) {
        let base = "linux.seccomp"
        if config.defaultAction == "SCMP_ACT_NOTIFY" {
            throw RuntimeError.config(base + ".defaultAction",
                                      "SCMP_ACT_NOTIFY cannot be the default action (the init could not hand over the notify fd)")
        }
        var uses = false
        for (i, sc) in (config.syscalls ?? []).enumerated() where sc.action == "SCMP_ACT_NOTIFY" {
            uses = true
            if let j = sc.names.firstIndex(of: "sendmsg") {
                throw RuntimeError.config("\(base).syscalls[\(i)].names[\(j)]",
                                          "SCMP_ACT_NOTIFY cannot be used for sendmsg: the init sends the notify fd with it")
            }
        }
        if uses && (config.listenerPath ?? "").isEmpty {
            throw RuntimeError.config(base + ".listenerPath", "required when a rule uses SCMP_ACT_NOTIFY")
        }
    }

    private func setFlags(_ flags: [String]?) throws(RuntimeError) {
        guard let flags else {
            // runc's default when the config sets no flags (not even []): spec_store_bypass
            // mitigation off, if libseccomp can (API level 4).
            if seccomp_api_get() >= 4 { _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1) }
            return
        }
        for (i, flag) in flags.enumerated() {
            let path = "linux.seccomp.flags[\(i)]"
            let attr = try SeccompNames.flagAttribute(flag, path: path)
            let rc = seccomp_attr_set(ctx, attr, 1)
            if rc < 0 {
                throw RuntimeError.config(path, "\(flag) is not supported by libseccomp \(SeccompNames.libraryVersion) "
                                          + "(API level \(seccomp_api_get())) or this kernel")
            }
        }
    }

    private func attr(_ a: scmp_filter_attr, _ value: UInt32, _ what: String, path: String) throws(RuntimeError) {
        let rc = seccomp_attr_set(ctx, a, value)
        if rc < 0 { throw RuntimeError.sys("seccomp_attr_set", what, errno: -rc, jsonPath: path) }
    }

    /// runc's matchCall: all conditions in one rule (AND), unless two test the same argument;
    /// then one rule per condition (OR), runc's "old behavior".
    private func add(_ rule: Rule, nr: Int32) throws(RuntimeError) {
        var counts = [Int](repeating: 0, count: 6)
        for c in rule.conditions { counts[Int(c.arg)] += 1 }
        let groups: [[scmp_arg_cmp]] = counts.contains(where: { $0 > 1 })
            ? rule.conditions.map { [$0] } : [rule.conditions]
        for group in groups {
            let rc = group.withUnsafeBufferPointer {
                seccomp_rule_add_array(ctx, rule.action, nr, UInt32($0.count), $0.baseAddress)
            }
            if rc < 0 {
                throw RuntimeError.sys("seccomp_rule_add", "add the seccomp rule for \(rule.name)", errno: -rc,
                                       jsonPath: rule.path)
            }
        }
    }
}
