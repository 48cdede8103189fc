import XCTest
@testable import OCIRuntime
import Spec

final class SystemdCgroupsPathTests: XCTestCase {
    func testAbsentOrEmptyPathUsesDefaultsAndTheID() throws {
        for given in [nil, ""] as [String?] {
            let p = try SystemdCgroupsPath.parse(given, id: "c1")
            XCTAssertEqual(p, SystemdCgroupsPath(slice: "system.slice", name: "c1", unit: "swrun-c1.scope",
                                                 cgroup: "/system.slice/swrun-c1.scope"))
            XCTAssertFalse(p.isSlice)
        }
    }

    func testSlicePrefixName() throws {
        let p = try SystemdCgroupsPath.parse("machine.slice:libpod:abc", id: "ignored")
        XCTAssertEqual(p.slice, "machine.slice")
        XCTAssertEqual(p.name, "abc")
        XCTAssertEqual(p.unit, "libpod-abc.scope")
        XCTAssertEqual(p.cgroup, "/machine.slice/libpod-abc.scope")
    }

    func testEmptySliceIsTheDefaultButEmptyPrefixAndNameStayAsRuncKeepsThem() throws {
        XCTAssertEqual(try SystemdCgroupsPath.parse(":p:n", id: "x").cgroup, "/system.slice/p-n.scope")
        XCTAssertEqual(try SystemdCgroupsPath.parse("a.slice::n", id: "x").unit, "-n.scope")
        XCTAssertEqual(try SystemdCgroupsPath.parse("a.slice:p:", id: "x").unit, "p-.scope")
    }

    func testNestedSliceExpands() throws {
        let p = try SystemdCgroupsPath.parse("a-b-c.slice:swrun:c1", id: "c1")
        XCTAssertEqual(p.slice, "a-b-c.slice")
        XCTAssertEqual(p.cgroup, "/a.slice/a-b.slice/a-b-c.slice/swrun-c1.scope")
    }

    func testRootlessDefaultSliceIsTheUsersOwn() throws {
        // In a user's manager, as runc's rootless default.
        XCTAssertEqual(try SystemdCgroupsPath.parse(nil, id: "c1", defaultSlice: "user.slice").cgroup,
                       "/user.slice/swrun-c1.scope")
        XCTAssertEqual(try SystemdCgroupsPath.parse(":p:n", id: "x", defaultSlice: "user.slice").cgroup,
                       "/user.slice/p-n.scope")
    }

    func testUnitCgroupBelowAUsersManager() throws {
        XCTAssertEqual(try SystemdCgroup.below("/user.slice/user-1000.slice/user@1000.service", "/user.slice/p-n.scope"),
                       "/user.slice/user-1000.slice/user@1000.service/user.slice/p-n.scope")
        XCTAssertEqual(try SystemdCgroup.below("/", "/user.slice/p-n.scope"), "/user.slice/p-n.scope")
        for bad in ["", "relative/x", "/a/../b", "/a/./b"] {
            XCTAssertThrowsError(try SystemdCgroup.below(bad, "/user.slice/p-n.scope"), bad)
        }
    }

    func testRootSlice() throws {
        XCTAssertEqual(try SystemdCgroupsPath.expandSlice("-.slice"), "/")
        XCTAssertEqual(try SystemdCgroupsPath.parse("-.slice:p:n", id: "x").cgroup, "/p-n.scope")
    }

    func testNameEndingInSliceIsTheUnitItself() throws {
        let p = try SystemdCgroupsPath.parse("system.slice:p:my.slice", id: "x")
        XCTAssertTrue(p.isSlice)
        XCTAssertEqual(p.unit, "my.slice")
        XCTAssertEqual(p.cgroup, "/system.slice/my.slice")
    }

    func testInvalidSlicesAreRefusedWithRuncsMessage() {
        for bad in ["a--b.slice", "-a.slice", "a-.slice", ".slice", "a.scope", "a/b.slice", "slice", ""] {
            guard let e = expectError({ () throws(RuntimeError) in try SystemdCgroupsPath.expandSlice(bad) }) else { continue }
            XCTAssertEqual(e.jsonPath, "linux.cgroupsPath", bad)
            XCTAssertEqual(e.message, "invalid slice name: \(bad)")
        }
        let e = expectError({ () throws(RuntimeError) in try SystemdCgroupsPath.parse("x--y.slice:p:n", id: "i") })
        XCTAssertEqual(e?.message, "invalid slice name: x--y.slice")
    }

    func testWrongNumberOfPartsIsAConfigError() {
        for bad in ["system.slice", "a.slice:b", "a.slice:b:c:d", "/sys/fs/cgroup/x"] {
            let e = expectError({ () throws(RuntimeError) in try SystemdCgroupsPath.parse(bad, id: "i") })
            XCTAssertEqual(e?.jsonPath, "linux.cgroupsPath", bad)
            XCTAssertTrue(e?.message.contains("slice:prefix:name") ?? false, bad)
        }
    }

    func testSlashInPrefixOrNameCannotEscapeTheSlice() {
        for bad in ["system.slice:p:../../etc", "system.slice:a/b:n"] {
            let e = expectError({ () throws(RuntimeError) in try SystemdCgroupsPath.parse(bad, id: "i") })
            XCTAssertEqual(e?.jsonPath, "linux.cgroupsPath", bad)
        }
    }
}
