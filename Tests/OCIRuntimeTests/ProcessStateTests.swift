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

    func testProcStatParse() throws {
        // comm with spaces and parentheses: fields start after the last ')'.
        let line = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654321 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
        let s = try XCTUnwrap(ProcStat.parse(Array(line.utf8)))
        XCTAssertEqual(s.state, "S")
        XCTAssertEqual(s.startTime, 987654321)
        XCTAssertEqual(ProcStat.parse(Array("1 (x) Z 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 42".utf8))?.startTime, 42)
        XCTAssertEqual(ProcStat.parse(Array("1 (x) Z 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 42".utf8))?.state, "Z")
        // Too short, no starttime, not a number, no ')' at all.
        XCTAssertNil(ProcStat.parse(Array("1 (x) S 0 0".utf8)))
        XCTAssertNil(ProcStat.parse(Array("1 (x) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 ".utf8)))
        XCTAssertNil(ProcStat.parse(Array("1 (x) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 4x".utf8)))
        XCTAssertNil(ProcStat.parse(Array("1 x S".utf8)))
        // The real file agrees with a plain split of it.
        let text = try String(decoding: Sys.readFile("/proc/self/stat"), as: UTF8.self)
        let after = text[text.index(after: try XCTUnwrap(text.lastIndex(of: ")")))...].split(separator: " ")
        let me = try XCTUnwrap(ProcStat.read(getpid()))
        XCTAssertEqual(me.startTime, UInt64(after[19]))
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
        // XCTest may run threads of its own that come and go: assert on our thread, by TID.
        let before = sw_thread_count()
        XCTAssertGreaterThanOrEqual(before, 1)
        if before == 1 {
            XCTAssertNoThrow(try Fork.ensureSingleThreaded())
        }

        // A thread that reports its TID, then blocks reading a pipe until we close its write end.
        var fds: [Int32] = [-1, -1], tidPipe: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        XCTAssertEqual(pipe(&tidPipe), 0)
        let args = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        defer { args.deallocate() }
        args[0] = fds[0]
        args[1] = tidPipe[1]
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let a = arg!.assumingMemoryBound(to: Int32.self)
            var tid = sw_gettid()
            _ = write(a[1], &tid, 4)
            var byte: UInt8 = 0
            _ = read(a[0], &byte, 1)
            return nil
        }, UnsafeMutableRawPointer(args))
        XCTAssertEqual(rc, 0)
        var tid: Int32 = 0
        XCTAssertEqual(read(tidPipe[0], &tid, 4), 4)
        XCTAssertTrue(access("/proc/self/task/\(tid)", F_OK) == 0)
        XCTAssertGreaterThanOrEqual(sw_thread_count(), 2)
        let err = expectError { () throws(RuntimeError) in try Fork.ensureSingleThreaded() }
        let msg = err?.message ?? ""
        XCTAssertTrue(msg.hasPrefix("swrun must be single-threaded to fork the container init, but has "), msg)
        let n = Int(msg.split(separator: " ").dropLast().last ?? "") ?? 0
        XCTAssertGreaterThanOrEqual(n, 2, msg)

        close(fds[1])
        XCTAssertEqual(pthread_join(thread, nil), 0)
        close(fds[0])
        close(tidPipe[0])
        close(tidPipe[1])
        // The joined thread leaves /proc/self/task a moment after pthread_join returns.
        var gone = false
        for _ in 0..<200 {
            if access("/proc/self/task/\(tid)", F_OK) != 0 { gone = true; break }
            usleep(10_000)
        }
        XCTAssertTrue(gone, "thread \(tid) still in /proc/self/task")
    }
}
