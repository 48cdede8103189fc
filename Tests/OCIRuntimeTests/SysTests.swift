#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import OCIRuntime
import Spec

final class SysTests: XCTestCase {
    func testClean() {
        let cases: [(String, String)] = [
            ("/a/b/../c", "/a/c"), ("/../a", "/a"), ("/..", "/"), ("/", "/"), ("//a//b/", "/a/b"),
            ("/a/./b/.", "/a/b"), ("a/../../b", "../b"), ("a/..", "."), ("", "."), ("./", "."),
            ("../../x", "../../x"), ("a/b/../../..", ".."), ("/a/b/c/../../d", "/a/d"), ("...", "..."),
        ]
        for (input, want) in cases {
            XCTAssertEqual(Sys.clean(input), want, input)
        }
    }

    func testJoin() {
        XCTAssertEqual(Sys.join("/a", "b"), "/a/b")
        XCTAssertEqual(Sys.join("/a/", "b"), "/a/b")
        XCTAssertEqual(Sys.join("/a", "/b"), "/a/b")
        XCTAssertEqual(Sys.join("/a/", "/b/c"), "/a/b/c")
        XCTAssertEqual(Sys.join("/", "/etc"), "/etc")
        XCTAssertEqual(Sys.join("rootfs", "proc"), "rootfs/proc")
    }

    func testDirname() {
        XCTAssertEqual(Sys.dirname(of: "/a/b"), "/a")
        XCTAssertEqual(Sys.dirname(of: "/a"), "/")
        XCTAssertEqual(Sys.dirname(of: "/"), "/")
        XCTAssertEqual(Sys.dirname(of: "a"), ".")
        XCTAssertEqual(Sys.dirname(of: "a/b/c"), "a/b")
        XCTAssertEqual(Sys.dirname(of: "/sys/fs/cgroup/memory/c1"), "/sys/fs/cgroup/memory")
    }

    func testAbsolutePath() {
        XCTAssertEqual(Sys.absolutePath("/x/../y"), "/y")
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        let cwd = String(cString: getcwd(&buf, buf.count))
        XCTAssertEqual(Sys.absolutePath("sub/./dir"), Sys.clean(cwd + "/sub/dir"))
    }

    func testFilesRoundTripAndMkdirAll() throws {
        var template = Array("/tmp/swrun-sys-XXXXXX".utf8CString)
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
        defer { Sys.removeAll(dir) }
        try Sys.mkdirAll(dir + "/a/b/c")
        XCTAssertTrue(Sys.isDirectory(dir + "/a/b/c"))
        try Sys.mkdirAll(dir + "/a/b/c")
        try Sys.writeAtomically(dir + "/a/state.json", "{\"x\":1}")
        XCTAssertEqual(try Sys.readString(dir + "/a/state.json"), "{\"x\":1}")
        XCTAssertFalse(Sys.exists(dir + "/a/state.json.tmp"))
        try Sys.writeFile(dir + "/a/f", "long text")
        try Sys.writeFile(dir + "/a/f", "short")
        XCTAssertEqual(try Sys.readString(dir + "/a/f"), "short")
        XCTAssertEqual(Sys.listDirectory(dir + "/a"), ["b", "f", "state.json"])
        let err = expectError { () throws(RuntimeError) in try Sys.readFile(dir + "/missing") }
        XCTAssertEqual(err?.errno, ENOENT)
        XCTAssertEqual(err?.syscall, "open")
        Sys.removeAll(dir)
        XCTAssertFalse(Sys.exists(dir))
    }

