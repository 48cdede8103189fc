import XCTest
@testable import OCIRuntime
import Spec

final class SyncMessageTests: XCTestCase {
    func roundTrip(_ m: SyncMessage) throws -> SyncMessage? {
        SyncMessage.fromJSON(try JSONValue.parse(m.toJSON().serialized()))
    }

    func testEveryCaseRoundTrips() throws {
        let all: [SyncMessage] = [
            .proceed, .mapIDs, .idsMapped, .initPid(12345), .initPid(1), .ready, .runHooks, .hooksDone(4242),
            .moveNetDevices, .netDevicesMoved, .joinCgroup, .cgroupJoined,
            .warning("disk \"almost\" full\n\u{1}é"), .warning(""),
            .failure(RuntimeError("mount proc on /proc", jsonPath: "mounts[3]", syscall: "mount", errno: 13,
                                  hint: "use a user namespace")),
            .failure(RuntimeError("plain")),
            .failure(RuntimeError("empty path", jsonPath: "")),
        ]
        for m in all {
            XCTAssertEqual(try roundTrip(m), m, "\(m)")
        }
        XCTAssertEqual(Set(all.map(Self.caseName)), Set(Self.caseNames), "a case is missing from this test")
    }

    /// Exhaustive on purpose: a new case stops this file compiling until it is tested above.
    static func caseName(_ m: SyncMessage) -> String {
        switch m {
        case .proceed: return "proceed"
        case .mapIDs: return "mapIDs"
        case .idsMapped: return "idsMapped"
        case .initPid: return "initPid"
        case .runHooks: return "runHooks"
        case .hooksDone: return "hooksDone"
        case .ready: return "ready"
        case .moveNetDevices: return "moveNetDevices"
        case .netDevicesMoved: return "netDevicesMoved"
        case .joinCgroup: return "joinCgroup"
        case .cgroupJoined: return "cgroupJoined"
        case .warning: return "warning"
        case .failure: return "failure"
        }
    }
    static let caseNames = ["proceed", "mapIDs", "idsMapped", "initPid", "runHooks", "hooksDone", "ready", "moveNetDevices", "netDevicesMoved",
                            "joinCgroup", "cgroupJoined", "warning", "failure"]

    /// A PID or errno beyond Int32 in a message is refused, not trapped on.
    func testOutOfRangeNumbersAreNotMessages() throws {
        XCTAssertNil(SyncMessage.fromJSON(try JSONValue.parse(#"{"t":"initPid","pid":4294967296}"#)))
        XCTAssertNil(SyncMessage.fromJSON(try JSONValue.parse(#"{"t":"hooksDone","pid":-4294967296}"#)))
        guard case .failure(let e)? = SyncMessage.fromJSON(try JSONValue.parse(#"{"t":"failure","msg":"m","errno":99999999999}"#))
        else { return XCTFail("not a failure") }
        XCTAssertNil(e.errno)
    }

    func testFailureKeepsEveryField() throws {
        let e = RuntimeError("set hostname", jsonPath: "hostname", syscall: "sethostname", errno: 1, hint: "h")
        guard case .failure(let back)? = try roundTrip(.failure(e)) else { return XCTFail("not a failure") }
        XCTAssertEqual(back.message, "set hostname")
        XCTAssertEqual(back.jsonPath, "hostname")
        XCTAssertEqual(back.syscall, "sethostname")
        XCTAssertEqual(back.errno, 1)
        XCTAssertEqual(back.hint, "h")
        XCTAssertEqual(back.description, e.description)
    }

    func testAbsentFieldsStayAbsent() throws {
        guard case .failure(let back)? = try roundTrip(.failure(RuntimeError("m"))) else { return XCTFail() }
        XCTAssertNil(back.jsonPath)
        XCTAssertNil(back.syscall)
        XCTAssertNil(back.errno)
        XCTAssertNil(back.hint)
    }

    func testUnknownOrMalformedMessages() {
        XCTAssertNil(SyncMessage.fromJSON(["t": "bogus"]))
        XCTAssertNil(SyncMessage.fromJSON(["x": "proceed"]))
        XCTAssertNil(SyncMessage.fromJSON(["t": "initPid"]))
        XCTAssertNil(SyncMessage.fromJSON(["t": "hooksDone", "pid": "12"]))
        XCTAssertNil(SyncMessage.fromJSON(.array([])))
    }

    func testOverTheSocketPair() throws {
        let (parent, child) = try SyncChannel.pair()
        defer { parent.close() }
        try child.send(.initPid(77))
        XCTAssertEqual(try parent.receive(), .initPid(77))
        try parent.send(.proceed)
        XCTAssertNoThrow(try child.expect(.proceed, during: "test"))
        let e = RuntimeError("boom", jsonPath: "process.args", syscall: "execve", errno: 2)
        try child.send(.failure(e))
        XCTAssertEqual(expectError { () throws(RuntimeError) in try parent.expect(.ready, during: "x") }, e)
        try child.send(.ready)
        XCTAssertEqual(expectError { () throws(RuntimeError) in try parent.expect(.proceed, during: "setup") }?.message,
                       "unexpected message during setup")
        child.close()
        XCTAssertNil(try parent.receive())
    }
}
