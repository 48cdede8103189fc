#if canImport(Glibc)
import Glibc
#endif
import XCTest
import CSyscalls
@testable import OCIRuntime
import Spec

final class ProcessStateTests: XCTestCase {
    func testProcStatOfSelf() throws {
        let me = getpid()
        let a = try XCTUnwrap(ProcStat.read(me))
        let b = try XCTUnwrap(ProcStat.read(me))
        XCTAssertEqual(a.startTime, b.startTime)
        XCTAssertGreaterThan(a.startTime, 0)
        XCTAssertTrue("RSD".contains(a.state), "state \(a.state)")
        XCTAssertTrue(ProcStat.isAlive(me, startTime: a.startTime))
        XCTAssertFalse(ProcStat.isAlive(me, startTime: a.startTime + 1))
        XCTAssertFalse(ProcStat.isAlive(0, startTime: a.startTime))
        XCTAssertFalse(ProcStat.isAlive(-1, startTime: a.startTime))
    }

    func testProcStatOfAMissingPid() {
        // Above the kernel's PID_MAX_LIMIT (4194304): never a live process.
        XCTAssertNil(ProcStat.read(4_194_305))
        XCTAssertFalse(ProcStat.isAlive(4_194_305, startTime: 1))
    }

    func testZombieCountsAsGone() throws {
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("true"), nil]
        var envp: [UnsafeMutablePointer<CChar>?] = [nil]
        defer { free(argv[0]) }
        XCTAssertEqual(posix_spawn(&pid, "/bin/true", nil, nil, &argv, &envp), 0)
        var stat: ProcStat?
        for _ in 0..<200 {
            stat = ProcStat.read(pid)
            if stat?.state == "Z" { break }
            usleep(10_000)
        }
        XCTAssertEqual(stat?.state, "Z")
        XCTAssertFalse(ProcStat.isAlive(pid, startTime: stat?.startTime ?? 0))
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        XCTAssertNil(ProcStat.read(pid))
    }

    func testEnsureSingleThreadedReportsTheTrueThreadCount() throws {
        let before = sw_thread_count()
        XCTAssertGreaterThanOrEqual(before, 1)
        if before == 1 {
            XCTAssertNoThrow(try Fork.ensureSingleThreaded())
        } else {
            XCTAssertEqual(expectError { () throws(RuntimeError) in try Fork.ensureSingleThreaded() }?.message,
                           "swrun must be single-threaded to fork the container init, but has \(before) threads")
        }

        // A thread that blocks reading a pipe until we close its write end.
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let fd = Int32(Int(bitPattern: arg))
            var byte: UInt8 = 0
            _ = read(fd, &byte, 1)
            return nil
        }, UnsafeMutableRawPointer(bitPattern: Int(fds[0])))
        XCTAssertEqual(rc, 0)
        let during = sw_thread_count()
        XCTAssertGreaterThanOrEqual(during, before + 1)
        let err = expectError { () throws(RuntimeError) in try Fork.ensureSingleThreaded() }
        XCTAssertEqual(err?.message, "swrun must be single-threaded to fork the container init, but has \(during) threads")
        XCTAssertTrue(err?.description.contains("threads") ?? false)

        close(fds[1])
        XCTAssertEqual(pthread_join(thread, nil), 0)
        close(fds[0])
        // The joined thread leaves /proc/self/task a moment after pthread_join returns.
        var after = sw_thread_count()
        for _ in 0..<100 where after >= during {
            usleep(10_000)
            after = sw_thread_count()
        }
        XCTAssertEqual(after, during - 1)
    }
}
