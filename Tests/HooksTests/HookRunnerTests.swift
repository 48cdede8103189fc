#if canImport(Glibc)
import Glibc
#endif
import XCTest
import CSyscalls
@testable import Hooks
import Spec

final class HookRunnerTests: XCTestCase {
    var dir: TempDir!

    override func setUp() { dir = TempDir() }
    override func tearDown() { dir.remove() }

    func testHooksRunInOrder() throws {
        let out = dir.file("order")
        let hooks = (1...3).map { shHook("echo \($0) >> '\(out)'") }
        try HookRunner.runAll(hooks, phase: .createRuntime, state: sampleState)
        XCTAssertEqual(dir.read("order"), "1\n2\n3\n")
    }

    func testArgsZeroIsArgvZeroAndOtherArgsFollow() throws {
        // sh's $0 is its argv[0] when -c has no further operands.
        try HookRunner.run(Hook(path: "/bin/sh", args: ["my-hook-name", "-c", "echo \"$0\" > '\(dir.file("argv0"))'"]),
                           phase: .prestart, index: 0, state: sampleState)
        XCTAssertEqual(dir.read("argv0"), "my-hook-name\n")
        // The whole argv, verbatim, as the kernel has it.
        let hook = Hook(path: "/bin/sh",
                        args: ["name", "-c", "tr '\\000' '|' < /proc/$$/cmdline > '\(dir.file("cmdline"))'", "one", "two words"],
                        env: ["PATH=/usr/bin:/bin"])
        try HookRunner.run(hook, phase: .prestart, index: 0, state: sampleState)
        XCTAssertEqual(dir.read("cmdline"), (hook.args ?? []).joined(separator: "|") + "|")
    }

    func testAbsentOrEmptyArgsMeanArgvIsThePath() throws {
        dir.write("show-argv", "#!/bin/sh\necho \"$0 $#\" > \"$OUT\"\n", mode: 0o755)
        for args in [nil, [String]()] {
            try HookRunner.run(Hook(path: dir.file("show-argv"), args: args, env: ["OUT=\(dir.file("out"))"]),
                               phase: .poststart, index: 0, state: sampleState)
            XCTAssertEqual(dir.read("out"), "\(dir.file("show-argv")) 0\n", "args: \(String(describing: args))")
        }
    }

    func testEnvironmentIsExactlyTheHooksEnv() throws {
        setenv("SWRUN_HOOK_TEST_LEAK", "leaked", 1)
        defer { unsetenv("SWRUN_HOOK_TEST_LEAK") }
        let env = ["PATH=/usr/bin:/bin", "FOO=bar baz", "EMPTY="]
        // The hook's stdout is captured, not shown: check through a file.
        try HookRunner.run(shHook("/usr/bin/env > '\(dir.file("env"))'", env: env), phase: .createContainer,
                           index: 0, state: sampleState)
        let lines = (dir.read("env") ?? "").split(separator: "\n").map(String.init)
        // sh itself may add PWD (dash does when absent); everything else must be ours.
        XCTAssertEqual(lines.filter { !$0.hasPrefix("PWD=") }.sorted(), env.sorted())
    }

