import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Spec

final class SpecDefaultConfigTests: XCTestCase {
    func testDefaultConfigMatchesRuncLayout() throws {
        let c = Spec.defaultConfig(rootless: false)
        XCTAssertEqual(c.objectValue?.map(\.0), ["ociVersion", "process", "root", "hostname", "mounts", "linux"])
        XCTAssertEqual(c["ociVersion"], "1.2.0")
        XCTAssertEqual(c["hostname"], "swrun")
        XCTAssertEqual(c["root"], ["path": "rootfs", "readonly": true])
        let p = try XCTUnwrap(c["process"])
        XCTAssertEqual(p["terminal"], true)
        XCTAssertEqual(p["user"], ["uid": 0, "gid": 0])
        XCTAssertEqual(p["args"], ["sh"])
        XCTAssertEqual(p["cwd"], "/")
        XCTAssertEqual(p["noNewPrivileges"], true)
        XCTAssertEqual(p["rlimits"], [["type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024]])
        let caps: JSONValue = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        XCTAssertEqual(p["capabilities"], ["bounding": caps, "effective": caps, "permitted": caps])
        XCTAssertEqual(c["mounts"]?.arrayValue?.compactMap { $0["destination"]?.stringValue },
                       ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])
        XCTAssertEqual(c["mounts"]?[2]?["options"],
                       ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
        let linux = try XCTUnwrap(c["linux"])
        XCTAssertEqual(linux["resources"], ["devices": [["allow": false, "access": "rwm"]]])
        XCTAssertEqual(linux["namespaces"]?.arrayValue?.compactMap { $0["type"]?.stringValue },
                       ["pid", "network", "ipc", "uts", "mount", "cgroup"])
        XCTAssertEqual(linux["maskedPaths"]?.arrayValue?.count, 10)
        XCTAssertEqual(linux["readonlyPaths"]?.arrayValue?.count, 5)
    }

    func testRootlessVariant() throws {
        let spec = Spec.defaultSpec(rootless: true)
        let linux = try XCTUnwrap(spec.linux)
        XCTAssertEqual(linux.namespaces?.map(\.type), ["pid", "ipc", "uts", "mount", "cgroup", "user"])
        XCTAssertEqual(linux.uidMappings, [LinuxIDMapping(containerID: 0, hostID: geteuid(), size: 1)])
        XCTAssertEqual(linux.gidMappings, [LinuxIDMapping(containerID: 0, hostID: getegid(), size: 1)])
        XCTAssertNil(linux.resources)
        let mounts = try XCTUnwrap(spec.mounts)
        XCTAssertFalse(mounts.contains { $0.destination == "/sys/fs/cgroup" })
        XCTAssertEqual(mounts.first { $0.destination == "/sys" },
                       Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
        XCTAssertEqual(mounts.first { $0.destination == "/dev/pts" }?.options,
                       ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"])
    }
}
