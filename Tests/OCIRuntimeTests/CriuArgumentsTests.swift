import XCTest
@testable import OCIRuntime
import Spec

/// The CRIU command lines checkpoint and restore run: runc's RPC options, spelled for criu's CLI.
final class CriuArgumentsTests: XCTestCase {
    func spec(_ json: String) throws -> Spec { try Spec.parse(Array(json.utf8)) }

    let config = """
    {"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},
     "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/data/", "type": "bind", "source": "/srv/data", "options": ["rbind"]},
                {"destination": "/etc/hosts", "source": "hosts", "options": ["bind", "ro"]}],
     "linux": {"maskedPaths": ["/proc/kcore", "/proc/acpi"],
               "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]}}
    """

    func testDumpDeclaresBindMountsMaskedFilesAndDevicesExternal() throws {
        let m = CriuExternalMounts.forDump(try spec(config)) { $0 == "/proc/kcore" }
        XCTAssertEqual(m.map { "\($0.0)=\($0.1)" },
                       ["/data=/data", "/etc/hosts=/etc/hosts", "/proc/kcore=/dev/null",
                        "/dev/null=/dev/null", "/dev/zero=/dev/zero", "/dev/full=/dev/full", "/dev/random=/dev/random",
                        "/dev/urandom=/dev/urandom", "/dev/tty=/dev/tty", "/dev/fuse=/dev/fuse"])
    }

    func testRestoreMapsCookiesToHostSourcesRelativeToTheBundle() throws {
        let m = CriuExternalMounts.forRestore(try spec(config), bundle: "/b")
        XCTAssertEqual(Array(m.map { "\($0.0)=\($0.1)" }.prefix(3)), ["/data=/srv/data", "/etc/hosts=/b/hosts", "/dev/null=/dev/null"])
    }

    func testDumpArguments() {
        var common = CriuCommonOptions(imagePath: "/img")
        common.tcpEstablished = true
        common.manageCgroupsMode = "full"
        var o = CheckpointOptions(common: common)
        o.leaveRunning = true
        o.parentPath = "../parent"
        let facts = CriuArguments.ContainerFacts(initPid: 42, rootfs: "/b/rootfs", dumpMounts: [("/data", "/data")],
                                                 freezeCgroup: "/sys/fs/cgroup/c1")
        let a = CriuArguments.dump(o, facts: facts, netNsInode: 4026532000, pidNsInode: nil)
        XCTAssertEqual(Array(a.prefix(5)), ["dump", "-t", "42", "--root", "/b/rootfs"])
        for want in [["-D", "/img"], ["-W", "/img"], ["-o", "dump.log"], ["--freeze-cgroup", "/sys/fs/cgroup/c1"],
                     ["--prev-images-dir", "../parent"], ["--external", "net[4026532000]:extRootNetNS"],
                     ["--external", "mnt[/data]:/data"], ["--empty-ns", "net"]] {
            XCTAssertTrue(contains(a, want), "\(want) missing from \(a)")
        }
        for flag in ["--tcp-established", "--leave-running", "--track-mem", "--manage-cgroups=full"] {
            XCTAssertTrue(a.contains(flag), "\(flag) missing from \(a)")
        }
        XCTAssertFalse(a.contains("--shell-job"))
    }

    func testPageServerIsTheDumpItselfWithLazyPages() {
        let facts = CriuArguments.ContainerFacts(initPid: 5, rootfs: "/r", dumpMounts: [], freezeCgroup: nil)
        var o = CheckpointOptions(common: CriuCommonOptions(imagePath: "/i"))
        o.pageServer = "10.0.0.2:27277"
        let a = CriuArguments.dump(o, facts: facts, netNsInode: nil, pidNsInode: nil)
        XCTAssertTrue(contains(a, ["--page-server", "--address", "10.0.0.2", "--port", "27277"]), "\(a)")
        o.common.lazyPages = true
        let b = CriuArguments.dump(o, facts: facts, netNsInode: nil, pidNsInode: nil)
        XCTAssertTrue(contains(b, ["--port", "27277"]) && b.contains("--lazy-pages"), "\(b)")
        XCTAssertFalse(b.contains("--page-server") || b.contains("--address"), "\(b)")
    }