    func testWriteAtomicallyReplacesAFileAndNeverADirectory() throws {
        var template = Array("/tmp/swrun-sys-XXXXXX".utf8CString)
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
        defer { Sys.removeAll(dir) }
        let f = dir + "/state.json"
        try Sys.writeAtomically(f, "one")  // nothing there yet: plain rename
        var before = stat()
        XCTAssertEqual(lstat(f, &before), 0)
        try Sys.writeAtomically(f, "two, longer")  // over a regular file: exchanged
        XCTAssertEqual(try Sys.readString(f), "two, longer")
        var after = stat()
        XCTAssertEqual(lstat(f, &after), 0)
        XCTAssertNotEqual(before.st_ino, after.st_ino, "a new file, not the old one rewritten")
        XCTAssertEqual(after.st_mode & 0o777, 0o600)
        XCTAssertEqual(Sys.listDirectory(dir), ["state.json"])  // the old file and .tmp are gone
        // A directory in the way is an error, as with rename, and nothing is left behind.
        try Sys.mkdirAll(dir + "/d")
        let err = expectError { () throws(RuntimeError) in try Sys.writeAtomically(dir + "/d", "x") }
        XCTAssertEqual(err?.syscall, "rename")
        XCTAssertTrue(Sys.isDirectory(dir + "/d"))
        XCTAssertEqual(Sys.listDirectory(dir), ["d", "state.json"])
    }

    func testRlimitsFormat() {
        XCTAssertEqual(Rlimits.format(UInt64.max), "unlimited")
        XCTAssertEqual(Rlimits.format(1024), "1024")
        XCTAssertEqual(Rlimits.format(0), "0")
        XCTAssertEqual(Rlimits.shortName("RLIMIT_NOFILE"), "nofile")
        XCTAssertEqual(Rlimits.shortName("CORE"), "core")
        XCTAssertEqual(Spec.rlimitNumber("RLIMIT_NOFILE"), 7)
        XCTAssertEqual(Spec.rlimitNumber("RLIMIT_RTTIME"), 15)
        XCTAssertNil(Spec.rlimitNumber("RLIMIT_BOGUS"))
        XCTAssertEqual(Spec.rlimitNames.count, 16)
    }

    func testRlimitsUnknownTypeNamesItsPath() {
        let err = expectError { () throws(RuntimeError) in
            try Rlimits.apply([POSIXRlimit(type: "RLIMIT_BOGUS", hard: 1, soft: 1)])
        }
        XCTAssertEqual(err?.jsonPath, "process.rlimits[0].type")
        XCTAssertEqual(err?.message, "unknown rlimit \"RLIMIT_BOGUS\"")
    }

    func testIDMappingsHostID() {
        let maps = [LinuxIDMapping(containerID: 0, hostID: 100_000, size: 1000),
                    LinuxIDMapping(containerID: 1000, hostID: 5000, size: 1)]
        XCTAssertEqual(IDMappings.hostID(0, maps), 100_000)
        XCTAssertEqual(IDMappings.hostID(999, maps), 100_999)
        XCTAssertEqual(IDMappings.hostID(1000, maps), 5000)
        XCTAssertNil(IDMappings.hostID(1001, maps))
        XCTAssertNil(IDMappings.hostID(0, nil))
        XCTAssertNil(IDMappings.hostID(0, []))
        // A mapping reaching the top of the ID space does not overflow.
        let top = [LinuxIDMapping(containerID: UInt32.max - 1, hostID: 7, size: UInt32.max)]
        XCTAssertEqual(IDMappings.hostID(UInt32.max, top), 8)
    }

    func testTimestampFormat() throws {
        let pattern = try Regex(#"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$"#)
        var year = tm()
        var now = time(nil)
        gmtime_r(&now, &year)
        for _ in 0..<20 {
            let s = Timestamp.now()
            XCTAssertNotNil(s.wholeMatch(of: pattern), s)
            XCTAssertTrue(s.hasPrefix(String(year.tm_year + 1900) + "-"), s)
            // RFC3339Nano drops trailing zeros of the fraction.
            if let dot = s.firstIndex(of: ".") {
                XCTAssertNotEqual(s[s.index(s.endIndex, offsetBy: -2)], "0", s)
                XCTAssertGreaterThan(s.distance(from: dot, to: s.endIndex), 2, s)
            }
        }
    }
}
