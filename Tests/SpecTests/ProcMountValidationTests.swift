import XCTest
@testable import Spec

/// issue 12, class 5: only a procfs on /proc, and only lxcfs's files over files inside it.
extension SpecValidationTests {
    func procMount(_ m: Mount) -> (inout Spec) -> Void {
        { $0.mounts = [Mount(destination: "/proc", type: "proc", source: "proc"), m] }
    }

    func testOnlyAProcfsOnProc() {
        for dest in ["/proc", "/proc/", "//proc", "/proc/.", "/x/../proc", "/proc/sys/.."] {
            check(procMount(Mount(destination: dest, type: "bind", source: "/tmp", options: ["rbind"])),
                  path: "mounts[1].destination", message: "only a procfs can be mounted on /proc")
            check(procMount(Mount(destination: dest, type: "tmpfs", source: "tmpfs")),
                  path: "mounts[1].destination", message: "only a procfs can be mounted on /proc")
            check(procMount(Mount(destination: dest, source: "/srv/fakeproc", options: ["bind"])),
                  path: "mounts[1].destination", message: "a bind of \"/srv/fakeproc\"")
        }
    }

    func testProcfsOnProcIsAllowed() throws {
        for m in [Mount(destination: "/proc", type: "proc", source: "proc"),
                  Mount(destination: "/proc/", type: "proc", source: "whatever"),
                  Mount(destination: "/proc", type: "bind", source: "/proc", options: ["rbind", "nosuid"]),
                  Mount(destination: "/proc", source: "/proc/", options: ["bind"])] {
            var spec = Spec.defaultSpec(rootless: false)
            procMount(m)(&spec)
            XCTAssertNoThrow(try spec.validate(bundle: bundle.path), "\(m)")
        }
    }

    func testNothingMountedInsideProcButLxcfsFiles() throws {
        for dest in ["/proc/cmdline", "/proc/sys", "/proc/sys/kernel/core_pattern", "/proc/self/fd/3",
                     "/proc/1", "/proc/net/dev", "/proc/sysrq-trigger", "/proc/./kcore", "/proc/cpuinfo/x"] {
            check(procMount(Mount(destination: dest, type: "bind", source: "/tmp/f", options: ["bind"])),
                  path: "mounts[1].destination", message: "is inside /proc")
        }
        for dest in Spec.procFilesAllowedAsMountDestinations + ["/proc//meminfo", "/proc/sys/../uptime"] {
            var spec = Spec.defaultSpec(rootless: false)
            procMount(Mount(destination: dest, type: "bind", source: "/var/lib/lxcfs/proc/x", options: ["bind"]))(&spec)
            XCTAssertNoThrow(try spec.validate(bundle: bundle.path), dest)
        }
    }

    func testNeighboursOfProcAreNotProc() throws {
        for dest in ["/procx", "/proc2/cmdline", "/srv/proc", "/"] {
            var spec = Spec.defaultSpec(rootless: false)
            procMount(Mount(destination: dest, type: "tmpfs", source: "tmpfs"))(&spec)
            XCTAssertNoThrow(try spec.validate(bundle: bundle.path), dest)
        }
    }
}
