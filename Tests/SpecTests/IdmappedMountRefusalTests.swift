import XCTest
@testable import Spec

extension SpecValidationTests {
    /// Not built yet, so refused by field rather than mounted without the mapping.
    func testIdmappedMountsAreRefusedByField() {
        let map = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)]
        let cases: [(Mount, String)] = [
            (Mount(destination: "/a", type: "bind", source: "/x", options: ["rbind"], uidMappings: map), "mounts[3].uidMappings"),
            (Mount(destination: "/a", type: "bind", source: "/x", options: ["rbind"], gidMappings: map), "mounts[3].gidMappings"),
            (Mount(destination: "/a", type: "bind", source: "/x", options: ["rbind", "idmap"]), "mounts[3].options"),
            (Mount(destination: "/a", type: "bind", source: "/x", options: ["ridmap"]), "mounts[3].options"),
        ]
        for (m, path) in cases {
            XCTAssertThrowsError(try Spec.refuseIdmappedMount(m, path: "mounts[3]")) { e in
                XCTAssertEqual((e as? RuntimeError)?.jsonPath, path)
            }
        }
        XCTAssertNoThrow(try Spec.refuseIdmappedMount(Mount(destination: "/a", type: "bind", source: "/x",
                                                            options: ["rbind", "rro"]), path: "mounts[0]"))
    }
}
