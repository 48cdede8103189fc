import XCTest
@testable import Spec

final class SpecValidationTests: XCTestCase {
    var bundle: TempBundle!

    override func setUp() { bundle = TempBundle() }
    override func tearDown() { bundle = nil }

    /// Validates the default spec after `change` and returns the error.
    func failure(_ change: (inout Spec) -> Void, file: StaticString = #filePath, line: UInt = #line) -> RuntimeError? {
        var spec = Spec.defaultSpec(rootless: false)
        change(&spec)
        return expectError({ () throws(RuntimeError) in try spec.validate(bundle: bundle.path) }, file: file, line: line)
    }

    func check(_ change: (inout Spec) -> Void, path: String, message: String,
               file: StaticString = #filePath, line: UInt = #line) {
        guard let err = failure(change, file: file, line: line) else { return }
        XCTAssertEqual(err.jsonPath, path, "\(err)", file: file, line: line)
        XCTAssertTrue(err.message.contains(message), "message was: \(err.message)", file: file, line: line)
    }

    func testDefaultSpecsAreValid() throws {
        try Spec.defaultSpec(rootless: false).validate(bundle: bundle.path)
        try Spec.defaultSpec(rootless: true).validate(bundle: bundle.path)
    }

    func testOciVersionMustBeSemver() {
        check({ $0.ociVersion = "1.0" }, path: "ociVersion", message: "not a semantic version")
        check({ $0.ociVersion = "1.01.0" }, path: "ociVersion", message: "not a semantic version")
        check({ $0.ociVersion = "1.0.0-" }, path: "ociVersion", message: "not a semantic version")
        check({ $0.ociVersion = "v1.0.0" }, path: "ociVersion", message: "not a semantic version")
    }

    func testOciVersionAcceptsPrereleaseAndBuild() throws {
        for v in ["1.0.0", "1.2.1-rc.1", "1.3.0+dev", "1.0.2-dev+abc.1", "1.10.0"] {
            var spec = Spec.defaultSpec(rootless: false)
            spec.ociVersion = v
            XCTAssertNoThrow(try spec.validate(bundle: bundle.path), v)
        }
    }

    func testOciVersionMajorMustBeOne() {
        check({ $0.ociVersion = "2.0.0" }, path: "ociVersion", message: "not supported")
        check({ $0.ociVersion = "0.5.0" }, path: "ociVersion", message: "not supported")
    }

    func testRootIsRequired() {
        check({ $0.root = nil }, path: "root", message: "required")
    }

    func testRootPathMustExist() {
        check({ $0.root?.path = "nothere" }, path: "root.path", message: "cannot use \"nothere\"")
    }

    func testRootPathMustBeADirectory() {
        bundle.write("afile", "x")
        check({ $0.root?.path = "afile" }, path: "root.path", message: "is not a directory")
    }

    func testAbsoluteRootPathIsNotBundleRelative() throws {
        var spec = Spec.defaultSpec(rootless: false)
        spec.root?.path = bundle.path + "/rootfs"
        XCTAssertNoThrow(try spec.validate(bundle: "/nonexistent-bundle"))
    }

    func testProcessIsRequired() {
        check({ $0.process = nil }, path: "process", message: "required")
    }

    func testProcessArgsMustNotBeEmpty() {
        check({ $0.process?.args = [] }, path: "process.args", message: "at least")
        check({ $0.process?.args = nil }, path: "process.args", message: "at least")
    }

    func testProcessCwdMustBeAbsolute() {
        check({ $0.process?.cwd = "tmp" }, path: "process.cwd", message: "absolute")
    }

    func testUmaskRange() {
        check({ $0.process?.user?.umask = 0o1000 }, path: "process.user.umask", message: "out of range")
    }

    func testRlimitTypeMustBeKnown() {
        check({ $0.process?.rlimits?.append(POSIXRlimit(type: "RLIMIT_FOO", hard: 1, soft: 1)) },
              path: "process.rlimits[1].type", message: "unknown rlimit \"RLIMIT_FOO\"")
    }

