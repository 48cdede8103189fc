import XCTest
@testable import Spec

final class SpecDecodingTests: XCTestCase {
    func testDefaultConfigRoundTrip() throws {
        for rootless in [false, true] {
            let json = Spec.defaultConfig(rootless: rootless)
            let reparsed = try JSONValue.parse(json.serialized())
            XCTAssertEqual(reparsed, json)
            let spec = try Spec.decode(reparsed)
            XCTAssertEqual(spec, Spec.defaultSpec(rootless: rootless))
            XCTAssertEqual(spec.toJSON(), json)
            XCTAssertEqual(try Spec.parse(Array(json.serialized(pretty: true).utf8)), spec)
        }
    }

    func testFullConfigRoundTripsThroughEncoding() throws {
        let text = """
        {"ociVersion":"1.3.0","process":{"terminal":false,"consoleSize":{"height":24,"width":80},
         "user":{"uid":1,"gid":2,"umask":18,"additionalGids":[3,4]},"args":["a"],"env":[],"cwd":"/",
         "capabilities":{"bounding":["CAP_KILL"],"ambient":[]},"rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":0}],
         "oomScoreAdj":-1000,"scheduler":{"policy":"SCHED_DEADLINE","runtime":1,"deadline":2,"period":3,"flags":["SCHED_FLAG_RECLAIM"]},
         "ioPriority":{"class":"IOPRIO_CLASS_BE","priority":4},"execCPUAffinity":{"initial":"0","final":"1-3"}},
         "root":{"path":"r"},"mounts":[{"destination":"/m","uidMappings":[{"containerID":0,"hostID":1000,"size":1}]}],
         "hooks":{"poststop":[{"path":"/bin/true","args":["true"],"env":["A=B"],"timeout":5}]},
         "annotations":{"a.b":"c"},
         "linux":{"sysctl":{"net.ipv4.ip_forward":"1"},"cgroupsPath":"/x","namespaces":[{"type":"time"}],
          "devices":[{"path":"/dev/null","type":"c","major":1,"minor":3,"fileMode":438,"uid":0,"gid":0}],
          "netDevices":{"eth1":{"name":"ctr0"}},
          "resources":{"devices":[{"allow":true,"type":"c","major":-1,"minor":5,"access":"rw"}],
           "memory":{"limit":-1,"reservation":1,"swap":2,"kernel":3,"kernelTCP":4,"swappiness":60,"disableOOMKiller":true,"useHierarchy":false,"checkBeforeUpdate":true},
           "cpu":{"shares":1024,"quota":-1,"burst":1,"period":100000,"realtimeRuntime":-1,"realtimePeriod":2,"cpus":"0-1","mems":"0","idle":1},
           "pids":{"limit":-1},"blockIO":{"weight":500,"leafWeight":10,"weightDevice":[{"major":8,"minor":0,"weight":10}],
           "throttleReadBpsDevice":[{"major":8,"minor":0,"rate":100}],"throttleWriteIOPSDevice":[{"major":8,"minor":0,"rate":5}]},
           "hugepageLimits":[{"pageSize":"2MB","limit":1048576}],"network":{"classID":7,"priorities":[{"name":"eth0","priority":3}]},
           "rdma":{"mlx5_1":{"hcaHandles":3,"hcaObjects":10000}},"unified":{"memory.high":"max"}},
          "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64"],
           "flags":["SECCOMP_FILTER_FLAG_LOG"],"listenerPath":"/run/l.sock","listenerMetadata":"m",
           "syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":2,"args":[{"index":1,"value":2,"valueTwo":3,"op":"SCMP_CMP_MASKED_EQ"}]}]},
          "rootfsPropagation":"rslave","maskedPaths":[],"readonlyPaths":["/proc/sys"],"mountLabel":"l",
          "intelRdt":{"closID":"c","schemata":["L3:0=f"],"l3CacheSchema":"L3:0=f","memBwSchema":"MB:0=20","enableMonitoring":true},
          "memoryPolicy":{"mode":"MPOL_BIND","nodes":"0-1","flags":["MPOL_F_STATIC_NODES"]},
          "personality":{"domain":"LINUX32","flags":[]},"timeOffsets":{"monotonic":{"secs":-5,"nanosecs":7}}}}
        """
        let spec = try Spec.parse(Array(text.utf8))
        XCTAssertEqual(spec.process?.rlimits?.first?.hard, UInt64.max)
        XCTAssertEqual(spec.process?.oomScoreAdj, -1000)
        XCTAssertEqual(spec.process?.ioPriority?.class, "IOPRIO_CLASS_BE")
        XCTAssertEqual(spec.linux?.resources?.memory?.limit, -1)
        XCTAssertEqual(spec.linux?.resources?.devices?.first?.major, -1)
        XCTAssertEqual(spec.linux?.resources?.blockIO?.weightDevice?.first?.weight, 10)
        XCTAssertEqual(spec.linux?.resources?.rdma?["mlx5_1"]?.hcaObjects, 10000)
        XCTAssertEqual(spec.linux?.seccomp?.syscalls?.first?.args?.first?.valueTwo, 3)
        XCTAssertEqual(spec.linux?.timeOffsets?["monotonic"]?.secs, -5)
        XCTAssertEqual(spec.linux?.netDevices?["eth1"]?.name, "ctr0")
        XCTAssertEqual(spec.mounts?.first?.uidMappings?.first?.hostID, 1000)
        XCTAssertEqual(spec.hooks?.poststop?.first?.timeout, 5)
        XCTAssertEqual(spec.namespace("time")?.type, "time")
        XCTAssertNil(spec.namespace("pid"))
        XCTAssertEqual(try Spec.decode(try JSONValue.parse(spec.toJSON().serialized())), spec)
    }

