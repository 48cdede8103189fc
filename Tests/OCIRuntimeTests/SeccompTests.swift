import XCTest
@testable import OCIRuntime
import Spec

/// linux.seccomp → libseccomp translation, checked through libseccomp's pseudo filter code
/// (nothing is loaded into this process).
final class SeccompTests: XCTestCase {
    private func pfc(_ config: LinuxSeccomp, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            guard let f = try SeccompFilter.prepare(config, warn: { _ in }) else {
                XCTFail("no filter", file: file, line: line)
                return ""
            }
            return try f.exportPFC()
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return ""
        }
    }

    private func prepareError(_ config: LinuxSeccomp) -> RuntimeError? {
        do {
            _ = try SeccompFilter.prepare(config, warn: { _ in })
            XCTFail("expected an error")
            return nil
        } catch {
            return error
        }
    }

    private func assertError(_ config: LinuxSeccomp, path: String, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let e = prepareError(config) else { return }
        XCTAssertEqual(e.jsonPath, path, "\(e)", file: file, line: line)
        XCTAssertTrue(e.message.contains(message), "\(e)", file: file, line: line)
    }

    private func profile(_ action: String, errnoRet: UInt32? = nil, names: [String] = ["mkdir"],
                         args: [LinuxSeccompArg]? = nil, defaultAction: String = "SCMP_ACT_ALLOW") -> LinuxSeccomp {
        LinuxSeccomp(defaultAction: defaultAction, syscalls: [
            LinuxSyscall(names: ["getpid"], action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: names, action: action, errnoRet: errnoRet, args: args),
        ])
    }

    private func body(_ pfc: String, _ syscall: String) -> String {
        // From the syscall's comment to the next "# filter for" or the default action.
        guard let r = pfc.range(of: "syscall \"\(syscall)\"") else { return "" }
        let rest = pfc[r.upperBound...]
        let end = rest.range(of: "# filter for")?.lowerBound ?? rest.range(of: "# default action")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    func testNoConfigNoFilter() throws {
        XCTAssertNil(try SeccompFilter.prepare(nil))
    }

    func testErrnoDefaultsToEPERM() {
        let out = pfc(profile("SCMP_ACT_ERRNO"))
        XCTAssertTrue(body(out, "mkdir").contains("action ERRNO(1);"), out)
        XCTAssertTrue(out.contains("# default action\n  action ALLOW;"), out)
    }

    func testErrnoRetAndTraceValue() {
        XCTAssertTrue(body(pfc(profile("SCMP_ACT_ERRNO", errnoRet: 38)), "mkdir").contains("ERRNO(38)"))
        XCTAssertTrue(body(pfc(profile("SCMP_ACT_TRACE", errnoRet: 5)), "mkdir").contains("TRACE(5)"))
        XCTAssertTrue(body(pfc(profile("SCMP_ACT_TRACE")), "mkdir").contains("TRACE(1)"))
    }

    func testEveryActionName() {
        let expected = [
            "SCMP_ACT_KILL": "action KILL;", "SCMP_ACT_KILL_THREAD": "action KILL;",
            "SCMP_ACT_KILL_PROCESS": "action KILL_PROCESS;", "SCMP_ACT_TRAP": "action TRAP;",
            "SCMP_ACT_ERRNO": "action ERRNO(1);", "SCMP_ACT_TRACE": "action TRACE(1);",
            "SCMP_ACT_LOG": "action LOG;", "SCMP_ACT_NOTIFY": "action 0x7fc00000;",
        ]
        XCTAssertEqual(Set(expected.keys).union(["SCMP_ACT_ALLOW"]), Set(Spec.seccompActions))
        for (name, text) in expected where name != "SCMP_ACT_NOTIFY" {
            XCTAssertTrue(body(pfc(profile(name)), "mkdir").contains(text), name)
        }
        // NOTIFY needs a listener: prepare connects to it.
        let dir = tempDir()
        let path = dir + "/agent.sock"
        let listener = listenOn(path)
        defer { close(listener); unlink(path); rmdir(dir) }
        var config = profile("SCMP_ACT_NOTIFY")
        config.listenerPath = path
        XCTAssertTrue(body(pfc(config), "mkdir").contains(expected["SCMP_ACT_NOTIFY"]!))
        // Default actions other than ALLOW.
        for name in ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_ERRNO", "SCMP_ACT_LOG", "SCMP_ACT_TRAP"] {
            let out = pfc(LinuxSeccomp(defaultAction: name, syscalls: [LinuxSyscall(names: ["read"], action: "SCMP_ACT_ALLOW")]))
            XCTAssertTrue(out.contains("# default action\n  action \(expected[name]!.dropFirst(7))"), out)
            XCTAssertTrue(body(out, "read").contains("action ALLOW;"), out)
        }
    }

    func testDefaultErrnoRet() {
        let out = pfc(LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38,
                                   syscalls: [LinuxSyscall(names: ["read"], action: "SCMP_ACT_ALLOW")]))
        XCTAssertTrue(out.contains("action ERRNO(38);"), out)
    }

    func testEveryOperator() {
        let expected = [
            "SCMP_CMP_EQ": "if ($a1.lo32 == 10)", "SCMP_CMP_NE": "if ($a1.lo32 == 10)",
            "SCMP_CMP_GT": "if ($a1.lo32 > 10)", "SCMP_CMP_GE": "if ($a1.lo32 >= 10)",
            "SCMP_CMP_LT": "if ($a1.lo32 >= 10)", "SCMP_CMP_LE": "if ($a1.lo32 > 10)",
            "SCMP_CMP_MASKED_EQ": "if ($a1.lo32 & 0x0000000a == 2)",
        ]
        XCTAssertEqual(Set(expected.keys), Set(Spec.seccompOperators))
        for (op, text) in expected {
            let arg = LinuxSeccompArg(index: 1, value: 10, valueTwo: 2, op: op)
            let out = body(pfc(profile("SCMP_ACT_ERRNO", names: ["kill"], args: [arg])), "kill")
            XCTAssertTrue(out.contains(text), "\(op): \(out)")
            XCTAssertTrue(out.contains("ERRNO(1)"), "\(op): \(out)")
        }
    }

    func testArgsOnDifferentIndexesAreOneRule() {
        let args = [LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_EQ"),
                    LinuxSeccompArg(index: 1, value: 10, op: "SCMP_CMP_EQ")]
        let out = body(pfc(profile("SCMP_ACT_ERRNO", names: ["kill"], args: args)), "kill")
        // Nested: a1 tested inside the a0 test, one action.
        XCTAssertEqual(out.components(separatedBy: "action ERRNO").count - 1, 1, out)
        XCTAssertTrue(out.contains("$a0.lo32 == 1") && out.contains("$a1.lo32 == 10"), out)
    }

    func testArgsOnTheSameIndexAreSeparateRules() {
        let args = [LinuxSeccompArg(index: 1, value: 10, op: "SCMP_CMP_EQ"),
                    LinuxSeccompArg(index: 1, value: 12, op: "SCMP_CMP_EQ")]
        let out = body(pfc(profile("SCMP_ACT_ERRNO", names: ["kill"], args: args)), "kill")
        XCTAssertEqual(out.components(separatedBy: "action ERRNO").count - 1, 2, out)
    }

    func testRuleWithTheDefaultActionIsSkipped() {
        let out = pfc(LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            LinuxSyscall(names: ["mkdir"], action: "SCMP_ACT_ERRNO"),
            LinuxSyscall(names: ["read"], action: "SCMP_ACT_ALLOW"),
        ]))
        XCTAssertFalse(out.contains("\"mkdir\""), out)
        // A different errno is a different action: kept.
        let out2 = pfc(LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            LinuxSyscall(names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 38)]))
        XCTAssertTrue(body(out2, "mkdir").contains("ERRNO(38)"), out2)
    }

    func testUnknownSyscallSkippedWithWarning() throws {
        var got: [String] = []
        let config = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            LinuxSyscall(names: ["getpid"], action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: ["mkdir", "no_such_syscall"], action: "SCMP_ACT_ERRNO"),
        ])
        let f = try XCTUnwrap(SeccompFilter.prepare(config, warn: { got.append($0) }))
        XCTAssertEqual(got, ["linux.seccomp.syscalls[1].names[1]: unknown syscall \"no_such_syscall\" on this architecture: rule skipped"])
        XCTAssertEqual(f.warnings, got)
        XCTAssertTrue(try f.exportPFC().contains("\"mkdir\""))
    }

    func testArchitectures() {
        var config = profile("SCMP_ACT_ERRNO")
        config.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        let out = pfc(config)
        XCTAssertTrue(out.contains("filter for arch x86_64"), out)
        XCTAssertTrue(out.contains("filter for arch x86 "), out)
        XCTAssertTrue(out.contains("filter for arch x32"), out)
    }

    func testFlags() {
        var config = profile("SCMP_ACT_ERRNO")
        config.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"]
        XCTAssertTrue(pfc(config).contains("mkdir"))
    }

    func testWaitKillableRecvNeedsNewerLibseccomp() throws {
        var config = profile("SCMP_ACT_ERRNO")
        config.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
        do {
            _ = try SeccompFilter.prepare(config, warn: { _ in })
        } catch {
            // libseccomp < 2.6 (2.5.4 here): the error names the flag.
            XCTAssertEqual(error.jsonPath, "linux.seccomp.flags[1]")
            XCTAssertTrue(error.message.contains("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by libseccomp"), "\(error)")
        }
    }

    func testBadNamesNameTheirPath() {
        assertError(profile("SCMP_ACT_FOO"), path: "linux.seccomp.syscalls[1].action", "unknown action \"SCMP_ACT_FOO\"")
        assertError(LinuxSeccomp(defaultAction: "SCMP_ACT_BAR"), path: "linux.seccomp.defaultAction",
                    "unknown action \"SCMP_ACT_BAR\"")
        assertError(profile("SCMP_ACT_ERRNO", args: [LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_XX")]),
                    path: "linux.seccomp.syscalls[1].args[0].op", "unknown operator \"SCMP_CMP_XX\"")
        assertError(profile("SCMP_ACT_ERRNO", args: [LinuxSeccompArg(index: 1, value: 1, op: "SCMP_CMP_EQ"),
                                                     LinuxSeccompArg(index: 6, value: 1, op: "SCMP_CMP_EQ")]),
                    path: "linux.seccomp.syscalls[1].args[1].index", "6 is out of range (0 to 5)")
        var arch = profile("SCMP_ACT_ERRNO")
        arch.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]
        assertError(arch, path: "linux.seccomp.architectures[1]", "unknown architecture \"SCMP_ARCH_VAX\"")
        var flag = profile("SCMP_ACT_ERRNO")
        flag.flags = ["SECCOMP_FILTER_FLAG_NOPE"]
        assertError(flag, path: "linux.seccomp.flags[0]", "unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"")
        assertError(profile("SCMP_ACT_ERRNO", names: ["mkdir", ""]), path: "linux.seccomp.syscalls[1].names[1]", "empty")
        assertError(profile("SCMP_ACT_ERRNO", names: []), path: "linux.seccomp.syscalls[1].names", "at least one")
    }

    func testErrnoValues() {
        assertError(profile("SCMP_ACT_ALLOW", errnoRet: 1), path: "linux.seccomp.syscalls[1].errnoRet",
                    "SCMP_ACT_ALLOW takes no errno value")
        assertError(profile("SCMP_ACT_ERRNO", errnoRet: 70000), path: "linux.seccomp.syscalls[1].errnoRet",
                    "70000 does not fit")
        assertError(LinuxSeccomp(defaultAction: "SCMP_ACT_KILL", defaultErrnoRet: 1),
                    path: "linux.seccomp.defaultErrnoRet", "SCMP_ACT_KILL takes no errno value")
    }

    func testNotifyChecks() {
        assertError(profile("SCMP_ACT_NOTIFY"), path: "linux.seccomp.listenerPath", "required when a rule uses SCMP_ACT_NOTIFY")
        var def = LinuxSeccomp(defaultAction: "SCMP_ACT_NOTIFY")
        def.listenerPath = "/nonexistent.sock"
        assertError(def, path: "linux.seccomp.defaultAction", "cannot be the default action")
        var send = profile("SCMP_ACT_NOTIFY", names: ["mkdir", "sendmsg"])
        send.listenerPath = "/nonexistent.sock"
        assertError(send, path: "linux.seccomp.syscalls[1].names[1]", "cannot be used for sendmsg")
        var missing = profile("SCMP_ACT_NOTIFY")
        missing.listenerPath = "/nonexistent/agent.sock"
        guard let e = prepareError(missing) else { return }
        XCTAssertEqual(e.jsonPath, "linux.seccomp.listenerPath")
        XCTAssertEqual(e.syscall, "connect")
    }

    func testNotifyState() {
        let spec = Spec(ociVersion: "1.2.0", annotations: ["k": "v"])
        let c = SeccompContainer(id: "c1", bundle: "/b", spec: spec)
        var config = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW")
        config.listenerMetadata = "meta"
        let s = SeccompListener.state(config: config, container: c, pid: 42).serialized()
        XCTAssertEqual(s, #"{"ociVersion":"1.2.0","fds":["seccompFd"],"pid":42,"metadata":"meta","#
                       + #""state":{"ociVersion":"1.2.0","id":"c1","status":"created","pid":42,"bundle":"/b","annotations":{"k":"v"}}}"#)
    }

    // MARK: - helpers

    private func tempDir() -> String {
        var t = Array("/tmp/swrun-seccomp-test-XXXXXX".utf8CString)
        guard mkdtemp(&t) != nil else { return "/tmp" }
        return String(decoding: t.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func listenOn(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        listen(fd, 1)
        return fd
    }
}
