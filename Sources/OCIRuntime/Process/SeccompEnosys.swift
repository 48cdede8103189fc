#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import Spec

/// One classic BPF instruction as seccomp reads it (struct sock_filter, 8 bytes, host order).
struct SockFilter: Equatable {
    var code: UInt16
    var jt: UInt8 = 0
    var jf: UInt8 = 0
    var k: UInt32 = 0

    // linux/bpf_common.h: the opcodes the stub uses.
    static let ldAbsW: UInt16 = 0x20  // BPF_LD | BPF_W | BPF_ABS
    static let ja: UInt16 = 0x05      // BPF_JMP | BPF_JA
    static let jeqK: UInt16 = 0x15    // BPF_JMP | BPF_JEQ | BPF_K
    static let jgtK: UInt16 = 0x25    // BPF_JMP | BPF_JGT | BPF_K
    static let jsetK: UInt16 = 0x45   // BPF_JMP | BPF_JSET | BPF_K
    static let retK: UInt16 = 0x06    // BPF_RET | BPF_K

    static func load(_ offset: UInt32) -> SockFilter { SockFilter(code: ldAbsW, k: offset) }
    static func jump(_ op: UInt16, _ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> SockFilter {
        SockFilter(code: op, jt: jt, jf: jf, k: k)
    }
    static func always(_ skip: Int) -> SockFilter { SockFilter(code: ja, k: UInt32(truncatingIfNeeded: skip)) }
    static func ret(_ k: UInt32) -> SockFilter { SockFilter(code: retK, k: k) }

    /// libseccomp's seccomp_export_bpf output: whole instructions, in host order.
    static func decode(_ bytes: [UInt8]) throws(RuntimeError) -> [SockFilter] {
        guard bytes.count % 8 == 0 else {
            throw RuntimeError("libseccomp exported \(bytes.count) bytes of BPF, not a whole number of instructions")
        }
        return bytes.withUnsafeBytes { b in
            (0..<bytes.count / 8).map { i in
                SockFilter(code: b.loadUnaligned(fromByteOffset: i * 8, as: UInt16.self),
                           jt: b[i * 8 + 2], jf: b[i * 8 + 3],
                           k: b.loadUnaligned(fromByteOffset: i * 8 + 4, as: UInt32.self))
            }
        }
    }

    static func encode(_ program: [SockFilter]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: program.count * 8)
        out.withUnsafeMutableBytes { b in
            for (i, f) in program.enumerated() {
                b.storeBytes(of: f.code, toByteOffset: i * 8, as: UInt16.self)
                b[i * 8 + 2] = f.jt
                b[i * 8 + 3] = f.jf
                b.storeBytes(of: f.k, toByteOffset: i * 8 + 4, as: UInt32.self)
            }
        }
        return out
    }
}

/// runc's "ENOSYS patch" (libcontainer/seccomp/patchbpf): a profile lists the syscalls known
/// when it was written, and its default errno (EPERM) for a syscall newer than that makes
/// glibc give up where ENOSYS would make it fall back (clone3 to clone, faccessat2 to
/// faccessat). So, before libseccomp's program, a stub answers ENOSYS for every syscall
/// number above the largest one the profile names on that architecture. Every syscall the
/// profile names is at or below that number, so all of them keep their action.
///
/// As runc: only for a default action that denies (not ALLOW, LOG or TRACE: a tracer handles
/// new syscalls itself); the largest number counts every name of every `syscalls` entry, the
/// ones skipped because their action is the default's too; names unknown on an architecture
/// are ignored there, and an architecture where none is known (or only syscall 0) gets no
/// check; the native architecture is checked even when `architectures` leaves it out (runc
/// 1.1.6+). Unlike runc, a default of SCMP_ACT_ERRNO(ENOSYS) gets no stub (runc means to skip
/// it too, but compares the errno with the whole action value, so it never does; the result
/// is the same). crun has no such stub: podman's profiles set defaultErrnoRet to ENOSYS.
///
/// The layout differs from runc's (one shared `ret ENOSYS` reached by long or short jumps):
/// each architecture's section has its own, so only the dispatch on the architecture can need
/// a jump longer than a conditional jump's 255.
enum SeccompEnosys {
    /// BPF_MAXINSNS: the kernel refuses a longer program (EINVAL).
    static let maxInstructions = 4096
    /// SECCOMP_RET_ERRNO | ENOSYS
    static let retENOSYS: UInt32 = 0x0005_0000 | UInt32(ENOSYS)
    /// An x32 call on x86_64 is the x86_64 audit arch with this bit in the syscall number
    /// (libseccomp's x32 numbers include it).
    static let x32Bit: UInt32 = 0x4000_0000
    // libseccomp's tokens are the AUDIT_ARCH_* values, except x32's, which are macros
    // Swift cannot import.
    static let archX86_64: UInt32 = 0xc000_003e  // AUDIT_ARCH_X86_64
    static let archX32: UInt32 = 0x4000_003e     // SCMP_ARCH_X32 (x86_64 without __AUDIT_ARCH_64BIT)
    static let archS390: UInt32 = 0x0000_0016    // AUDIT_ARCH_S390
    static let archS390X: UInt32 = 0x8000_0016   // AUDIT_ARCH_S390X
    // struct seccomp_data
    static let offsetNr: UInt32 = 0
    static let offsetArch: UInt32 = 4

