import XCTest
@testable import OCIRuntime
import CSyscalls
import Spec

/// The device rules enforced by the kernel: a shell moved into a temporary cgroup tries
/// /dev/null and /dev/zero. Needs root and the host's cgroup mounts (v2 at
/// /sys/fs/cgroup/unified on the hybrid test hosts, or /sys/fs/cgroup on a pure v2 host; the
/// v1 devices hierarchy for the v1 test).
final class DeviceCgroupRootTests: XCTestCase {
    /// Denies writing /dev/null and nothing else.
    static let denyNullWrite = [LinuxDeviceCgroup(allow: true, access: "rwm"),
                                LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "w")]

    /// What the probe printed: it joins the cgroup, then reports each access.
    static let probe = """
        echo $$ > "$1/cgroup.procs" || exit 90
        if echo x > /dev/null; then echo null-write-ok; fi
        if cat /dev/null; then echo null-read-ok; fi
        if [ "$(head -c 4 /dev/zero | wc -c)" = 4 ]; then echo zero-read-ok; fi
        """

    func probe(in cgroup: String) throws -> String {
        let out = "/tmp/swrun-devprobe-\(getpid()).out"
        defer { unlink(out) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let args = ["sh", "-c", Self.probe, "probe", cgroup]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/bin:/bin"), nil]
        defer { free(envp[0]) }
        var pid: pid_t = 0
        XCTAssertEqual(posix_spawn(&pid, "/bin/sh", &actions, nil, &argv, &envp), 0)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        XCTAssertEqual(status, 0, "probe exit status")
        return try Sys.readString(out)
    }

    func temporaryCgroup(under root: String) throws -> String {
        guard getuid() == 0 else { throw XCTSkip("needs root") }
        guard Sys.isDirectory(root) else { throw XCTSkip("no cgroup hierarchy at \(root)") }
        let dir = root + "/swrun-devtest-\(getpid())"
        try Sys.check("mkdir", "mkdir \(dir)") { mkdir(dir, 0o755) }
        addTeardownBlock { try? CgroupManagers.removeDirectory(dir) }
        return dir
    }

    static var v2Root: String {
        Sys.isDirectory("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup"
    }

    func testBPFFilterIsEnforcedAndReplacedOnUpdate() throws {
        guard access(Self.v2Root + "/cgroup.controllers", F_OK) == 0 else { throw XCTSkip("no cgroup2 tree") }
        let dir = try temporaryCgroup(under: Self.v2Root)

        try DeviceFilter.apply(cgroupDirectory: dir, rules: Self.denyNullWrite)
        var out = try probe(in: dir)
        XCTAssertTrue(out.contains("/dev/null: Operation not permitted"), out)
        XCTAssertFalse(out.contains("null-write-ok"), out)
        XCTAssertTrue(out.contains("null-read-ok"), out)
        XCTAssertTrue(out.contains("zero-read-ok"), out)
        XCTAssertEqual(try attachedCount(dir), 1)

        // Update: the new program replaces the old one; exactly one stays attached.
        try DeviceFilter.apply(cgroupDirectory: dir, rules: [LinuxDeviceCgroup(allow: true, access: "rwm")])
        XCTAssertEqual(try attachedCount(dir), 1)
        out = try probe(in: dir)
        XCTAssertTrue(out.contains("null-write-ok"), out)

        // Default deny with runc's defaults: /dev/null and /dev/zero stay usable.
        let defaults = DeviceRules.effective(spec: DeviceRulesTests.spec(rules: [LinuxDeviceCgroup(allow: false, access: "rwm")]))
        try DeviceFilter.apply(cgroupDirectory: dir, rules: defaults)
        XCTAssertEqual(try attachedCount(dir), 1)
        out = try probe(in: dir)
        XCTAssertTrue(out.contains("null-write-ok") && out.contains("zero-read-ok"), out)

        // And everything denied: the shell cannot even open /dev/null.
        try DeviceFilter.apply(cgroupDirectory: dir, rules: [])
        out = try probe(in: dir)
        XCTAssertFalse(out.contains("null-write-ok") || out.contains("null-read-ok") || out.contains("zero-read-ok"), out)
    }

    func testAProgramAttachedWithoutMultiIsReplaced() throws {
        guard access(Self.v2Root + "/cgroup.controllers", F_OK) == 0 else { throw XCTSkip("no cgroup2 tree") }
        let dir = try temporaryCgroup(under: Self.v2Root)
        // As another manager might have left it: one program, attached with flags 0.
        let prog = try DeviceFilter.load(DeviceFilterProgram.instructions(try DeviceRule.parse(Self.denyNullWrite)))
        defer { close(prog) }
        let fd = open(dir, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        XCTAssertEqual(sw_bpf_attach_device_prog(fd, prog, 0), 0, String(cString: strerror(errno)))
        XCTAssertFalse(try probe(in: dir).contains("null-write-ok"))

        try DeviceFilter.apply(cgroupDirectory: dir, rules: [LinuxDeviceCgroup(allow: true, access: "rwm")])
        XCTAssertEqual(try attachedCount(dir, flags: 0), 1)
        XCTAssertTrue(try probe(in: dir).contains("null-write-ok"))
    }

    func attachedCount(_ dir: String, flags want: UInt32 = DeviceFilter.allowMulti) throws -> Int {
        let fd = open(dir, O_RDONLY | O_DIRECTORY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let (flags, ids) = try DeviceFilter.attached(fd, dir)
        XCTAssertEqual(flags, want)
        return ids.count
    }

    func testAnUnusableCgroupDirectoryIsAClearError() {
        let err = expectError { () throws(RuntimeError) in
            try DeviceFilter.apply(cgroupDirectory: "/nonexistent/cgroup", rules: [])
        }
        XCTAssertEqual(err?.errno, ENOENT)
        XCTAssertTrue(err?.description.contains("/nonexistent/cgroup") ?? false)
    }

    func testAVerifierRejectionCarriesTheVerifierLog() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root") }
        // A device program must return 0 or 1.
        let bad = [BPFInstruction(code: BPFInstruction.movK, dst: 0, imm: 2), BPFInstruction(code: BPFInstruction.exit)]
        let err = expectError { () throws(RuntimeError) in try DeviceFilter.load(bad) }
        XCTAssertEqual(err?.errno, EINVAL)
        XCTAssertTrue(err?.hint?.hasPrefix("verifier: ") ?? false, err?.description ?? "")
        XCTAssertTrue(err?.hint?.contains("R0") ?? false, err?.description ?? "")
    }

    func testV1WriterIsEnforcedAndUpdatable() throws {
        let dir = try temporaryCgroup(under: "/sys/fs/cgroup/devices")
        let defaults = DeviceRules.effective(spec: DeviceRulesTests.spec(rules: [LinuxDeviceCgroup(allow: false, access: "rwm")]))
        try DeviceRules.applyV1(directory: dir, rules: defaults)
        XCTAssertEqual(try Sys.readString(dir + "/devices.list").split(separator: "\n").sorted(),
                       DeviceRulesTests.defaultLines.map { Substring($0) }.sorted())

        // Update to a list without /dev/null.
        let noNull = DeviceRules.effective(spec: DeviceRulesTests.spec(
            rules: [LinuxDeviceCgroup(allow: false, access: "rwm")],
            devices: [LinuxDevice(path: "/dev/null", type: "c", major: 1, minor: 3)]))
        try DeviceRules.applyV1(directory: dir, rules: noNull)
        XCTAssertFalse(try Sys.readString(dir + "/devices.list").contains("c 1:3"))
        var out = try probe(in: dir)
        XCTAssertFalse(out.contains("null-write-ok") || out.contains("null-read-ok"), out)
        XCTAssertTrue(out.contains("zero-read-ok"), out)

        // Allow-all first, then a deny: the cgroup lists itself as "a *:* rwm".
        try DeviceRules.applyV1(directory: dir, rules: Self.denyNullWrite)
        XCTAssertEqual(try Sys.readString(dir + "/devices.list"), "a *:* rwm\n")
        out = try probe(in: dir)
        XCTAssertFalse(out.contains("null-write-ok"), out)
        XCTAssertTrue(out.contains("null-read-ok") && out.contains("zero-read-ok"), out)

        // And back to an allowlist.
        try DeviceRules.applyV1(directory: dir, rules: defaults)
        XCTAssertEqual(try Sys.readString(dir + "/devices.list").split(separator: "\n").sorted(),
                       DeviceRulesTests.defaultLines.map { Substring($0) }.sorted())
    }
}
