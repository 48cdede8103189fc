import XCTest
@testable import OCIRuntime

final class MountOptionsTests: XCTestCase {
    typealias M = MountOptions

    func testNoOptions() {
        XCTAssertEqual(M.parse(nil), M())
        XCTAssertEqual(M.parse([]), M())
        XCTAssertEqual(M.parse(nil).dataString, "")
    }

    func testFlags() {
        let o = M.parse(["ro", "nosuid", "nodev", "noexec", "relatime", "strictatime", "sync", "dirsync", "noatime"])
        XCTAssertEqual(o.flags, M.MS_RDONLY | M.MS_NOSUID | M.MS_NODEV | M.MS_NOEXEC | M.MS_RELATIME
                       | M.MS_STRICTATIME | M.MS_SYNCHRONOUS | M.MS_DIRSYNC | M.MS_NOATIME)
        XCTAssertEqual(o.clearFlags, 0)
        XCTAssertEqual(o.data, [])
        XCTAssertFalse(o.bind)
        XCTAssertEqual(o.propagation, [])
    }

    func testClearingOptionsClearAndRecordTheFlag() {
        let o = M.parse(["rw", "suid", "dev", "exec", "atime", "async"])
        XCTAssertEqual(o.flags, 0)
        XCTAssertEqual(o.clearFlags, M.MS_RDONLY | M.MS_NOSUID | M.MS_NODEV | M.MS_NOEXEC | M.MS_NOATIME | M.MS_SYNCHRONOUS)
    }

    func testLaterOptionWins() {
        let roThenRw = M.parse(["ro", "nosuid", "rw"])
        XCTAssertEqual(roThenRw.flags, M.MS_NOSUID)
        XCTAssertEqual(roThenRw.clearFlags, M.MS_RDONLY)
        let rwThenRo = M.parse(["rw", "ro"])
        XCTAssertEqual(rwThenRo.flags, M.MS_RDONLY)
        XCTAssertEqual(rwThenRo.clearFlags, 0)
    }

    func testDefaultsChangesNothing() {
        XCTAssertEqual(M.parse(["defaults"]), M())
    }

    func testPropagationKeepsOrderAndRecursion() {
        let o = M.parse(["rprivate", "shared", "rslave", "unbindable", "private", "rshared", "slave", "runbindable"])
        XCTAssertEqual(o.propagation, [M.MS_PRIVATE | M.MS_REC, M.MS_SHARED, M.MS_SLAVE | M.MS_REC, M.MS_UNBINDABLE,
                                       M.MS_PRIVATE, M.MS_SHARED | M.MS_REC, M.MS_SLAVE, M.MS_UNBINDABLE | M.MS_REC])
        XCTAssertEqual(o.flags, 0)
        XCTAssertEqual(o.data, [])
    }

    func testBindAndRbind() {
        let bind = M.parse(["bind", "ro"])
        XCTAssertTrue(bind.bind)
        XCTAssertFalse(bind.recursive)
        XCTAssertEqual(bind.flags, M.MS_RDONLY)
        let rbind = M.parse(["rbind"])
        XCTAssertTrue(rbind.bind)
        XCTAssertTrue(rbind.recursive)
        // bind itself is not put in flags: the mount code adds MS_BIND (and MS_REC) itself.
        XCTAssertEqual(rbind.flags, 0)
    }

    func testUnknownOptionsBecomeTheDataString() {
        let o = M.parse(["nosuid", "mode=755", "size=65536k", "newinstance", "ptmxmode=0666", "gid=5"])
        XCTAssertEqual(o.flags, M.MS_NOSUID)
        XCTAssertEqual(o.data, ["mode=755", "size=65536k", "newinstance", "ptmxmode=0666", "gid=5"])
        XCTAssertEqual(o.dataString, "mode=755,size=65536k,newinstance,ptmxmode=0666,gid=5")
    }

    func testFlagValuesMatchTheKernel() {
        // <sys/mount.h> values; the table is hand-written.
        XCTAssertEqual(M.MS_RDONLY, 1)
        XCTAssertEqual(M.MS_BIND, 4096)
        XCTAssertEqual(M.MS_REC, 16384)
        XCTAssertEqual(M.MS_PRIVATE, 262144)
        XCTAssertEqual(M.MS_SLAVE, 524288)
        XCTAssertEqual(M.MS_SHARED, 1048576)
        XCTAssertEqual(M.MS_RELATIME, 2097152)
        XCTAssertEqual(M.MS_STRICTATIME, 16777216)
    }

    func testTmpcopyupIsOursNotTheFilesystems() {
        let o = MountOptions.parse(["rw", "nosuid", "tmpcopyup", "size=64k"])
        XCTAssertTrue(o.copyUp)
        XCTAssertEqual(o.data, ["size=64k"])
        XCTAssertFalse(MountOptions.parse(["rw"]).copyUp)
    }

    func testRecursiveOptionsAreMountAttributesNotData() {
        let o = M.parse(["rbind", "rro", "rnosuid", "rnoatime"])
        XCTAssertEqual(o.data, [])
        XCTAssertEqual(o.flags, 0)
        XCTAssertEqual(o.recursiveSet, M.MOUNT_ATTR_RDONLY | M.MOUNT_ATTR_NOSUID | M.MOUNT_ATTR_NOATIME)
        XCTAssertEqual(o.recursiveClear, M.MOUNT_ATTR__ATIME)
    }

    func testLaterRecursiveOptionWins() {
        let o = M.parse(["rro", "rrw", "rnoexec"])
        XCTAssertEqual(o.recursiveSet, M.MOUNT_ATTR_NOEXEC)
        XCTAssertEqual(o.recursiveClear, M.MOUNT_ATTR_RDONLY)
        // One atime mode: the last one; the whole field cleared so the kernel accepts it.
        let a = M.parse(["rnoatime", "rstrictatime"])
        XCTAssertEqual(a.recursiveSet, M.MOUNT_ATTR_STRICTATIME)
        XCTAssertEqual(a.recursiveClear, M.MOUNT_ATTR__ATIME)
        let b = M.parse(["rstrictatime", "rrelatime"])
        XCTAssertEqual(b.recursiveSet, M.MOUNT_ATTR_RELATIME)
        XCTAssertEqual(b.recursiveClear, M.MOUNT_ATTR__ATIME)
    }

    func testEveryRecursiveNameParses() {
        for name in M.recursiveNames {
            let o = M.parse([name])
            XCTAssertTrue(o.data.isEmpty, name)
            XCTAssertTrue(o.recursiveSet != 0 || o.recursiveClear != 0, name)
        }
    }
}
