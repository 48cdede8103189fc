import XCTest
@testable import OCIRuntime
import Spec

final class ContainerRecordTests: XCTestCase {
    func record(annotations: StringTable = ["org.example/z": "1", "a": "two \"quoted\"\n"]) -> ContainerRecord {
        ContainerRecord(ociVersion: "1.2.0", id: "c1", pid: 4321, pidStartTime: 123_456_789,
                        bundle: "/b/with space", rootfs: "/b/with space/rootfs",
                        created: "2024-05-01T10:20:30.123456789Z", owner: "root", annotations: annotations,
                        cgroupPaths: ["/sys/fs/cgroup/cpu/c1", "/sys/fs/cgroup/unified/c1"], ownPidNamespace: false,
                        hooks: ["poststop": [["path": "/bin/true", "args": ["true"], "timeout": 3]]],
                        hostMounts: true)
    }

    func testRoundTripThroughTheStateFile() throws {
        let r = record()
        let back = try ContainerRecord.fromJSON(try JSONValue.parse(r.toJSON().serialized()))
        XCTAssertEqual(back, r)
        XCTAssertEqual(back.id, "c1")
        XCTAssertEqual(back.pid, 4321)
        XCTAssertEqual(back.pidStartTime, 123_456_789)
        XCTAssertEqual(back.bundle, "/b/with space")
        XCTAssertEqual(back.annotations.keys, ["org.example/z", "a"])
        XCTAssertEqual(back.annotations.values, ["1", "two \"quoted\"\n"])
        XCTAssertEqual(back.cgroupPaths, r.cgroupPaths)
        XCTAssertFalse(back.ownPidNamespace)
        XCTAssertTrue(back.hostMounts)
        XCTAssertEqual(back.hooks?["poststop"]?[0]?["timeout"]?.intValue, 3)
    }

    func testRoundTripWithoutHooksOrAnnotations() throws {
        var r = record(annotations: [:])
        r.hooks = nil
        r.hostMounts = false
        r.ownPidNamespace = true
        let json = r.toJSON()
        XCTAssertNil(json["hooks"])
        let back = try ContainerRecord.fromJSON(try JSONValue.parse(json.serialized()))
        XCTAssertEqual(back, r)
        XCTAssertNil(back.hooks)
    }

    func testDefaultsForFieldsOlderStateFilesLack() throws {
        let minimal: JSONValue = ["ociVersion": "1.0.2", "id": "old", "pid": 7, "pidStartTime": 9, "bundle": "/b",
                                  "rootfs": "/b/r", "created": "2020-01-01T00:00:00Z"]
        let r = try ContainerRecord.fromJSON(minimal)
        XCTAssertEqual(r.owner, "")
        XCTAssertEqual(r.annotations.count, 0)
        XCTAssertEqual(r.cgroupPaths, [])
        XCTAssertTrue(r.ownPidNamespace)
        XCTAssertFalse(r.hostMounts)
        XCTAssertNil(r.hooks)
    }

    func testMissingFieldsAreErrors() {
        XCTAssertEqual(expectError { () throws(RuntimeError) in
            try ContainerRecord.fromJSON(["id": "x", "pidStartTime": 1])
        }?.message, "missing pid")
        var j = record().toJSON()
        if case .object(let members) = j { j = .object(members.filter { $0.0 != "bundle" }) }
        XCTAssertEqual(expectError { () throws(RuntimeError) in try ContainerRecord.fromJSON(j) }?.message,
                       "missing bundle")
    }

    /// A damaged state.json gives an error, never a trap (SIGILL) on a narrowing conversion.
    func testOutOfRangeNumbersAreErrors() {
        for (field, value, text) in [("pid", Int64(1) << 40, "pid 1099511627776 is not a process ID"),
                                     ("pid", -1, "pid -1 is not a process ID"),
                                     ("pidStartTime", -1, "pidStartTime -1 is out of range")] {
            var j = record().toJSON()
            if case .object(let members) = j { j = .object(members.map { $0.0 == field ? ($0.0, .int(value)) : $0 }) }
            XCTAssertEqual(expectError { () throws(RuntimeError) in try ContainerRecord.fromJSON(j) }?.message, text)
        }
    }

    func testPublicStateWhileRunning() {
        let s = record().publicState(status: .running)
        XCTAssertEqual(s.objectValue?.map(\.0),
                       ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner", "annotations"])
        XCTAssertEqual(s["pid"], 4321)
        XCTAssertEqual(s["status"], "running")
        XCTAssertEqual(s["annotations"], ["org.example/z": "1", "a": "two \"quoted\"\n"])
        // Internal bookkeeping stays private.
        XCTAssertNil(s["pidStartTime"])
        XCTAssertNil(s["cgroupPaths"])
        XCTAssertNil(s["hooks"])
    }

    func testPublicStateStoppedHasPidZeroAndNoEmptyAnnotations() {
        let s = record(annotations: [:]).publicState(status: .stopped)
        XCTAssertEqual(s["pid"], 0)
        XCTAssertEqual(s["status"], "stopped")
        XCTAssertNil(s["annotations"])
        for status in [ContainerStatus.creating, .created, .paused] {
            XCTAssertEqual(record().publicState(status: status)["pid"], 4321, status.rawValue)
        }
    }
}