    func testRlimitSoftMustNotExceedHard() {
        check({ $0.process?.rlimits = [POSIXRlimit(type: "RLIMIT_CORE", hard: 1, soft: 2)] },
              path: "process.rlimits[0].soft", message: "greater than the hard limit")
    }

    func testRlimitDuplicates() {
        check({ $0.process?.rlimits?.append(POSIXRlimit(type: "RLIMIT_NOFILE", hard: 2, soft: 2)) },
              path: "process.rlimits[1].type", message: "also at process.rlimits[0]")
    }

    func testUnknownCapabilitiesAreLeftToTheRuntime() throws {
        var spec = Spec.defaultSpec(rootless: false)
        spec.process?.capabilities?.bounding?.append("CAP_FROM_THE_FUTURE")
        XCTAssertNoThrow(try spec.validate(bundle: bundle.path))
        XCTAssertEqual(Spec.capabilityNumber("CAP_CHECKPOINT_RESTORE"), 40)
        XCTAssertEqual(Spec.capabilityNumber("CAP_SYS_ADMIN"), 21)
        XCTAssertEqual(Spec.capabilityNumber("CAP_CHOWN"), 0)
        XCTAssertNil(Spec.capabilityNumber("CAP_BOGUS"))
        XCTAssertEqual(Spec.capabilityNames.count, 41)
        XCTAssertEqual(Set(Spec.capabilityNames).count, 41)
    }

    func testConsoleSizeWithoutTerminalIsAccepted() {
        var spec = Spec.defaultSpec(rootless: false)
        spec.process?.terminal = false
        spec.process?.consoleSize = Box(height: 1, width: 1)
        XCTAssertNoThrow(try spec.validate(bundle: bundle.path))
    }

    func testSchedulerPolicyMustBeKnown() {
        check({ $0.process?.scheduler = Scheduler(policy: "SCHED_FAST") }, path: "process.scheduler.policy", message: "unknown policy")
    }

    func testIOPriorityClassAndRange() {
        check({ $0.process?.ioPriority = LinuxIOPriority(class: "IOPRIO_CLASS_X", priority: 0) },
              path: "process.ioPriority.class", message: "unknown class")
        check({ $0.process?.ioPriority = LinuxIOPriority(class: "IOPRIO_CLASS_BE", priority: 8) },
              path: "process.ioPriority.priority", message: "out of range")
    }

    func testHostnameRequiresUTSNamespace() {
        check({ $0.linux?.namespaces?.removeAll { $0.type == "uts" } }, path: "hostname", message: "requires a uts namespace")
    }

    func testDomainnameRequiresUTSNamespace() {
        check({ $0.hostname = nil; $0.domainname = "example.org"; $0.linux?.namespaces?.removeAll { $0.type == "uts" } },
              path: "domainname", message: "requires a uts namespace")
    }

    func testMountDestinationMustBeAbsolute() {
        check({ $0.mounts?[2].destination = "dev/pts" }, path: "mounts[2].destination", message: "absolute")
    }

    func testHookPathMustBeAbsoluteAndTimeoutPositive() {
        check({ $0.hooks = Hooks(createRuntime: [Hook(path: "/bin/true"), Hook(path: "true")]) },
              path: "hooks.createRuntime[1].path", message: "absolute")
        check({ $0.hooks = Hooks(poststop: [Hook(path: "/bin/true", timeout: 0)]) },
              path: "hooks.poststop[0].timeout", message: "greater than zero")
    }

    func testUnknownNamespaceType() {
        check({ $0.linux?.namespaces?[3].type = "pidd" }, path: "linux.namespaces[3].type", message: "unknown namespace type \"pidd\"")
    }

    func testDuplicateNamespaceType() {
        check({ $0.linux?.namespaces?.append(LinuxNamespace(type: "pid")) },
              path: "linux.namespaces[6].type", message: "duplicate namespace type \"pid\" (also at linux.namespaces[0])")
    }

