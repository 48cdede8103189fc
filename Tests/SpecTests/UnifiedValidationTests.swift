import XCTest
@testable import Spec

/// issue 12, class 6: `unified` keys are resource files of the container's own cgroup.
extension SpecValidationTests {
    static let cgroupInterfaceFiles = [
        "cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill", "cgroup.freeze",
        "cgroup.type", "cgroup.max.depth", "cgroup.max.descendants", "cgroup.pressure", "cgroup.stat",
        "cgroup.events", "cgroup.controllers", "cgroup.anything",
    ]

    func testUnifiedRefusesTheCgroupsOwnInterface() {
        for key in Self.cgroupInterfaceFiles {
            check({ $0.linux?.resources = LinuxResources(unified: ["memory.high": "1", key: "1"]) },
                  path: "linux.resources.unified[\"\(key)\"]", message: "cgroup.* files are the cgroup's own interface")
            let r = LinuxResources(unified: [key: "1"])
            let err = expectError({ () throws(RuntimeError) in try r.refuseUnifiedOutsideLimits(path: "linux.resources") })
            XCTAssertEqual(err?.jsonPath, "linux.resources.unified[\"\(key)\"]")
        }
    }

    func testUnifiedRefusesNamesOutsideTheDirectory() {
        for key in ["", "/memory.max", "../memory.max", "a/b.max", "memory..max", ".memory", "memory", "memory.max\u{0}x",
                    "memory.max ", "mémoire.max"] {
            check({ $0.linux?.resources = LinuxResources(unified: [key: "1"]) },
                  path: JSONPath.key("linux.resources.unified", key), message: "must be a cgroup interface file name")
        }
    }

    func testUnifiedResourceKnobsPass() throws {
        var spec = Spec.defaultSpec(rootless: false)
        spec.linux?.resources = LinuxResources(unified: [
            "memory.high": "max", "memory.oom.group": "1", "pids.max": "7", "io.latency": "8:0 target=10",
            "cpu.max.burst": "0", "cpuset.cpus.partition": "member", "hugetlb.2MB.max": "0", "cpu.uclamp.min": "0",
        ])
        XCTAssertNoThrow(try spec.validate(bundle: bundle.path))
    }
}
