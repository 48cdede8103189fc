import XCTest
@testable import OCIRuntime
import CSyscalls
import Spec

/// The exec stub run for real: its image written to a file and spawned, as the kernel would
/// run it from the sealed memfd.
final class SealedExecTests: XCTestCase {
    struct Outcome { var status: Int32; var stderr: String; var stdout: String }

    func spawnStub(executable: String, fifoFd: Int32? = nil, args: [String]) throws -> Outcome {
        let image = try SealedExec.elf(executable: executable, fifoFd: fifoFd, report: .stderr)
        let dir = "/tmp/swrun-stubtest-\(getpid())"
        mkdir(dir, 0o700)
        defer { Sys.removeAll(dir) }
        let path = dir + "/stub", out = dir + "/out", err = dir + "/err"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        XCTAssertGreaterThanOrEqual(fd, 0)
        try Sys.writeAll(fd, image, what: "stub")
        close(fd)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var envp: [UnsafeMutablePointer<CChar>?] = [strdup("STUB_TEST=1"), nil]
        defer { free(envp[0]) }
        var pid: pid_t = 0
        XCTAssertEqual(posix_spawn(&pid, path, &actions, nil, &argv, &envp), 0)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        return Outcome(status: status, stderr: (try? Sys.readString(err)) ?? "", stdout: (try? Sys.readString(out)) ?? "")
    }

    func testRunsTheProgramWithItsArgvAndEnvironment() throws {
        let r = try spawnStub(executable: "/bin/sh", args: ["my-argv0", "-c", "echo \"$0 $STUB_TEST\"; exit 7"])
        XCTAssertEqual(sw_wexitstatus(r.status), 7, r.stderr)
        XCTAssertEqual(r.stdout, "my-argv0 1\n")
    }

    func testAMissingProgramIs127WithTheReason() throws {
        let r = try spawnStub(executable: "/nonexistent/prog", args: ["prog"])
        XCTAssertEqual(sw_wexitstatus(r.status), 127)
        XCTAssertEqual(r.stderr, "swrun: exec /nonexistent/prog: no such file or directory\n")
    }

    func testANonExecutableIs126() throws {
        let r = try spawnStub(executable: "/", args: ["x"])
        XCTAssertEqual(sw_wexitstatus(r.status), 126)
        XCTAssertEqual(r.stderr, "swrun: exec /: permission denied\n")
    }

    /// A stub whose FIFO fd is gone (a container exec'ing /proc/self/exe runs the stub again)
    /// exits at once rather than running anything.
    func testARerunWithoutItsFifoExits() throws {
        let r = try spawnStub(executable: "/bin/sh", fifoFd: 987, args: ["sh", "-c", "echo ran"])
        XCTAssertEqual(sw_wexitstatus(r.status), 127)
        XCTAssertEqual(r.stdout, "")
    }

    /// Fork mode (`exec`): the stub reports its child's PID as SyncMessage.initPid on the sync
    /// socket, the child runs the program, and the socket reaches EOF once the program runs.
    func testForkModeReportsTheChildAndRunsTheProgram() throws {
        let image = try SealedExec.elf(executable: "/bin/sh", fifoFd: nil, report: .syncSocket(3),
                                       forkChild: SealedExec.ForkChild(controllingTerminal: false))
        let dir = "/tmp/swrun-stubtest-fork-\(getpid())"
        mkdir(dir, 0o700)
        defer { Sys.removeAll(dir) }
        let path = dir + "/stub", marker = dir + "/child-pid"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try Sys.writeAll(fd, image, what: "stub")
        close(fd)
        let (ours, theirs) = try SyncChannel.pair()
        defer { ours.close() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, theirs.fd, 3)
        let args = ["sh", "-c", "echo $$ > \(marker)"]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var envp: [UnsafeMutablePointer<CChar>?] = [nil]
        var stubPid: pid_t = 0
        XCTAssertEqual(posix_spawn(&stubPid, path, &actions, nil, &argv, &envp), 0)
        theirs.close()
        guard case .initPid(let child)? = try ours.receive() else { return XCTFail("no initPid from the stub") }
        XCTAssertNotEqual(child, stubPid)
        XCTAssertNil(try ours.receive(), "EOF once the program runs")
        var status: Int32 = 0
        XCTAssertEqual(waitpid(stubPid, &status, 0), stubPid)
        XCTAssertEqual(sw_wexitstatus(status), 0)
        var waited = 0
        // The shell creates the file before it writes to it: wait for the whole line.
        while !((try? Sys.readString(marker))?.hasSuffix("\n") ?? false) && waited < 2000 { usleep(1000); waited += 1 }
        XCTAssertEqual(try Sys.readString(marker), "\(child)\n", "the program runs as the reported child")
    }

    /// The memfd is sealed: nothing can write the stub once it is built.
    func testTheMemfdIsSealedAgainstWrites() throws {
        let stub = try SealedExec.prepare(executable: "/bin/true", fifoFd: nil, report: .stderr)
        defer { close(stub.fd) }
        XCTAssertEqual(sw_fcntl_int(stub.fd, 1034, 0) & 0xf, 0xf, "F_GET_SEALS: seal, shrink, grow, write")
        var byte: UInt8 = 0
        XCTAssertEqual(pwrite(stub.fd, &byte, 1, 0), -1)
        XCTAssertEqual(errno, EPERM)
        let rw = open("/proc/self/fd/\(stub.fd)", O_RDWR)
        if rw >= 0 {
            XCTAssertEqual(pwrite(rw, &byte, 1, 0), -1, "a reopened memfd keeps its seals")
            close(rw)
        }
    }
}
