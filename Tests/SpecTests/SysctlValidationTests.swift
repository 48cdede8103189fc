import XCTest
@testable import Spec

/// issue 12, class 4: only namespaced sysctls, and only with the container's own namespace.
extension SpecValidationTests {
    /// A sysctl, and the namespace type it needs (nil: refused whatever the namespaces).
    static let sysctlNeeds: [(String, String?)] =
        Spec.ipcNamespaceSysctls.map { ($0, "ipc") } + [
            ("fs.mqueue.queues_max", "ipc"), ("fs.mqueue.msg_max", "ipc"),
            ("net.ipv4.ip_forward", "network"), ("net.core.somaxconn", "network"), ("net.ipv4.ping_group_range", "network"),
            ("user.max_user_namespaces", "user"),
            ("kernel.domainname", "uts"),
            ("kernel.hostname", nil), ("kernel.printk_ratelimit", nil), ("kernel.core_pattern", nil),
            ("vm.overcommit_memory", nil), ("fs.file-max", nil), ("fs.mqueue", nil), ("kernel.shm_next_id", nil),
            ("dev.tty.ldisc_autoload", nil), ("abi.vsyscall32", nil), ("netfoo.x", nil),
        ]

    /// Every sysctl above against every set of the four namespaces that own sysctls.
    func testSysctlAllowedExactlyWithItsOwnNamespace() {
        let types = ["ipc", "network", "uts", "user"]
        for mask in 0..<(1 << types.count) {
            let present = types.indices.filter { mask & (1 << $0) != 0 }.map { types[$0] }
            for (name, needs) in Self.sysctlNeeds {
                var spec = Spec.defaultSpec(rootless: false)
                spec.linux?.namespaces = [LinuxNamespace(type: "pid"), LinuxNamespace(type: "mount")]
                    + present.map { LinuxNamespace(type: $0) }
                if present.contains("user") {
                    spec.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)]
                    spec.linux?.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)]
                }
                if !present.contains("uts") { spec.hostname = nil }
                spec.linux?.sysctl = [name: "1"]
                let label = "\(name) with \(present)"
                if let needs, present.contains(needs) {
                    XCTAssertNoThrow(try spec.validate(bundle: bundle.path), label)
                } else {
                    let err = expectError({ () throws(RuntimeError) in try spec.validate(bundle: bundle.path) })
                    XCTAssertEqual(err?.jsonPath, "linux.sysctl[\"\(name)\"]", label)
                }
            }
        }
    }

    func testSysctlMessagesSayWhy() {
        check({ $0.linux?.sysctl = ["kernel.printk_ratelimit": "1"] },
              path: #"linux.sysctl["kernel.printk_ratelimit"]"#, message: "is not namespaced")
        check({ $0.linux?.namespaces?.removeAll { $0.type == "ipc" }; $0.linux?.sysctl = ["fs.mqueue.queues_max": "1"] },
              path: #"linux.sysctl["fs.mqueue.queues_max"]"#, message: "needs an IPC namespace")
        check({ $0.linux?.namespaces?.removeAll { $0.type == "network" }; $0.linux?.sysctl = ["net.ipv4.ping_group_range": "0 0"] },
              path: #"linux.sysctl["net.ipv4.ping_group_range"]"#, message: "needs a network namespace")
        check({ $0.linux?.sysctl = ["kernel.hostname": "x"] },
              path: #"linux.sysctl["kernel.hostname"]"#, message: "conflicts with the OCI \"hostname\" field")
    }

    func testSysctlDomainnameMustAgreeWithTheField() throws {
        check({ $0.domainname = "a.example"; $0.linux?.sysctl = ["kernel.domainname": "b.example"] },
              path: #"linux.sysctl["kernel.domainname"]"#, message: "conflicts with the OCI \"domainname\" field")
        var spec = Spec.defaultSpec(rootless: false)
        spec.domainname = "a.example"
        spec.linux?.sysctl = ["kernel.domainname": "a.example"]
        XCTAssertNoThrow(try spec.validate(bundle: bundle.path))
    }

    /// Names that would leave /proc/sys once their dots become slashes, or are cut short.
    func testSysctlNamesMustStayUnderProcSys() {
        for name in ["", "net/ipv4/ip_forward", "net.ipv4..ip_forward", "net..", ".net.core.somaxconn",
                     "net.core.somaxconn.", "net.\u{0}core", "net.ipv4/../../kernel/core_pattern", "."] {
            check({ $0.linux?.sysctl = [name: "1"] }, path: JSONPath.key("linux.sysctl", name),
                  message: name.isEmpty ? "empty sysctl name" : "is not a sysctl name")
        }
    }

    /// A namespace joined by a path is the container's own unless it is swrun's (runc's
    /// isHostNetNS); swrun applies that to the IPC and UTS namespaces too.
    func testSysctlRefusedInANamespaceJoinedFromSwrunItself() {
        for (type, kernel, name) in [("network", "net", "net.ipv4.ip_forward"), ("ipc", "ipc", "kernel.shmmax"),
                                     ("uts", "uts", "kernel.domainname")] {
            check({ spec in
                let namespaces = spec.linux?.namespaces?.map {
                    $0.type == type ? LinuxNamespace(type: type, path: "/proc/self/ns/" + kernel) : $0
                }
                spec.linux?.namespaces = namespaces
                spec.linux?.sysctl = [name: "1"]
            }, path: "linux.sysctl[\"\(name)\"]", message: "is the one swrun runs in")
        }
    }

    func testSysctlNamespacePathThatCannotBeStatted() {
        check({ spec in
            let namespaces = spec.linux?.namespaces?.map {
                $0.type == "network" ? LinuxNamespace(type: "network", path: "/nonexistent/netns") : $0
            }
            spec.linux?.namespaces = namespaces
            spec.linux?.sysctl = ["net.core.somaxconn": "1"]
        }, path: "linux.namespaces[1].path", message: "cannot use /nonexistent/netns")
    }
}
