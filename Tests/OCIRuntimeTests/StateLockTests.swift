import XCTest
@testable import OCIRuntime
import Spec
#if canImport(Glibc)
import Glibc
#endif

/// The lock probe behind "creating": a lock this process holds itself (delete and start take
/// it before they read the status) is not another command's create under way.
final class StateLockTests: XCTestCase {
    var root = ""

    override func setUp() {
        var template = Array("/tmp/swrun-lock-test-XXXXXX".utf8CString)
        root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    override func tearDown() { Sys.removeAll(root) }

    func testOwnLockIsNotAnotherCommandsLock() throws {
        let store = StateStore(root: root)
        _ = try store.createDir("c1")
        XCTAssertFalse(store.isLocked("c1"))
        let fd = try store.lock("c1")
        XCTAssertFalse(store.isLocked("c1"), "our own lock made the container look locked by another command")
        close(fd)
        XCTAssertFalse(store.isLocked("c1"))
    }

    func testLockOnAnotherOpenFileIsSeen() throws {
        let store = StateStore(root: root)
        _ = try store.createDir("c2")
        // Another open file description (as another process's would be) holding the lock.
        let other = open(store.dir("c2"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(other, 0)
        XCTAssertEqual(flock(other, LOCK_EX), 0)
        XCTAssertTrue(store.isLocked("c2"))
        close(other)
        XCTAssertFalse(store.isLocked("c2"))
    }
}
