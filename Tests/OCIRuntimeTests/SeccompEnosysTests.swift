import XCTest
@testable import OCIRuntime
import Spec

/// runc's ENOSYS stub: its layout, and what the patched program answers, run by a classic BPF
/// interpreter the way the kernel runs a seccomp filter (nothing is loaded into this process).
final class SeccompEnosysTests: XCTestCase {
    let x86_64: UInt32 = 0xc000_003e
    let x86: UInt32 = 0x4000_0003
    let aarch64: UInt32 = 0xc000_00b7
    let s390x: UInt32 = 0x8000_0016
    let x32Bit: UInt32 = 0x4000_0000
    let allow: UInt32 = 0x7fff_0000
    func errno(_ e: Int32) -> UInt32 { 0x0005_0000 | UInt32(e) }

    // MARK: - an interpreter of what libseccomp and the stub emit

    /// The kernel's checks at load (sk_chk_filter): every jump lands inside the program.
    func assertJumpsInside(_ p: [SockFilter], file: StaticString = #filePath, line: UInt = #line) {
        for (pc, i) in p.enumerated() {
            let targets: [Int]
            switch i.code {
            case SockFilter.ja: targets = [pc + 1 + Int(i.k)]
            case let c where c & 0x07 == 0x05: targets = [pc + 1 + Int(i.jt), pc + 1 + Int(i.jf)]
            default: targets = []
            }
            for t in targets { XCTAssertLessThan(t, p.count, "jump at \(pc) leaves the program", file: file, line: line) }
        }
        XCTAssertLessThanOrEqual(p.count, 4096, file: file, line: line)
    }

    /// What the program returns for a syscall (struct seccomp_data: nr, arch, ip, args).
    func run(_ p: [SockFilter], nr: UInt32, arch: UInt32, file: StaticString = #filePath, line: UInt = #line) -> UInt32? {
        var data = [UInt8](repeating: 0, count: 64)
        data.withUnsafeMutableBytes {
            $0.storeBytes(of: nr, toByteOffset: 0, as: UInt32.self)
            $0.storeBytes(of: arch, toByteOffset: 4, as: UInt32.self)
        }
        var a: UInt32 = 0
        var pc = 0
        while pc < p.count {
            let i = p[pc]
            pc += 1
            switch i.code {
            case 0x20:  // ld [k]
                guard i.k % 4 == 0, i.k < 64 else { XCTFail("load at \(i.k)", file: file, line: line); return nil }
                a = data.withUnsafeBytes { $0.load(fromByteOffset: Int(i.k), as: UInt32.self) }
            case 0x54: a &= i.k                                   // and #k
            case 0x05: pc += Int(i.k)                             // ja
            case 0x15: pc += a == i.k ? Int(i.jt) : Int(i.jf)     // jeq
            case 0x25: pc += a > i.k ? Int(i.jt) : Int(i.jf)      // jgt
            case 0x35: pc += a >= i.k ? Int(i.jt) : Int(i.jf)     // jge
            case 0x45: pc += a & i.k != 0 ? Int(i.jt) : Int(i.jf) // jset
            case 0x06: return i.k                                 // ret #k
            case 0x16: return a                                   // ret a
            default: XCTFail("opcode \(i.code)", file: file, line: line); return nil
            }
        }
        XCTFail("fell off the end", file: file, line: line)
        return nil
    }

    func filter(_ config: LinuxSeccomp) throws -> SeccompFilter {
        try XCTUnwrap(SeccompFilter.prepare(config, warn: { _ in }))
    }

