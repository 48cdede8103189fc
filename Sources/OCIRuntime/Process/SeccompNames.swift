#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import Spec

/// The runtime-spec's seccomp names translated to libseccomp values, as runc's
/// libcontainer/seccomp does. Every failure names its JSON path; the messages for unknown
/// names are the ones Spec validation uses, so a name fails the same way wherever it is caught.
enum SeccompNames {
    /// libseccomp's action value (the SCMP_ACT_* macros; the ERRNO and TRACE ones take a
    /// 16-bit datum). SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD, as in libseccomp and runc.
    /// `errnoRet` is only for the actions that carry a value (runtime-spec: the runtime MUST
    /// fail otherwise); absent, it is EPERM, as runc's default.
    static func action(_ name: String, errnoRet: UInt32?, path: String, errnoPath: String) throws(RuntimeError) -> UInt32 {
        let carriesValue = name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE"
        if let e = errnoRet {
            guard carriesValue else {
                throw RuntimeError.config(errnoPath, "\(name) takes no errno value (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)")
            }
            guard e <= 0xffff else {
                throw RuntimeError.config(errnoPath, "\(e) does not fit in seccomp's 16-bit return value (0 to 65535)")
            }
        }
        let datum = (errnoRet ?? UInt32(EPERM)) & 0xffff
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return SCMP_ACT_KILL_THREAD
        case "SCMP_ACT_KILL_PROCESS": return SCMP_ACT_KILL_PROCESS
        case "SCMP_ACT_TRAP": return SCMP_ACT_TRAP
        case "SCMP_ACT_ERRNO": return 0x0005_0000 | datum  // SCMP_ACT_ERRNO(x)
        case "SCMP_ACT_TRACE": return 0x7ff0_0000 | datum  // SCMP_ACT_TRACE(x)
        case "SCMP_ACT_ALLOW": return SCMP_ACT_ALLOW
        case "SCMP_ACT_LOG": return SCMP_ACT_LOG
        case "SCMP_ACT_NOTIFY": return SCMP_ACT_NOTIFY
        default: throw RuntimeError.config(path, "unknown action \"\(name)\"")
        }
    }

    static func compare(_ op: String, path: String) throws(RuntimeError) -> scmp_compare {
        switch op {
        case "SCMP_CMP_NE": return SCMP_CMP_NE
        case "SCMP_CMP_LT": return SCMP_CMP_LT
        case "SCMP_CMP_LE": return SCMP_CMP_LE
        case "SCMP_CMP_EQ": return SCMP_CMP_EQ
        case "SCMP_CMP_GE": return SCMP_CMP_GE
        case "SCMP_CMP_GT": return SCMP_CMP_GT
        case "SCMP_CMP_MASKED_EQ": return SCMP_CMP_MASKED_EQ
        default: throw RuntimeError.config(path, "unknown operator \"\(op)\"")
        }
    }

    /// One condition. As in runc (libseccomp-golang's MakeCondition), `value` is datum_a and
    /// `valueTwo` datum_b: for SCMP_CMP_MASKED_EQ that is mask = value, datum = valueTwo.
    static func condition(_ arg: LinuxSeccompArg, path: String) throws(RuntimeError) -> scmp_arg_cmp {
        guard arg.index < 6 else {
            throw RuntimeError.config(path + ".index", "\(arg.index) is out of range (0 to 5)")
        }
        let op = try compare(arg.op, path: path + ".op")
        return scmp_arg_cmp(arg: arg.index, op: op, datum_a: arg.value, datum_b: arg.valueTwo ?? 0)
    }

    /// libseccomp's token for SCMP_ARCH_X86_64 and friends: the lowercase name without the
    /// prefix, resolved by libseccomp itself (so an architecture this libseccomp does not
    /// know fails here, with the version in the message).
    static func architecture(_ name: String, path: String) throws(RuntimeError) -> UInt32 {
        let prefix = "SCMP_ARCH_"
        guard name.hasPrefix(prefix), Spec.seccompArchitectures.contains(name) else {
            throw RuntimeError.config(path, "unknown architecture \"\(name)\"")
        }
        let token = seccomp_arch_resolve_name(String(name.dropFirst(prefix.count)).lowercased())
        guard token != 0 else {
            throw RuntimeError.config(path, "architecture \"\(name)\" is not supported by libseccomp \(libraryVersion)")
        }
        return token
    }

    static let flagTSync = "SECCOMP_FILTER_FLAG_TSYNC"
    static let flagLog = "SECCOMP_FILTER_FLAG_LOG"
    static let flagSpecAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
    static let flagWaitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"

    /// SCMP_FLTATR_CTL_WAITKILL: added in libseccomp 2.6 (after SCMP_FLTATR_API_SYSRAWRC = 9).
    /// Set by number so the same source builds against 2.5, where setting it fails.
    static let attrWaitKill = scmp_filter_attr(rawValue: 10)

    /// The filter attribute a SECCOMP_FILTER_FLAG_* maps to.
    static func flagAttribute(_ flag: String, path: String) throws(RuntimeError) -> scmp_filter_attr {
        switch flag {
        case flagTSync: return SCMP_FLTATR_CTL_TSYNC
        case flagLog: return SCMP_FLTATR_CTL_LOG
        case flagSpecAllow: return SCMP_FLTATR_CTL_SSB
        case flagWaitKillableRecv: return attrWaitKill
        default: throw RuntimeError.config(path, "unknown flag \"\(flag)\"")
        }
    }

    /// "2.5.4"
    static var libraryVersion: String {
        guard let v = seccomp_version() else { return "(unknown version)" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)"
    }
}
