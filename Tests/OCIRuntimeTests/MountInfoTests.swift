#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import OCIRuntime

final class MountInfoTests: XCTestCase {
    static let sample = """
        22 27 0:21 / /proc rw,relatime shared:13 - proc proc rw
        27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
        35 26 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 master:2 - cgroup cgroup rw,cpu,cpuacct
        40 27 0:35 /sub\\040dir /mnt/a\\040b rw unbindable - tmpfs none rw,size=1k
        bad line
        41 27 0:36 / /x rw -
        """

    func testFieldsOptionalFieldsAndEscapes() {
        let e = MountInfo.parse(Self.sample)
        XCTAssertEqual(e.count, 4, "the malformed lines are skipped")
        XCTAssertEqual(e[0], MountInfoEntry(root: "/", mountPoint: "/proc", optional: ["shared:13"], fstype: "proc", superOptions: "rw"))
        XCTAssertEqual(e[1].optional, [])
        XCTAssertEqual(e[1].fstype, "ext4")
        XCTAssertEqual(e[2].optional, ["shared:9", "master:2"])
        XCTAssertEqual(e[2].superOptions, "rw,cpu,cpuacct")
        XCTAssertEqual(e[3].root, "/sub dir")
        XCTAssertEqual(e[3].mountPoint, "/mnt/a b")
        XCTAssertEqual(e[3].optional, ["unbindable"])
    }

    func testTheLiveTableMatchesAStringSplit() throws {
        let text = String(decoding: try Sys.readFile("/proc/self/mountinfo"), as: UTF8.self)
        let lines = text.split(separator: "\n")
        let parsed = MountInfo.parse(text)
        XCTAssertEqual(parsed.count, lines.count)
        for (line, m) in zip(lines, parsed) {
            let f = line.split(separator: " ")
            XCTAssertEqual(m.mountPoint, MountInfo.unescape(String(f[4])))
            XCTAssertEqual(m.fstype, String(f[f.firstIndex(of: "-")! + 1]))
        }
    }

    func testUnescapeLeavesInvalidSequences() {
        XCTAssertEqual(MountInfo.unescape("/a\\777b"), "/a\\777b", "above 255 is not an escape")
        XCTAssertEqual(MountInfo.unescape("/a\\04"), "/a\\04", "too short at the end")
        XCTAssertEqual(MountInfo.unescape("/a\\134"), "/a\\")
    }
}

final class TimestampTests: XCTestCase {
    /// The hand-written civil date against glibc's gmtime_r, over 3000 years of days.
    func testCivilDateMatchesGmtime() {
        var day = -400_000
        while day < 700_000 {
            var t = time_t(day) * 86400
            var tm = tm()
            gmtime_r(&t, &tm)
            let c = Timestamp.civil(days: day)
            XCTAssertEqual(c.year, Int(tm.tm_year) + 1900, "day \(day)")
            XCTAssertEqual(c.month, Int(tm.tm_mon) + 1, "day \(day)")
            XCTAssertEqual(c.day, Int(tm.tm_mday), "day \(day)")
            day += 997
        }
    }

    func testNowIsRFC3339UTC() {
        let s = Timestamp.now()
        let b = Array(s.utf8)
        XCTAssertTrue(s.hasSuffix("Z"), s)
        XCTAssertEqual(b[4], UInt8(ascii: "-")); XCTAssertEqual(b[10], UInt8(ascii: "T")); XCTAssertEqual(b[13], UInt8(ascii: ":"))
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        XCTAssertTrue(s.hasPrefix(String(Int(tm.tm_year) + 1900)), s)
    }
}
