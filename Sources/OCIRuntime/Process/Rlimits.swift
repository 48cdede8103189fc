#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// process.rlimits. Raising a hard limit needs CAP_SYS_RESOURCE, which these hosts' root
/// lacks (podman's default RLIMIT_NOFILE 1048576 fails there): the error says so, with values.
enum Rlimits {
    static func apply(_ rlimits: [POSIXRlimit]?) throws(RuntimeError) {
        for (i, r) in (rlimits ?? []).enumerated() {
            let jp = "process.rlimits[\(i)]"
            guard let n = Spec.rlimitNumber(r.type) else {
                throw RuntimeError.config(jp + ".type", "unknown rlimit \"\(r.type)\"")
            }
            if sw_setrlimit(n, UInt64(r.soft), UInt64(r.hard)) == 0 { continue }
            let e = errno
            var curSoft: UInt64 = 0, curHard: UInt64 = 0
            _ = sw_getrlimit(n, &curSoft, &curHard)
            if e == EPERM && UInt64(r.hard) > curHard && !Capabilities.hasEffective(24 /* CAP_SYS_RESOURCE */) {
                throw RuntimeError.sys("setrlimit",
                    "cannot set \(r.type) to soft \(format(UInt64(r.soft))), hard \(format(UInt64(r.hard))): the current hard limit is \(format(curHard)) and raising it needs CAP_SYS_RESOURCE, which this process lacks",
                    errno: e, jsonPath: jp,
                    hint: "lower the limit to at most \(format(curHard)), e.g. podman --ulimit \(shortName(r.type))=\(format(curHard)):\(format(curHard))")
            }
            throw RuntimeError.sys("setrlimit", "cannot set \(r.type) to soft \(format(UInt64(r.soft))), hard \(format(UInt64(r.hard)))",
                                   errno: e, jsonPath: jp)
        }
    }

    static func format(_ v: UInt64) -> String { v == UInt64.max ? "unlimited" : String(v) }

    static func shortName(_ type: String) -> String {
        type.hasPrefix("RLIMIT_") ? String(type.dropFirst(7)).lowercased() : type.lowercased()
    }
}