    func testLargeRlimitValues() throws {
        let spec = try Spec.parse(Array("""
            {"ociVersion":"1.0.0","process":{"cwd":"/","rlimits":[
             {"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":9223372036854775808}]}}
            """.utf8))
        XCTAssertEqual(spec.process?.rlimits?[0].hard, 18446744073709551615)
        XCTAssertEqual(spec.process?.rlimits?[0].soft, 9223372036854775808)
        XCTAssertEqual(spec.toJSON()["process"]?["rlimits"]?[0]?["hard"], .uint(UInt64.max))
    }

    func testAbsentAndEmptyStayDifferent() throws {
        let spec = try Spec.parse(Array(#"{"ociVersion":"1.0.0","mounts":[],"process":{"cwd":"/","env":[]},"linux":{"maskedPaths":[],"sysctl":{}}}"#.utf8))
        XCTAssertEqual(spec.mounts, [])
        XCTAssertEqual(spec.process?.env, [])
        XCTAssertNil(spec.process?.args)
        XCTAssertEqual(spec.linux?.maskedPaths, [])
        XCTAssertNil(spec.linux?.readonlyPaths)
        XCTAssertEqual(spec.linux?.sysctl, [:])
        XCTAssertNil(spec.hooks)
        let out = spec.toJSON()
        XCTAssertEqual(out["mounts"], .array([]))
        XCTAssertNil(out["hooks"])
        XCTAssertNil(out["linux"]?["readonlyPaths"])
    }

    func testNullCountsAsAbsent() throws {
        let spec = try Spec.parse(Array(#"{"ociVersion":"1.0.0","hostname":null,"linux":{"namespaces":null}}"#.utf8))
        XCTAssertNil(spec.hostname)
        XCTAssertNil(spec.linux?.namespaces)
    }

    func testUnknownPropertiesAreIgnored() throws {
        let spec = try Spec.parse(Array("""
            {"ociVersion":"1.0.0","future":{"x":[1,2]},"windows":{"layerFolders":["c:"]},
             "root":{"path":"rootfs","extra":true},"linux":{"newThing":3,"namespaces":[{"type":"pid","weird":"y"}]}}
            """.utf8))
        XCTAssertEqual(spec.root, Root(path: "rootfs"))
        XCTAssertEqual(spec.linux?.namespaces, [LinuxNamespace(type: "pid")])
    }

    func testWrongTypesNameTheirPath() {
        assertDecodeError(#"{"ociVersion":1}"#, path: "ociVersion", message: "expected a string, got number 1")
        assertDecodeError(#"[]"#, path: "", message: "expected an object, got an array")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"resources":{"memory":{"limit":"64m"}}}}"#,
                          path: "linux.resources.memory.limit", message: #"expected an integer, got string "64m""#)
        assertDecodeError(#"{"ociVersion":"1.0.0","mounts":[{"destination":"/a"},{"destination":"/b"},{"destination":3}]}"#,
                          path: "mounts[2].destination", message: "expected a string, got number 3")
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"cwd":"/","args":["a",null]}}"#,
                          path: "process.args[1]", message: "expected a string, got null")
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"cwd":"/","terminal":"yes"}}"#,
                          path: "process.terminal", message: #"expected a boolean, got string "yes""#)
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"cwd":"/","user":[]}}"#,
                          path: "process.user", message: "expected an object, got an array")
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"cwd":"/","capabilities":{"bounding":"CAP_KILL"}}}"#,
                          path: "process.capabilities.bounding", message: #"expected an array, got string "CAP_KILL""#)
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":true,"op":"SCMP_CMP_EQ"}]}]}}}"#,
                          path: "linux.seccomp.syscalls[0].args[0].value", message: "expected an integer, got boolean true")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"sysctl":{"net.core.somaxconn":1024}}}"#,
                          path: #"linux.sysctl["net.core.somaxconn"]"#, message: "expected a string, got number 1024")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"resources":{"rdma":{"mlx":{"hcaHandles":"x"}}}}}"#,
                          path: #"linux.resources.rdma["mlx"].hcaHandles"#, message: "expected an integer")
        assertDecodeError(#"{"ociVersion":"1.0.0","hooks":{"createRuntime":[{"path":"/a"},{"path":"/b","timeout":"5"}]}}"#,
                          path: "hooks.createRuntime[1].timeout", message: "expected an integer")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"timeOffsets":{"boottime":{"secs":1.5}}}}"#,
                          path: #"linux.timeOffsets["boottime"].secs"#, message: "expected an integer, got number 1.5")
    }

    func testMissingRequiredFields() {
        assertDecodeError(#"{}"#, path: "ociVersion", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","root":{}}"#, path: "root.path", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"args":["sh"]}}"#, path: "process.cwd", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"cwd":"/","user":{"uid":0}}}"#, path: "process.user.gid", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"namespaces":[{"type":"pid"},{"path":"/x"}]}}"#,
                          path: "linux.namespaces[1].type", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"uidMappings":[{"containerID":0,"hostID":1}]}}"#,
                          path: "linux.uidMappings[0].size", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"cwd":"/","rlimits":[{"type":"RLIMIT_CORE","hard":1}]}}"#,
                          path: "process.rlimits[0].soft", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"seccomp":{}}}"#, path: "linux.seccomp.defaultAction", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"resources":{"devices":[{"access":"rwm"}]}}}"#,
                          path: "linux.resources.devices[0].allow", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"devices":[{"path":"/dev/x"}]}}"#, path: "linux.devices[0].type", message: "required")
        assertDecodeError(#"{"ociVersion":"1.0.0","hooks":{"poststart":[{"args":[]}]}}"#, path: "hooks.poststart[0].path", message: "required")
    }

    func testIntegerRangesAndFractions() throws {
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"cwd":"/","user":{"uid":-1,"gid":0}}}"#,
                          path: "process.user.uid", message: "-1 is out of range for uint32 (0 to 4294967295)")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"resources":{"blockIO":{"weight":70000}}}}"#,
                          path: "linux.resources.blockIO.weight", message: "70000 is out of range for uint16 (0 to 65535)")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"resources":{"memory":{"limit":18446744073709551615}}}}"#,
                          path: "linux.resources.memory.limit", message: "out of range for int64")
        assertDecodeError(#"{"ociVersion":"1.0.0","linux":{"resources":{"cpu":{"shares":2.5}}}}"#,
                          path: "linux.resources.cpu.shares", message: "expected an integer, got number 2.5")
        assertDecodeError(#"{"ociVersion":"1.0.0","process":{"cwd":"/","rlimits":[{"type":"RLIMIT_CORE","hard":-1,"soft":0}]}}"#,
                          path: "process.rlimits[0].hard", message: "out of range for uint64")
        // Whole numbers written as floats are integers to JavaScript-based generators.
        let spec = try Spec.parse(Array(#"{"ociVersion":"1.0.0","linux":{"resources":{"pids":{"limit":100.0},"cpu":{"quota":1e3}}}}"#.utf8))
        XCTAssertEqual(spec.linux?.resources?.pids?.limit, 100)
        XCTAssertEqual(spec.linux?.resources?.cpu?.quota, 1000)
    }

    func testNotJSONThroughSpecParse() {
        let err = expectError { () throws(RuntimeError) in try Spec.parse(Array("{\n\"ociVersion\": \"1.0.0\",,\n}".utf8)) }
        XCTAssertEqual(err?.jsonPath, "")
        XCTAssertTrue(err?.description.hasPrefix("config.json: not valid JSON at line 2, column ") ?? false, "\(String(describing: err))")
    }

    func testErrorDescriptionFormat() {
        let err = expectError { () throws(RuntimeError) in
            try Spec.parse(Array(#"{"ociVersion":"1.0.0","linux":{"resources":{"memory":{"limit":"64m"}}}}"#.utf8))
        }
        XCTAssertEqual(err?.description, #"config.json: linux.resources.memory.limit: expected an integer, got string "64m""#)
    }
}
