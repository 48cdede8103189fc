import XCTest
@testable import OCIRuntime
@testable import Spec

/// issue 12, class 6: `unified` only on a pure v2 host, and never the cgroup's own files.
final class CgroupUnifiedHostTests: XCTestCase {
    let pureV2 = [CgroupHierarchy(mountPoint: "/sys/fs/cgroup", mountRoot: "/", controllers: [], isV2: true, ownPath: "/")]
    let hybrid = [
        CgroupHierarchy(mountPoint: "/sys/fs/cgroup/memory", mountRoot: "/", controllers: ["memory"], isV2: false, ownPath: "/"),
        CgroupHierarchy(mountPoint: "/sys/fs/cgroup/unified", mountRoot: "/", controllers: [], isV2: true, ownPath: "/"),
    ]
    let v1Only = [CgroupHierarchy(mountPoint: "/sys/fs/cgroup/memory", mountRoot: "/", controllers: ["memory"], isV2: false, ownPath: "/")]

    func refusal(_ r: LinuxResources?, _ h: [CgroupHierarchy], path: String = "linux.resources") -> RuntimeError? {
        do { try CgroupUnifiedHost.refuseUnifiedUnlessPureV2(r, hierarchies: h, path: path); return nil } catch { return error }
    }

    func testUnifiedOnlyOnAPureV2Host() {
        let r = LinuxResources(unified: ["memory.high": "1"])
        XCTAssertNil(refusal(r, pureV2))
        for h in [hybrid, v1Only, []] {
            XCTAssertEqual(refusal(r, h)?.jsonPath, "linux.resources.unified")
        }
        XCTAssertEqual(refusal(r, hybrid, path: "resources")?.jsonPath, "resources.unified")
    }

    func testNoUnifiedIsFineAnywhere() {
        for h in [pureV2, hybrid, v1Only, []] {
            XCTAssertNil(refusal(nil, h))
            XCTAssertNil(refusal(LinuxResources(), h))
            XCTAssertNil(refusal(LinuxResources(unified: [:]), h))
        }
    }

    /// The cgroupfs driver refuses by itself on a hybrid host, before it writes anything.
    func testCgroupFSApplyRefusesUnifiedOnHybrid() throws {
        let fs = try CgroupFS(hierarchies: hybrid, cgroupsPath: "/swrun-test-never-created", id: "x")
        XCTAssertThrowsError(try fs.apply(LinuxResources(unified: ["memory.high": "1"]))) {
            XCTAssertEqual(($0 as? RuntimeError)?.jsonPath, "linux.resources.unified")
        }
    }

    /// Every driver's write plan refuses the cgroup's own interface files.
    func testWritePlanRefusesCgroupInterfaceFiles() {
        for key in ["cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze", "cgroup.subtree_control",
                    "cgroup.type", "cgroup.max.depth", "cgroup.max.descendants"] {
            XCTAssertThrowsError(try CgroupV2Files.plan(for: LinuxResources(unified: [key: "1"])), key) {
                XCTAssertEqual(($0 as? RuntimeError)?.jsonPath, "linux.resources.unified[\"\(key)\"]")
            }
        }
    }
}