    /// The largest syscall number a profile names on one audit architecture.
    struct ArchLimit: Equatable {
        var auditArch: UInt32
        /// Calls in the architecture's own ABI (on x86_64: without the x32 bit).
        var largest: UInt32?
        /// x86_64 only: x32 calls.
        var largestX32: UInt32?
    }

    static func applies(defaultAction: UInt32) -> Bool {
        let traceMask: UInt32 = 0xffff_0000
        return defaultAction != SCMP_ACT_ALLOW && defaultAction != SCMP_ACT_LOG
            && defaultAction & traceMask != 0x7ff0_0000  // SCMP_ACT_TRACE(any)
            && defaultAction != retENOSYS
    }

    /// `architectures`: libseccomp's tokens (SCMP_ARCH_*), the native one included by the caller.
    /// SCMP_ARCH_X32 is x86_64 to the kernel; every other token is its AUDIT_ARCH_* value.
    static func limits(architectures: [UInt32], names: [String],
                       resolve: (UInt32, String) -> Int32 = { seccomp_syscall_resolve_name_arch($0, $1) }) -> [ArchLimit] {
        var out: [ArchLimit] = []
        for arch in architectures {
            var largest: UInt32 = 0
            for name in names {
                // Negative: unknown here (-1) or one of libseccomp's pseudo numbers.
                let nr = resolve(arch, name)
                if nr > 0 { largest = max(largest, UInt32(truncatingIfNeeded: nr)) }
            }
            let x32 = arch == archX32
            let audit = x32 ? archX86_64 : arch
            var limit = out.first(where: { $0.auditArch == audit }) ?? ArchLimit(auditArch: audit)
            if largest > 0 {
                if x32 { limit.largestX32 = largest } else { limit.largest = largest }
            }
            out.removeAll { $0.auditArch == audit }
            out.append(limit)
        }
        return out.filter { $0.largest != nil || $0.largestX32 != nil }.sorted { $0.auditArch < $1.auditArch }
    }

    /// The stub: load the architecture, jump to its section (other architectures go straight
    /// to libseccomp's program, which has its own action for them). A section loads the
    /// syscall number, returns ENOSYS above the limit, else jumps to libseccomp's program.
    /// Built from the end, so every jump's distance is known when it is written.
    static func stub(_ limits: [ArchLimit]) -> [SockFilter] {
        var tail: [SockFilter] = []
        var sections: [(arch: UInt32, fromEnd: Int)] = []
        for limit in limits.reversed() {
            let checks = sectionChecks(limit)
            if checks.isEmpty { continue }
            tail = [.load(offsetNr)] + checks + [.ret(retENOSYS), .always(tail.count)] + tail
            sections.append((limit.auditArch, tail.count))
        }
        if sections.isEmpty { return [] }
        tail.insert(.always(tail.count), at: 0)
        for s in sections {
            let distance = tail.count - s.fromEnd
            if let short = UInt8(exactly: distance) {
                tail.insert(.jump(SockFilter.jeqK, s.arch, short, 0), at: 0)
            } else {
                tail.insert(contentsOf: [.jump(SockFilter.jeqK, s.arch, 0, 1), .always(distance)], at: 0)
            }
        }
        return [.load(offsetArch)] + tail
    }

    /// The tests between a section's load of the number and its last two instructions,
    /// `ret ENOSYS` and `ja <libseccomp's program>`; offsets count to those two.
    private static func sectionChecks(_ limit: ArchLimit) -> [SockFilter] {
        let isX86_64 = limit.auditArch == archX86_64
        switch (limit.largest, limit.largestX32) {
        case (let native?, let x32?) where isX86_64:
            return [.jump(SockFilter.jsetK, x32Bit, 1, 0),
                    .jump(SockFilter.jgtK, native, 1, 2),
                    .jump(SockFilter.jgtK, x32, 0, 1)]
        case (let native?, _) where isX86_64:
            // x32 calls are not this profile's to answer: libseccomp's program decides.
            return [.jump(SockFilter.jsetK, x32Bit, 2, 0), .jump(SockFilter.jgtK, native, 0, 1)]
        case (nil, let x32?):
            return [.jump(SockFilter.jsetK, x32Bit, 0, 2), .jump(SockFilter.jgtK, x32, 0, 1)]
        case (let largest?, _):
            if limit.auditArch == archS390 || limit.auditArch == archS390X {
                // A syscall number the s390 kernel does not know reaches seccomp as 0
                // (setup(2), unused for decades), so 0 is a new syscall too.
                return [.jump(SockFilter.jeqK, 0, 1, 0), .jump(SockFilter.jgtK, largest, 0, 1)]
            }
            return [.jump(SockFilter.jgtK, largest, 0, 1)]
        case (nil, nil):
            return []
        }
    }

    /// The stub before libseccomp's program, refused when the kernel would refuse it.
    static func patch(_ program: [SockFilter], stub: [SockFilter]) throws(RuntimeError) -> [SockFilter] {
        let total = stub.count + program.count
        guard total <= maxInstructions else {
            throw RuntimeError("the seccomp filter is too long: \(program.count) BPF instructions from libseccomp and "
                               + "\(stub.count) for the ENOSYS stub make \(total); the kernel loads at most \(maxInstructions)",
                               jsonPath: "linux.seccomp", hint: "a shorter profile: fewer rules or argument conditions")
        }
        return stub + program
    }
}
