#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// process.capabilities: bounding set dropped before the user switch, then the effective,
/// permitted and inheritable sets with capset and the ambient set with prctl. Names this
/// kernel does not know are skipped with a warning (runc does the same).
struct Capabilities {
    static let PR_CAPBSET_READ: Int32 = 23, PR_CAPBSET_DROP: Int32 = 24
    static let PR_CAP_AMBIENT: Int32 = 47, PR_CAP_AMBIENT_RAISE: UInt = 2, PR_CAP_AMBIENT_CLEAR_ALL: UInt = 4

    var bounding = CapSet()
    var effective = CapSet()
    var permitted = CapSet()
    var inheritable = CapSet()
    var ambient = CapSet()
    var warnings: [String] = []

    /// Read once per process: the init builds the sets twice (the check before ready, the
    /// switch after start).
    static let last = lastCap()

    /// PR_CAPBSET_READ fails with EINVAL exactly above the kernel's last capability
    /// (cap_valid): a binary search of six prctl calls costs less than opening and parsing
    /// /proc/sys/kernel/cap_last_cap, which stays the fallback.
    static func lastCap() -> Int32 {
        if sw_prctl(PR_CAPBSET_READ, 0, 0, 0, 0) >= 0 {
            var lo: Int32 = 0, hi: Int32 = 63
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if sw_prctl(PR_CAPBSET_READ, UInt(mid), 0, 0, 0) >= 0 { lo = mid } else { hi = mid - 1 }
            }
            return lo
        }
        if let s = try? Sys.readString("/proc/sys/kernel/cap_last_cap"), let n = Int32(s.trimmingCharacters(in: " \n")) {
            return n
        }
        return 40
    }

    static func hasEffective(_ cap: Int32) -> Bool {
        var e: UInt64 = 0, p: UInt64 = 0, i: UInt64 = 0
        guard sw_capget(&e, &p, &i) == 0 else { return false }
        return CapSet(bits: e).contains(cap)
    }

    init(_ caps: LinuxCapabilities) {
        let last = Capabilities.last
        func set(_ names: [String]?, _ field: String) -> CapSet {
            var out = CapSet()
            for name in names ?? [] {
                if let n = Spec.capabilityNumber(name), n <= last { out.insert(n) }
                else { warnings.append("process.capabilities.\(field): unknown capability \"\(name)\", ignored") }
            }
            return out
        }
        bounding = set(caps.bounding, "bounding")
        effective = set(caps.effective, "effective")
        permitted = set(caps.permitted, "permitted")
        inheritable = set(caps.inheritable, "inheritable")
        ambient = set(caps.ambient, "ambient")
    }

    /// Before `create` reports ready. capset can only keep what swrun itself holds: a
    /// capability the host (or an engine above swrun) took away, such as CAP_SYS_RESOURCE on
    /// these hosts under `docker run --privileged`, would otherwise fail only after `start`,
    /// in a container the engine already reported as started.
    func checkHeld() throws(RuntimeError) {
        var e: UInt64 = 0, p: UInt64 = 0, i: UInt64 = 0
        guard sw_capget(&e, &p, &i) == 0 else { return }
        try Capabilities.checkHeld(permitted, "permitted", held: CapSet(bits: p))
        try Capabilities.checkHeld(effective, "effective", held: CapSet(bits: p))
        // capset refuses an effective set that is not within the permitted one (EPERM after
        // `start`, in a container already reported created): said now, naming the field.
        let stray = effective.members.filter { !permitted.contains($0) }
        if !stray.isEmpty {
            let names = stray.map(Capabilities.name)
            throw RuntimeError("\(names.joined(separator: ", ")) must also be in process.capabilities.permitted: the kernel keeps effective within permitted",
                               jsonPath: "process.capabilities.effective")
        }
    }

    private static func checkHeld(_ wanted: CapSet, _ field: String, held: CapSet) throws(RuntimeError) {
        let missing = wanted.members.filter { !held.contains($0) }
        guard !missing.isEmpty else { return }
        let names = missing.map(Capabilities.name)
        throw RuntimeError("\(names.joined(separator: ", ")) cannot be given: swrun does not hold "
                           + (missing.count == 1 ? "it" : "them") + " itself (not in its bounding set)",
                           jsonPath: "process.capabilities.\(field)",
                           hint: "leave \(missing.count == 1 ? "it" : "them") out, e.g. docker/podman --cap-drop "
                               + names.map { String($0.dropFirst(4)) }.joined(separator: " --cap-drop ")
                               + "; --privileged asks for every capability: use --cap-add ALL with the --cap-drop instead")
    }

    static func name(_ c: Int32) -> String {
        Spec.capabilityNames.indices.contains(Int(c)) ? Spec.capabilityNames[Int(c)] : "capability \(c)"
    }

    /// Before setuid: needs CAP_SETPCAP, which is gone after the switch.
    func dropBounding() throws(RuntimeError) {
        for cap in 0...Capabilities.last where !bounding.contains(cap) {
            if sw_prctl(Capabilities.PR_CAPBSET_DROP, UInt(cap), 0, 0, 0) != 0 {
                let e = errno
                if e == EINVAL { continue }
                throw RuntimeError.sys("prctl", "drop capability \(cap) from the bounding set", errno: e,
                                       jsonPath: "process.capabilities.bounding")
            }
        }
    }

    func apply() throws(RuntimeError) {
        try Sys.check("capset", "set capabilities", jsonPath: "process.capabilities") {
            sw_capset(effective.bits, permitted.bits, inheritable.bits)
        }
        _ = sw_prctl(Capabilities.PR_CAP_AMBIENT, Capabilities.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
        // The kernel raises an ambient capability only if it is also permitted and
        // inheritable; runc's default spec lists ambient without inheritable and runc ignores
        // the refusal, so engines' configs rely on that.
        for c in ambient.members where inheritable.contains(c) && permitted.contains(c) {
            try Sys.check("prctl", "raise ambient capability \(c)", jsonPath: "process.capabilities.ambient") {
                sw_prctl(Capabilities.PR_CAP_AMBIENT, Capabilities.PR_CAP_AMBIENT_RAISE, UInt(c), 0, 0)
            }
        }
    }
}

/// A capability set as the kernel keeps it: one bit per capability number (below 64).
struct CapSet: Equatable {
    var bits: UInt64 = 0

    func contains(_ cap: Int32) -> Bool { cap >= 0 && cap < 64 && bits & (1 << UInt64(cap)) != 0 }
    mutating func insert(_ cap: Int32) { if cap >= 0 && cap < 64 { bits |= 1 << UInt64(cap) } }
    /// In ascending order.
    var members: [Int32] { (0..<Int32(64)).filter { contains($0) } }
}