    func testNamespacePathMustBeAbsolute() {
        check({ $0.linux?.namespaces?[1].path = "netns" }, path: "linux.namespaces[1].path", message: "absolute")
    }

    func testUidMappingsRequireUserNamespace() {
        check({ $0.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)] },
              path: "linux.uidMappings", message: "requires a user namespace in linux.namespaces")
    }

    func testGidMappingsRequireUserNamespace() {
        check({ $0.linux?.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)] },
              path: "linux.gidMappings", message: "requires a user namespace in linux.namespaces")
    }

    func testNewUserNamespaceRequiresMappings() {
        check({ $0.linux?.namespaces?.append(LinuxNamespace(type: "user")) },
              path: "linux.uidMappings", message: "linux.namespaces[6] has no path")
        check({
            $0.linux?.namespaces?.append(LinuxNamespace(type: "user"))
            $0.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        }, path: "linux.gidMappings", message: "required when creating a user namespace")
    }

    func testJoinedUserNamespaceNeedsNoMappings() {
        var spec = Spec.defaultSpec(rootless: false)
        spec.linux?.namespaces?.append(LinuxNamespace(type: "user", path: "/proc/1/ns/user"))
        XCTAssertNoThrow(try spec.validate(bundle: bundle.path))
    }

    func testMappingSizeMustBePositive() {
        check({ s in
            s.linux?.namespaces?.append(LinuxNamespace(type: "user"))
            s.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 0)]
            s.linux?.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        }, path: "linux.uidMappings[0].size", message: "greater than zero")
    }

    func testTimeOffsetsRequireTimeNamespace() {
        check({ $0.linux?.timeOffsets = ["monotonic": LinuxTimeOffset(secs: 1)] },
              path: "linux.timeOffsets", message: "requires a time namespace in linux.namespaces")
    }

    func testTimeOffsetClockAndNanoseconds() {
        check({ $0.linux?.namespaces?.append(LinuxNamespace(type: "time")); $0.linux?.timeOffsets = ["realtime": LinuxTimeOffset(secs: 1)] },
              path: #"linux.timeOffsets["realtime"]"#, message: "unknown clock")
        check({ $0.linux?.namespaces?.append(LinuxNamespace(type: "time")); $0.linux?.timeOffsets = ["boottime": LinuxTimeOffset(nanosecs: 1_000_000_000)] },
              path: #"linux.timeOffsets["boottime"].nanosecs"#, message: "not below")
    }

    func testDeviceTypeMustBeKnown() {
        check({ $0.linux?.devices = [LinuxDevice(path: "/dev/x", type: "x", major: 1, minor: 1)] },
              path: "linux.devices[0].type", message: "unknown device type \"x\"")
    }

    func testDevicePathMustBeAbsolute() {
        check({ $0.linux?.devices = [LinuxDevice(path: "/dev/a", type: "p"), LinuxDevice(path: "dev/x", type: "p")] },
              path: "linux.devices[1].path", message: "absolute")
    }

    func testDeviceMajorMinorRequiredExceptFifo() throws {
        check({ $0.linux?.devices = [LinuxDevice(path: "/dev/x", type: "c", minor: 1)] },
              path: "linux.devices[0].major", message: "required for device type \"c\"")
        check({ $0.linux?.devices = [LinuxDevice(path: "/dev/x", type: "b", major: 8)] },
              path: "linux.devices[0].minor", message: "required for device type \"b\"")
        var spec = Spec.defaultSpec(rootless: false)
        spec.linux?.devices = [LinuxDevice(path: "/dev/fifo", type: "p")]
        XCTAssertNoThrow(try spec.validate(bundle: bundle.path))
    }

    func testSysctlKeysMustNotBeEmpty() {
        check({ $0.linux?.sysctl = ["": "1"] }, path: #"linux.sysctl[""]"#, message: "empty sysctl name")
    }

    func testRootfsPropagationMustBeKnown() {
        check({ $0.linux?.rootfsPropagation = "slaved" }, path: "linux.rootfsPropagation", message: "unknown propagation \"slaved\"")
    }

    func testPersonalityAndMemoryPolicyNames() {
        check({ $0.linux?.personality = LinuxPersonality(domain: "LINUX64") }, path: "linux.personality.domain", message: "unknown domain")
        check({ $0.linux?.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_FAST") }, path: "linux.memoryPolicy.mode", message: "unknown mode")
    }

    func testMemoryPolicyNodesAndFlags() throws {
        XCTAssertEqual(try MemoryPolicyRules.nodes("0-2,5,1", path: "p"), [0, 1, 2, 5])
        XCTAssertEqual(try MemoryPolicyRules.nodes("", path: "p"), [])
        for bad in ["a", "0-", "-1", "1,,2", "2-1", "1024", "0-99999999999999999999"] {
            XCTAssertThrowsError(try MemoryPolicyRules.nodes(bad, path: "p"), bad)
        }
        let c = try MemoryPolicyRules.check(LinuxMemoryPolicy(mode: "MPOL_INTERLEAVE", nodes: "0-1", flags: ["MPOL_F_STATIC_NODES"]))
        XCTAssertEqual(c, MemoryPolicyRules.Checked(mode: 3, flags: 1 << 15, nodes: [0, 1]))
        check({ $0.linux?.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_BIND") }, path: "linux.memoryPolicy.nodes", message: "needs at least one node")
        check({ $0.linux?.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_DEFAULT", nodes: "0") }, path: "linux.memoryPolicy.nodes", message: "takes no nodes")
        check({ $0.linux?.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_X"]) },
              path: "linux.memoryPolicy.flags[0]", message: "unknown flag")
        check({ $0.linux?.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]) },
              path: "linux.memoryPolicy.flags", message: "exclude each other")
        check({ $0.linux?.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_PREFERRED", flags: ["MPOL_F_RELATIVE_NODES"]) },
              path: "linux.memoryPolicy.nodes", message: "needs a node")
    }

    func testSeccompDefaultActionMustBeKnown() {
        check({ $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_NOPE") },
              path: "linux.seccomp.defaultAction", message: "unknown action \"SCMP_ACT_NOPE\"")
    }

    func testSeccompSyscallActionMustBeKnown() {
        check({ $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            LinuxSyscall(names: ["read"], action: "SCMP_ACT_LOG"), LinuxSyscall(names: ["write"], action: "ALLOW")]) },
              path: "linux.seccomp.syscalls[1].action", message: "unknown action \"ALLOW\"")
    }

    func testSeccompArgOperatorAndIndex() {
        let arg = { (i: UInt32, op: String) in LinuxSeccompArg(index: i, value: 1, op: op) }
        check({ $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            LinuxSyscall(names: ["read"], action: "SCMP_ACT_ERRNO", args: [arg(0, "SCMP_CMP_EQ"), arg(1, "SCMP_CMP_EQUAL")])]) },
              path: "linux.seccomp.syscalls[0].args[1].op", message: "unknown operator \"SCMP_CMP_EQUAL\"")
        check({ $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            LinuxSyscall(names: ["read"], action: "SCMP_ACT_ERRNO", args: [arg(6, "SCMP_CMP_EQ")])]) },
              path: "linux.seccomp.syscalls[0].args[0].index", message: "out of range")
    }

    func testSeccompNamesFlagsArchitectures() {
        check({ $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [LinuxSyscall(names: [], action: "SCMP_ACT_LOG")]) },
              path: "linux.seccomp.syscalls[0].names", message: "at least one")
        check({ $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_TSYNCH"]) },
              path: "linux.seccomp.flags[0]", message: "unknown flag")
        check({ $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]) },
              path: "linux.seccomp.architectures[1]", message: "unknown architecture")
    }

    func testFirstErrorInDocumentOrderWins() {
        check({ $0.ociVersion = "x"; $0.linux?.namespaces?[0].type = "bogus" }, path: "ociVersion", message: "semantic")
    }
}