    func testDumpOfTheContainersTerminalIsAShellJob() {
        var facts = CriuArguments.ContainerFacts(initPid: 5, rootfs: "/r", dumpMounts: [], freezeCgroup: nil)
        facts.terminal = "tty[8800:1a]"
        var common = CriuCommonOptions(imagePath: "/i")
        let a = CriuArguments.dump(CheckpointOptions(common: common), facts: facts, netNsInode: nil, pidNsInode: nil)
        XCTAssertEqual(a.filter { $0 == "--shell-job" }.count, 1, "\(a)")
        XCTAssertFalse(a.contains { $0.hasPrefix("tty[") })
        common.shellJob = true
        let b = CriuArguments.dump(CheckpointOptions(common: common), facts: facts, netNsInode: nil, pidNsInode: nil)
        XCTAssertEqual(b.filter { $0 == "--shell-job" }.count, 1, "\(b)")
    }

    func testPreDumpTracksMemoryAndDeclaresNoMounts() {
        var o = CheckpointOptions(common: CriuCommonOptions(imagePath: "/p"))
        o.preDump = true
        let facts = CriuArguments.ContainerFacts(initPid: 7, rootfs: "/r", dumpMounts: [("/data", "/data")],
                                                 freezeCgroup: nil)
        let a = CriuArguments.dump(o, facts: facts, netNsInode: nil, pidNsInode: nil)
        XCTAssertEqual(a.first, "pre-dump")
        XCTAssertTrue(a.contains("--track-mem") && a.contains("--manage-cgroups"))
        XCTAssertFalse(a.contains { $0.hasPrefix("mnt[") })
    }

    func testRestoreArguments() {
        var common = CriuCommonOptions(imagePath: "/img")
        common.workPath = "/work"
        let o = RestoreOptions(common: common, id: "c2", bundle: "/b")
        let a = CriuArguments.restore(o, root: "/run/swrun/c2/criu-root", pidFile: "/run/swrun/c2/p",
                                      restoreMounts: [("/data", "/srv/data")], inheritFds: [(1, "pipe:[123]"), (3, "extRootNetNS")],
                                      joinNamespaces: [("ipc", "/proc/1/ns/ipc")])
        XCTAssertEqual(a.first, "restore")
        for want in [["--root", "/run/swrun/c2/criu-root"], ["--pidfile", "/run/swrun/c2/p"], ["-W", "/work"], ["-o", "restore.log"],
                     ["--external", "mnt[/data]:/srv/data"], ["--inherit-fd", "fd[1]:pipe:[123]"],
                     ["--inherit-fd", "fd[3]:extRootNetNS"], ["--join-ns", "ipc:/proc/1/ns/ipc"]] {
            XCTAssertTrue(contains(a, want), "\(want) missing from \(a)")
        }
        XCTAssertTrue(a.contains("--restore-detached") && a.contains("--restore-sibling"))
    }

    func testFlagValuesAreCheckedAsRuncChecksThem() {
        var c = CriuCommonOptions(imagePath: "/i")
        c.manageCgroupsMode = "props"
        XCTAssertThrowsError(try c.validate())
        c.manageCgroupsMode = "strict"
        XCTAssertNoThrow(try c.validate())
        c.emptyNs = ["ipc"]
        XCTAssertThrowsError(try c.validate())
        c.emptyNs = ["network"]
        XCTAssertNoThrow(try c.validate())
    }

    func testVersionParsing() {
        XCTAssertEqual(CriuVersion.parse("Version: 3.17.1\n")?.number, 31701)
        XCTAssertEqual(CriuVersion.parse("Version: 3.19\nGitID: v3.19\n")?.number, 31900)
        XCTAssertNil(CriuVersion.parse("criu: unknown"))
        XCTAssertTrue(CriuVersion(major: 3, minor: 13, patch: 9) < CriuBinary.minimum)
    }

    private func contains(_ a: [String], _ seq: [String]) -> Bool {
        guard a.count >= seq.count else { return false }
        return (0...(a.count - seq.count)).contains { Array(a[$0..<($0 + seq.count)]) == seq }
    }
}
