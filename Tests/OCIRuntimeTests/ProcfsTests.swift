import XCTest
@testable import OCIRuntime
import Glibc
import Spec

/// Procfs: the checked procfs handle every procfs write goes through (issue 12, classes 4-5).
final class ProcfsTests: XCTestCase {
    func testHostProcIsAccepted() throws {
        let proc = try Procfs.open(jsonPath: "x")
        defer { proc.close() }
        let fd = try proc.open("self/status", flags: O_RDONLY, jsonPath: "x")
        let text = String(decoding: try Sys.readAll(fd, what: "status"), as: UTF8.self)
        close(fd)
        XCTAssertTrue(text.contains("Pid:\t\(getpid())\n"), text)
    }

    func testADirectoryThatIsNotProcIsRefused() {
        XCTAssertThrowsError(try Procfs.open("/tmp", jsonPath: "mounts")) { e in
            let err = e as? RuntimeError
            XCTAssertEqual(err?.jsonPath, "mounts")
            XCTAssertTrue(err?.message.contains("not the root of a procfs") ?? false, "\(e)")
        }
    }

    func testASubdirectoryOfProcIsNotItsRoot() {
        // Right filesystem type, wrong inode: a bind of /proc/sys onto /proc would pass a
        // type check alone.
        XCTAssertThrowsError(try Procfs.open("/proc/sys", jsonPath: "mounts"))
    }

    func testEscapesAndSymlinksAreRefused() throws {
        let proc = try Procfs.open(jsonPath: "x")
        defer { proc.close() }
        for rel in ["../etc/hostname", "mounts", "self/root/etc/hostname", "/etc/hostname"] {
            XCTAssertThrowsError(try proc.open(rel, flags: O_RDONLY, jsonPath: "linux.sysctl.x"), rel) { e in
                XCTAssertEqual((e as? RuntimeError)?.jsonPath, "linux.sysctl.x")
            }
        }
    }
}