    func testAbsentEnvMeansTheInheritedEnvironment() throws {
        setenv("SWRUN_HOOK_TEST_INHERIT", "yes", 1)
        defer { unsetenv("SWRUN_HOOK_TEST_INHERIT") }
        let hook = Hook(path: "/bin/sh", args: ["sh", "-c", "/usr/bin/env > \"$0\"", dir.file("env")])
        try HookRunner.run(hook, phase: .poststop, index: 0, state: sampleState)
        let lines = (dir.read("env") ?? "").split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("SWRUN_HOOK_TEST_INHERIT=yes"), "\(lines)")
        try HookRunner.run(hook, phase: .createContainer, index: 0, state: sampleState, inherited: ["A=1"])
        let given = (dir.read("env") ?? "x").split(separator: "\n").filter { !$0.hasPrefix("PWD=") }
        XCTAssertEqual(given, ["A=1"])
    }

    func testStateArrivesOnStdin() throws {
        try HookRunner.run(shHook("cat > '\(dir.file("state"))'"), phase: .createRuntime, index: 0, state: sampleState)
        let got = try JSONValue.parse(try XCTUnwrap(dir.read("state")))
        XCTAssertEqual(got, sampleState)
    }

    func testLargeStateIsFedThroughAFullPipe() throws {
        // Bigger than a pipe buffer (64 KiB): the state must be written in pieces while the
        // hook reads.
        let big: JSONValue = ["id": "big", "annotations": .object((0..<4000).map { ("key\($0)", .string(String(repeating: "v", count: 40))) })]
        try HookRunner.run(shHook("sleep 0.2; cat > '\(dir.file("state"))'"), phase: .createRuntime, index: 0, state: big)
        XCTAssertEqual(try JSONValue.parse(try XCTUnwrap(dir.read("state"))), big)
    }

    func testHookThatIgnoresStdinIsFine() throws {
        // Exits at once without reading a large state: the write hits EPIPE, which must not
        // kill the test process (SIGPIPE) nor fail the hook.
        let big: JSONValue = ["pad": .string(String(repeating: "x", count: 300_000))]
        try HookRunner.run(Hook(path: "/bin/true"), phase: .startContainer, index: 0, state: big)
        var pending = sigset_t()
        sigpending(&pending)
        XCTAssertEqual(sigismember(&pending, SIGPIPE), 0, "a SIGPIPE was left pending")
    }

    func testTimeoutKillsTheHook() {
        let start = monotonicSeconds()
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.run(shHook("echo started >&2; sleep 30; echo done > '\(dir.file("late"))'", timeout: 1),
                               phase: .prestart, index: 2, state: sampleState)
        }
        let elapsed = monotonicSeconds() - start
        XCTAssertEqual(err?.jsonPath, "hooks.prestart[2]")
        XCTAssertEqual(err?.message, "hook /bin/sh timed out after 1s: started")
        XCTAssertGreaterThanOrEqual(elapsed, 0.9)
        XCTAssertLessThan(elapsed, 2.0)
        XCTAssertEqual(err?.description, "config.json: hooks.prestart[2]: hook /bin/sh timed out after 1s: started")
    }

    func testTimeoutAlsoKillsTheHooksChildren() {
        // The hook's own child keeps the pipes open and would outlive it: the whole process
        // group is killed, so the marker is never written.
        _ = expectError { () throws(RuntimeError) in
            try HookRunner.run(shHook("(sleep 2; echo alive > '\(dir.file("child"))') & wait", timeout: 1),
                               phase: .prestart, index: 0, state: sampleState)
        }
        usleep(2_500_000)
        XCTAssertNil(dir.read("child"))
    }

    func testFastHookWithTimeoutSucceeds() throws {
        let start = monotonicSeconds()
        try HookRunner.run(shHook("exit 0", timeout: 5), phase: .prestart, index: 0, state: sampleState)
        XCTAssertLessThan(monotonicSeconds() - start, 1.0)
    }

    func testBackgroundChildHoldingThePipesDoesNotDelaySuccess() throws {
        // The hook exits at once but leaves a child with its stdout: EOF is not awaited.
        let start = monotonicSeconds()
        try HookRunner.run(shHook("sleep 3 & exit 0"), phase: .poststart, index: 0, state: sampleState)
        XCTAssertLessThan(monotonicSeconds() - start, 1.5)
    }

    func testFailureReportsStatusStderrAndPath() {
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.run(shHook("echo 'first problem' >&2; echo second >&2; exit 3"),
                               phase: .createRuntime, index: 1, state: sampleState)
        }
        XCTAssertEqual(err?.jsonPath, "hooks.createRuntime[1]")
        XCTAssertEqual(err?.message, "hook /bin/sh exited with status 3: first problem; second")
        XCTAssertNil(err?.errno)
    }

    func testFailureWithoutOutput() {
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.run(Hook(path: "/bin/false"), phase: .createContainer, index: 0, state: sampleState)
        }
        XCTAssertEqual(err?.message, "hook /bin/false exited with status 1")
        XCTAssertEqual(err?.jsonPath, "hooks.createContainer[0]")
    }

    func testFailureQuotesStdoutAndLimitsLines() {
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.run(shHook("echo out; for i in 1 2 3 4 5 6 7; do echo e$i >&2; done; exit 2"),
                               phase: .startContainer, index: 0, state: sampleState)
        }
        XCTAssertEqual(err?.message, "hook /bin/sh exited with status 2: e1; e2; e3; e4; e5… (stdout: out)")
    }

    func testHugeOutputIsCappedAndDoesNotBlockTheHook() {
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.run(shHook("head -c 1000000 /dev/zero | tr '\\0' 'x' >&2; exit 4", env: ["PATH=/usr/bin:/bin"], timeout: 10),
                               phase: .prestart, index: 0, state: sampleState)
        }
        let msg = err?.message ?? ""
        XCTAssertTrue(msg.hasPrefix("hook /bin/sh exited with status 4: xxx"), msg)
        XCTAssertTrue(msg.hasSuffix("…"), String(msg.suffix(20)))
        XCTAssertLessThanOrEqual(msg.utf8.count, HookRunner.outputLimit + 100)
    }

    func testKilledBySignal() {
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.run(shHook("kill -TERM $$"), phase: .prestart, index: 0, state: sampleState)
        }
        XCTAssertEqual(err?.message, "hook /bin/sh was killed by signal \(SIGTERM)")
    }

    func testNonexistentPathFailsClearly() {
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.run(Hook(path: "/nonexistent/hook"), phase: .createRuntime, index: 0, state: sampleState)
        }
        XCTAssertEqual(err?.jsonPath, "hooks.createRuntime[0]")
        XCTAssertEqual(err?.syscall, "posix_spawn")
        XCTAssertEqual(err?.errno, ENOENT)
        XCTAssertTrue(err?.description.hasPrefix(
            "config.json: hooks.createRuntime[0]: run hook /nonexistent/hook: posix_spawn: no such file or directory") ?? false,
            err?.description ?? "")
    }

    func testNonExecutableFileFails() {
        dir.write("not-exec", "#!/bin/sh\nexit 0\n", mode: 0o644)
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.run(Hook(path: dir.file("not-exec")), phase: .prestart, index: 0, state: sampleState)
        }
        XCTAssertEqual(err?.errno, EACCES)
    }

    func testRunAllStopsAtTheFirstFailure() {
        let hooks = [shHook("echo 0 >> '\(dir.file("log"))'"),
                     shHook("echo 1 >> '\(dir.file("log"))'; exit 7"),
                     shHook("echo 2 >> '\(dir.file("log"))'")]
        let err = expectError { () throws(RuntimeError) in
            try HookRunner.runAll(hooks, phase: .createContainer, state: sampleState)
        }
        XCTAssertEqual(err?.jsonPath, "hooks.createContainer[1]")
        XCTAssertEqual(err?.message, "hook /bin/sh exited with status 7")
        XCTAssertEqual(dir.read("log"), "0\n1\n")
    }

    func testRunAllWithNoHooks() throws {
        try HookRunner.runAll(nil, phase: .prestart, state: sampleState)
        try HookRunner.runAll([], phase: .prestart, state: sampleState)
    }

    func testRunAllWarningContinuesAndWarns() {
        let hooks = [shHook("echo bad >&2; exit 1"),
                     shHook("echo 1 >> '\(dir.file("log"))'"),
                     Hook(path: "/nonexistent"),
                     shHook("echo 3 >> '\(dir.file("log"))'")]
        var warnings: [String] = []
        HookRunner.runAllWarning(hooks, phase: .poststop, state: sampleState) { warnings.append($0) }
        XCTAssertEqual(dir.read("log"), "1\n3\n")
        XCTAssertEqual(warnings.count, 2)
        XCTAssertEqual(warnings.first, "config.json: hooks.poststop[0]: hook /bin/sh exited with status 1: bad")
        XCTAssertTrue(warnings.last?.hasPrefix("config.json: hooks.poststop[2]: run hook /nonexistent: posix_spawn") ?? false,
                      warnings.last ?? "")
    }

    func testHookGetsOnlyStandardFds() throws {
        // Neither swrun's close-on-exec fds nor inherited fds without close-on-exec (the test
        // runner has several) reach the hook.
        let leaky = open("/dev/null", O_RDONLY)
        let cloexec = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(leaky); close(cloexec) }
        XCTAssertGreaterThan(leaky, 2)
        try HookRunner.run(shHook("ls -l /proc/self/fd/ > '\(dir.file("fds"))'", env: ["PATH=/usr/bin:/bin"]),
                           phase: .prestart, index: 0, state: sampleState)
        let listing = dir.read("fds") ?? ""
        // ls opens one fd itself (the directory); the shell's redirection is fd 1.
        let fds = listing.split(separator: "\n").compactMap { line -> Int? in
            guard let arrow = line.range(of: " -> ") else { return nil }
            return Int(line[..<arrow.lowerBound].split(separator: " ").last ?? "")
        }
        XCTAssertEqual(fds.filter { $0 <= 2 }.sorted(), [0, 1, 2], listing)
        XCTAssertLessThanOrEqual(fds.filter { $0 > 2 }.count, 1, listing)
        XCTAssertFalse(listing.contains("/dev/null"), listing)
    }

    func testHookGetsDefaultSignalState() throws {
        // Whatever swrun blocks or ignores (run forwards signals via signalfd), the hook
        // starts with an empty mask and default dispositions.
        var set = sigset_t(), old = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGUSR1)
        sigprocmask(SIG_BLOCK, &set, &old)
        let oldHandler = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, oldHandler); sigprocmask(SIG_SETMASK, &old, nil) }
        try HookRunner.run(shHook("grep -E '^Sig(Blk|Ign)' /proc/self/status > '\(dir.file("sig"))'", env: ["PATH=/usr/bin:/bin"]),
                           phase: .prestart, index: 0, state: sampleState)
        let text = dir.read("sig") ?? ""
        XCTAssertTrue(text.contains("SigBlk:\t0000000000000000"), text)
        // Bit of SIGUSR2 (12) is 0x800: not ignored.
        let ign = text.split(separator: "\n").first { $0.hasPrefix("SigIgn") }.map { String($0.split(separator: "\t").last ?? "") } ?? ""
        let mask = UInt64(ign, radix: 16) ?? UInt64.max
        XCTAssertEqual(mask & (1 << (UInt64(SIGUSR2) - 1)), 0, text)
    }

    func testNoZombiesLeftBehind() throws {
        try HookRunner.run(Hook(path: "/bin/true"), phase: .prestart, index: 0, state: sampleState)
        _ = expectError { () throws(RuntimeError) in
            try HookRunner.run(shHook("sleep 10", timeout: 1), phase: .prestart, index: 0, state: sampleState)
        }
        _ = expectError { () throws(RuntimeError) in
            try HookRunner.run(Hook(path: "/bin/false"), phase: .prestart, index: 0, state: sampleState)
        }
        var status: Int32 = 0
        XCTAssertEqual(waitpid(-1, &status, WNOHANG), -1)
        XCTAssertEqual(errno, ECHILD)
    }

    func testPhaseJSONPaths() {
        XCTAssertEqual(HookPhase.allCases.map { $0.jsonPath(index: 0) },
                       ["hooks.prestart[0]", "hooks.createRuntime[0]", "hooks.createContainer[0]",
                        "hooks.startContainer[0]", "hooks.poststart[0]", "hooks.poststop[0]"])
        XCTAssertEqual(HookPhase(rawValue: "createRuntime"), .createRuntime)
    }
}
