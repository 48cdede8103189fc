import XCTest
@testable import Spec

extension SpecValidationTests {
    func testIdmappedMountValidation() {
        let map = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)]
        let bad: [(Mount, String)] = [
            (Mount(destination: "/a", type: "bind", source: "/x", options: ["rbind", "idmap"], uidMappings: map), "mounts[3].gidMappings"),
            (Mount(destination: "/a", type: "bind", source: "/x", options: ["rbind"], gidMappings: map), "mounts[3].uidMappings"),
            (Mount(destination: "/a", type: "tmpfs", source: "tmpfs", options: ["idmap"], uidMappings: map, gidMappings: map), "mounts[3].options"),
            (Mount(destination: "/a", type: "bind", source: "/x", options: ["idmap"], uidMappings: [], gidMappings: map), "mounts[3].uidMappings"),
            (Mount(destination: "/a", type: "bind", source: "/x", options: ["idmap"],
                   uidMappings: [LinuxIDMapping(containerID: 0, hostID: 1, size: 0)], gidMappings: map), "mounts[3].uidMappings[0].size"),
        ]
        for (m, path) in bad {
            XCTAssertThrowsError(try Spec.validateIdmappedMount(m, path: "mounts[3]")) { e in
                XCTAssertEqual((e as? RuntimeError)?.jsonPath, path)
            }
        }
        for good in [Mount(destination: "/a", type: "bind", source: "/x", options: ["rbind", "idmap"], uidMappings: map, gidMappings: map),
                     Mount(destination: "/a", source: "/x", options: ["rbind", "ridmap"]),
                     Mount(destination: "/a", type: "bind", source: "/x", options: ["rbind", "rro"])] {
            XCTAssertNoThrow(try Spec.validateIdmappedMount(good, path: "mounts[0]"))
        }
    }

    func testIdmapWithoutMappingsNeedsTheContainersOwn() {
        var s = Spec.defaultSpec(rootless: false)
        s.mounts = (s.mounts ?? []) + [Mount(destination: "/a", type: "bind", source: "/x", options: ["rbind", "idmap"])]
        XCTAssertThrowsError(try s.validateIdmappedMountsNeedMappings())
        s.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)]
        s.linux?.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)]
        XCTAssertNoThrow(try s.validateIdmappedMountsNeedMappings())
    }
}