    /// Default EPERM; read/write/openat2 (437, the largest) allowed, mkdir EACCES.
    func profile(defaultAction: String = "SCMP_ACT_ERRNO", defaultErrnoRet: UInt32? = nil,
                 architectures: [String]? = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]) -> LinuxSeccomp {
        LinuxSeccomp(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet, architectures: architectures, syscalls: [
            LinuxSyscall(names: ["read", "write", "openat2", "no_such_syscall"], action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(EACCES)),
        ])
    }

    // MARK: - largest syscall per architecture

    func testLimitsPerArchitecture() {
        let limits = SeccompEnosys.limits(architectures: [x86_64, SeccompEnosys.archX32, x86, aarch64],
                                          names: ["read", "openat2", "mkdir", "no_such_syscall"])
        XCTAssertEqual(limits, [
            .init(auditArch: x86, largest: 437),
            .init(auditArch: x86_64, largest: 437, largestX32: x32Bit | 437),
            .init(auditArch: aarch64, largest: 437),  // mkdir is unknown there
        ])
    }

    func testLimitsIgnoreSyscallZeroAndUnknownNames() {
        // read is 0 on x86_64 (runc's "no syscall found"), 3 on x86.
        XCTAssertEqual(SeccompEnosys.limits(architectures: [x86_64, x86], names: ["read", "no_such_syscall"]),
                       [.init(auditArch: x86, largest: 3)])
        XCTAssertEqual(SeccompEnosys.limits(architectures: [x86_64], names: []), [])
        XCTAssertEqual(SeccompEnosys.stub([]), [])
    }

    func testLimitsUseTheLargestNumberNotTheLastName() {
        let limits = SeccompEnosys.limits(architectures: [x86_64], names: ["openat2", "read", "clone3"])
        XCTAssertEqual(limits, [.init(auditArch: x86_64, largest: 437)])
    }

    // MARK: - layout

    func testStubForOneArchitecture() {
        let stub = SeccompEnosys.stub([.init(auditArch: aarch64, largest: 437)])
        XCTAssertEqual(stub, [
            .load(4),
            .jump(SockFilter.jeqK, aarch64, 1, 0),
            .always(4),                              // another architecture: to the filter
            .load(0),
            .jump(SockFilter.jgtK, 437, 0, 1),
            .ret(SeccompEnosys.retENOSYS),
            .always(0),                              // to the filter
        ])
    }

    func testStubForX86_64WithoutX32() {
        let stub = SeccompEnosys.stub([.init(auditArch: x86_64, largest: 437)])
        XCTAssertEqual(Array(stub[3...]), [
            .load(0),
            .jump(SockFilter.jsetK, x32Bit, 2, 0),   // an x32 call: libseccomp decides
            .jump(SockFilter.jgtK, 437, 0, 1),
            .ret(SeccompEnosys.retENOSYS),
            .always(0),
        ])
    }

    /// Every section checked through the interpreter, with a one-instruction "filter" behind.
    func testStubSectionsAnswer() {
        let limits: [SeccompEnosys.ArchLimit] = [
            .init(auditArch: x86, largest: 440),
            .init(auditArch: x86_64, largest: 437, largestX32: x32Bit | 500),
            .init(auditArch: s390x, largest: 300),
            .init(auditArch: aarch64, largestX32: nil),  // nothing named: no section
        ]
        let p = SeccompEnosys.stub(limits) + [.ret(allow)]
        assertJumpsInside(p)
        let enosys = SeccompEnosys.retENOSYS
        let cases: [(UInt32, UInt32, UInt32)] = [
            (x86, 440, allow), (x86, 441, enosys), (x86, 0, allow),
            (x86_64, 437, allow), (x86_64, 438, enosys), (x86_64, 0, allow),
            (x86_64, x32Bit | 437, allow), (x86_64, x32Bit | 500, allow), (x86_64, x32Bit | 501, enosys),
            (s390x, 0, enosys), (s390x, 1, allow), (s390x, 300, allow), (s390x, 301, enosys),
            (aarch64, 1000, allow), (0x1234, 1000, allow),
        ]
        for (arch, nr, want) in cases {
            XCTAssertEqual(run(p, nr: nr, arch: arch), want, "arch \(arch) nr \(nr)")
        }
    }

    func testX32OnlySection() {
        let p = SeccompEnosys.stub([.init(auditArch: x86_64, largestX32: x32Bit | 437)]) + [.ret(allow)]
        XCTAssertEqual(run(p, nr: x32Bit | 438, arch: x86_64), SeccompEnosys.retENOSYS)
        XCTAssertEqual(run(p, nr: x32Bit | 437, arch: x86_64), allow)
        XCTAssertEqual(run(p, nr: 1000, arch: x86_64), allow)  // a native call: not this section's
    }

    /// So many architectures that the dispatch needs jumps longer than 255 (jeq + ja).
    func testLongDispatchJumps() {
        let limits = (1...100).map { SeccompEnosys.ArchLimit(auditArch: UInt32($0), largest: UInt32($0) * 2) }
        let stub = SeccompEnosys.stub(limits)
        let p = stub + [.ret(allow)]
        assertJumpsInside(p)
        XCTAssertTrue(stub.indices.dropLast().contains {
            stub[$0] == .jump(SockFilter.jeqK, stub[$0].k, 0, 1) && stub[$0 + 1].code == SockFilter.ja && stub[$0 + 1].k > 255
        }, "expected a long dispatch")
        XCTAssertTrue(stub.contains { $0.code == SockFilter.jeqK && $0.jt > 0 }, "expected short ones too")
        for arch in 1...100 {
            let a = UInt32(arch)
            XCTAssertEqual(run(p, nr: a * 2, arch: a), allow, "arch \(arch)")
            XCTAssertEqual(run(p, nr: a * 2 + 1, arch: a), SeccompEnosys.retENOSYS, "arch \(arch)")
        }
        XCTAssertEqual(run(p, nr: 5000, arch: 101), allow)
    }

    // MARK: - the patched filter

    func testPatchedFilterAnswers() throws {
        let f = try filter(profile())
        let patched = try XCTUnwrap(f.patched)
        let original = try f.exportBPF()
        XCTAssertEqual(Array(patched.suffix(original.count)), original)
        assertJumpsInside(patched)
        let eperm = errno(EPERM), enosys = errno(ENOSYS)
        let cases: [(UInt32, UInt32, UInt32)] = [
            (x86_64, 0, allow), (x86_64, 437, allow), (x86_64, 83, errno(EACCES)),
            (x86_64, 100, eperm), (x86_64, 435, eperm),  // clone3: older than openat2, not listed
            (x86_64, 438, enosys), (x86_64, 440, enosys), (x86_64, 100_000, enosys),
            (x86_64, x32Bit | 437, allow), (x86_64, x32Bit | 100, eperm), (x86_64, x32Bit | 440, enosys),
            (x86, 3, allow), (x86, 39, errno(EACCES)), (x86, 100, eperm), (x86, 440, enosys),
        ]
        for (arch, nr, want) in cases {
            XCTAssertEqual(run(patched, nr: nr, arch: arch), want, "arch \(arch) nr \(nr)")
        }
        // An architecture the profile does not have: libseccomp's action for it, untouched.
        XCTAssertEqual(run(patched, nr: 440, arch: aarch64), run(original, nr: 440, arch: aarch64))
        XCTAssertNotEqual(run(patched, nr: 440, arch: aarch64), enosys)
    }

    /// At or below the largest number, the stub changes nothing libseccomp decided.
    func testNothingChangesUpToTheLargest() throws {
        let f = try filter(profile())
        let patched = try XCTUnwrap(f.patched)
        let original = try f.exportBPF()
        for nr in UInt32(0)...437 {
            for (arch, n) in [(x86_64, nr), (x86_64, x32Bit | nr), (x86, nr)] {
                XCTAssertEqual(run(patched, nr: n, arch: arch), run(original, nr: n, arch: arch), "arch \(arch) nr \(n)")
            }
        }
    }

    func testNativeArchitectureIsCheckedWhenNotListed() throws {
        let patched = try XCTUnwrap(try filter(profile(architectures: ["SCMP_ARCH_X86"])).patched)
        XCTAssertEqual(run(patched, nr: 440, arch: x86_64), errno(ENOSYS))
        XCTAssertEqual(run(patched, nr: 100, arch: x86_64), errno(EPERM))
        let none = try XCTUnwrap(try filter(profile(architectures: nil)).patched)
        XCTAssertEqual(run(none, nr: 440, arch: x86_64), errno(ENOSYS))
    }

    func testWhenTheStubApplies() throws {
        XCTAssertNil(try filter(profile(defaultAction: "SCMP_ACT_ALLOW")).patched)
        XCTAssertNil(try filter(profile(defaultAction: "SCMP_ACT_LOG")).patched)
        XCTAssertNil(try filter(profile(defaultAction: "SCMP_ACT_TRACE")).patched)
        XCTAssertNil(try filter(profile(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: UInt32(ENOSYS))).patched)
        for action in ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"] {
            let p = try XCTUnwrap(try filter(profile(defaultAction: action)).patched, action)
            XCTAssertEqual(run(p, nr: 440, arch: x86_64), errno(ENOSYS), action)
        }
        let p = try XCTUnwrap(try filter(profile(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: UInt32(EACCES))).patched)
        XCTAssertEqual(run(p, nr: 100, arch: x86_64), errno(EACCES))
        XCTAssertEqual(run(p, nr: 440, arch: x86_64), errno(ENOSYS))
        // Nothing named anywhere (only syscall 0): nothing to compare with, as runc.
        let readOnly = LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"],
                                    syscalls: [LinuxSyscall(names: ["read"], action: "SCMP_ACT_ALLOW")])
        XCTAssertNil(try filter(readOnly).patched)
    }

    /// A rule whose action is the default's is left out of the filter, but its syscall still
    /// counts for the largest number (as in runc).
    func testRulesEqualToTheDefaultCount() throws {
        let config = LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"], syscalls: [
            LinuxSyscall(names: ["read", "write"], action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: ["openat2"], action: "SCMP_ACT_ERRNO"),
        ])
        let p = try XCTUnwrap(try filter(config).patched)
        XCTAssertEqual(run(p, nr: 437, arch: x86_64), errno(EPERM))
        XCTAssertEqual(run(p, nr: 438, arch: x86_64), errno(ENOSYS))
    }

    func testKernelFlags() throws {
        XCTAssertEqual(try filter(profile()).kernelFlags, SeccompFilter.flagSpecAllow)  // runc's default without flags
        var config = profile()
        config.flags = []
        XCTAssertEqual(try filter(config).kernelFlags, 0)
        config.flags = [SeccompNames.flagLog, SeccompNames.flagTSync]
        XCTAssertEqual(try filter(config).kernelFlags, SeccompFilter.flagLog | SeccompFilter.flagTSync)
    }

    // MARK: - BPF_MAXINSNS

    func testLengthLimit() throws {
        let stub = SeccompEnosys.stub([.init(auditArch: x86_64, largest: 437)])
        let fits = [SockFilter](repeating: .ret(allow), count: 4096 - stub.count)
        XCTAssertEqual(try SeccompEnosys.patch(fits, stub: stub).count, 4096)
        do {
            _ = try SeccompEnosys.patch(fits + [.ret(allow)], stub: stub)
            XCTFail("4097 instructions accepted")
        } catch {
            XCTAssertEqual(error.jsonPath, "linux.seccomp")
            XCTAssertTrue(error.message.contains("4097"), error.message)
            XCTAssertTrue(error.message.contains("at most 4096"), error.message)
        }
    }

    /// A profile libseccomp alone fits in 4096 instructions, but not with the stub: it fails
    /// `prepare` (create), not the load after start.
    func testStubPastTheLimitFailsPrepare() throws {
        func config(_ n: Int, defaultErrnoRet: UInt32) -> LinuxSeccomp {
            let args = (0..<n).map { LinuxSeccompArg(index: 1, value: UInt64($0), op: "SCMP_CMP_EQ") }
            return LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: defaultErrnoRet,
                                architectures: ["SCMP_ARCH_X86_64"], syscalls: [
                LinuxSyscall(names: ["read", "write"], action: "SCMP_ACT_ALLOW"),
                LinuxSyscall(names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(EACCES), args: args),
            ])
        }
        // A default of ENOSYS gets no stub: the same program, measured (one instruction per value).
        func length(_ n: Int) throws -> Int { try filter(config(n, defaultErrnoRet: UInt32(ENOSYS))).exportBPF().count }
        let stub = SeccompEnosys.stub([.init(auditArch: x86_64, largest: 437)]).count
        var n = 4000
        n += 4096 - stub + 1 - (try length(n))
        let alone = try length(n)
        XCTAssertLessThanOrEqual(alone, 4096)
        XCTAssertGreaterThan(alone + stub, 4096)
        do {
            _ = try SeccompFilter.prepare(config(n, defaultErrnoRet: UInt32(EPERM)), warn: { _ in })
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.jsonPath, "linux.seccomp")
            XCTAssertTrue(error.message.contains("\(alone) BPF instructions from libseccomp and \(stub) for the ENOSYS stub"),
                          error.message)
            XCTAssertTrue(error.message.contains("the kernel loads at most 4096"), error.message)
        }
    }

    func testEncodeDecode() throws {
        let p: [SockFilter] = [.load(4), .jump(SockFilter.jgtK, 0xdead_beef, 3, 250), .ret(SeccompEnosys.retENOSYS)]
        XCTAssertEqual(try SockFilter.decode(SockFilter.encode(p)), p)
        XCTAssertEqual(SockFilter.encode([.jump(SockFilter.jgtK, 0x0102_0304, 5, 6)]),
                       [0x25, 0x00, 5, 6, 0x04, 0x03, 0x02, 0x01])  // x86_64: little-endian
        XCTAssertThrowsError(try SockFilter.decode([1, 2, 3]))
    }
}
