import XCTest
@testable import OCIRuntime
import Spec

final class RootlessTests: XCTestCase {
    func testFlagValues() throws {
        XCTAssertTrue(try Rootless.resolve("true"))
        XCTAssertTrue(try Rootless.resolve("TRUE"))
        XCTAssertFalse(try Rootless.resolve("false"))
        XCTAssertEqual(try Rootless.resolve("auto"), Rootless.detect())
        XCTAssertEqual(try Rootless.resolve(nil), Rootless.detect())
        for bad in ["", "yes", "maybe", "2"] {
            XCTAssertThrowsError(try Rootless.resolve(bad), bad)
        }
    }

    /// As the host's root (these tests), XDG_RUNTIME_DIR (/run/user/0 in a root session) is not used.
    func testStateRootOfTheHostsRootIgnoresXDG() throws {
        try XCTSkipIf(geteuid() != 0 || Rootless.inUserNamespace(), "needs the host's root")
        let saved = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) }
        defer { if let saved { setenv("XDG_RUNTIME_DIR", saved, 1) } else { unsetenv("XDG_RUNTIME_DIR") } }
        setenv("XDG_RUNTIME_DIR", "/run/user/0", 1)
        XCTAssertEqual(Rootless.defaultStateRoot(), "/run/swrun")
        XCTAssertFalse(Rootless.detect())
    }

    /// Devices are runc's default rules in every config, not a limit; every other field is.
    func testFirstLimitIgnoresDevicesOnly() {
        var r = LinuxResources()
        r.devices = [LinuxDeviceCgroup(allow: false, access: "rwm")]
        XCTAssertNil(RootlessCgroup.firstLimit(r))
        r.pids = LinuxPids(limit: 10)
        XCTAssertEqual(RootlessCgroup.firstLimit(r), "pids")
        r.memory = LinuxMemory(limit: 1)
        XCTAssertEqual(RootlessCgroup.firstLimit(r), "memory")
        XCTAssertEqual(RootlessCgroup.firstLimit(LinuxResources(unified: ["memory.max": "1"])), "unified")
        XCTAssertNil(RootlessCgroup.firstLimit(LinuxResources(unified: [:])))
    }
}
