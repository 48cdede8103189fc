import XCTest
@testable import OCIRuntime
import Spec

final class SystemdPropertiesTests: XCTestCase {
    typealias P = SystemdProperty
    let inf = UInt64.max

    func resources(_ r: LinuxResources?, version: Int = 252) throws -> [P] {
        do { return try SystemdProperties.resources(r, version: version).properties } catch {
            XCTFail("\(error)"); return []
        }
    }

    func limits(_ r: LinuxResources, version: Int = 252) throws -> [P] {
        try resources(r, version: version)
    }

    func testScopeUnit() throws {
        let path = try SystemdCgroupsPath.parse("machine.slice:libpod:abc", id: "abc")
        let p = try SystemdProperties.unit(path, pid: 4242, resources: nil, version: 252)
        XCTAssertEqual(p, [
            P("Description", .string("swrun container abc")),
            P("Slice", .string("machine.slice")),
            P("Delegate", .bool(true)),
            P("PIDs", .uint32s([4242])),
            P("MemoryAccounting", .bool(true)), P("CPUAccounting", .bool(true)),
            P("IOAccounting", .bool(true)), P("TasksAccounting", .bool(true)),
            P("DefaultDependencies", .bool(false)),
        ])
    }

    func testSliceUnitWantsItsParentAndIsNotDelegated() throws {
        let path = try SystemdCgroupsPath.parse("system.slice:p:my.slice", id: "x")
        let p = try SystemdProperties.unit(path, pid: nil, resources: nil, version: 252)
        XCTAssertEqual(p[1], P("Wants", .strings(["system.slice"])))
        XCTAssertFalse(p.contains { $0.name == "Delegate" || $0.name == "Slice" || $0.name == "PIDs" })
    }

    func testOOMPolicyFromMemoryOOMGroupOnlyWhereSystemdTakesIt() throws {
        let path = try SystemdCgroupsPath.parse(nil, id: "x")
        for (value, policy) in [("1", "kill"), ("0", "continue")] {
            let r = LinuxResources(unified: ["memory.oom.group": value])
            let p = try SystemdProperties.unit(path, pid: 1, resources: r, version: 253)
            XCTAssertEqual(p.last, P("OOMPolicy", .string(policy)))
            let old = try SystemdProperties.unit(path, pid: 1, resources: r, version: 252)
            XCTAssertFalse(old.contains { $0.name == "OOMPolicy" })
        }
        let e = expectError({ () throws(RuntimeError) in
            try SystemdProperties.unit(path, pid: 1, resources: LinuxResources(unified: ["memory.oom.group": "yes"]), version: 253)
        })
        XCTAssertEqual(e?.jsonPath, "linux.resources.unified[\"memory.oom.group\"]")
    }

    func testMemory() throws {
        let mb: Int64 = 1 << 20
        XCTAssertEqual(try limits(LinuxResources(memory: LinuxMemory(limit: 64 * mb, reservation: 32 * mb, swap: 128 * mb))), [
            P("MemoryMax", .uint64(UInt64(64 * mb))), P("MemoryLow", .uint64(UInt64(32 * mb))),
            P("MemorySwapMax", .uint64(UInt64(64 * mb))),
        ])
        // -1 is unlimited; unlimited memory without a swap value means unlimited swap too.
        XCTAssertEqual(try limits(LinuxResources(memory: LinuxMemory(limit: -1))), [
            P("MemoryMax", .uint64(inf)), P("MemorySwapMax", .uint64(inf)),
        ])
        let e = expectError({ () throws(RuntimeError) in
            try SystemdProperties.resources(LinuxResources(memory: LinuxMemory(limit: 64 * mb, swap: 32 * mb)), version: 252)
        })
        XCTAssertEqual(e?.jsonPath, "linux.resources.memory.swap")
    }

    func testCPUWeightFromShares() throws {
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(shares: 1024))), [P("CPUWeight", .uint64(100))])
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(shares: 2))), [P("CPUWeight", .uint64(1))])
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(shares: 262_144))), [P("CPUWeight", .uint64(10_000))])
    }

    func testCPUIdleIsWeightZeroAndWinsOverShares() throws {
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(shares: 1024, idle: 1))), [P("CPUWeight", .uint64(0))])
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(shares: 1024, idle: 1)), version: 251),
                       [P("CPUWeight", .uint64(100))])
    }

    func testCPUQuota() throws {
        // --cpus 0.5
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(quota: 50_000, period: 100_000))), [
            P("CPUQuotaPeriodUSec", .uint64(100_000)), P("CPUQuotaPerSecUSec", .uint64(500_000)),
        ])
        // No period: the kernel's default 100 ms, and no period property.
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(quota: 20_000))), [P("CPUQuotaPerSecUSec", .uint64(200_000))])
        // Unlimited quota with a period.
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(quota: -1, period: 50_000))), [
            P("CPUQuotaPeriodUSec", .uint64(50_000)), P("CPUQuotaPerSecUSec", .uint64(inf)),
        ])
        // systemd < 242 has no CPUQuotaPeriodUSec.
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(quota: 50_000, period: 100_000)), version: 241),
                       [P("CPUQuotaPerSecUSec", .uint64(500_000))])
    }

    func testCPUQuotaRoundsUpToWholePercentAndTheFilesFollow() throws {
        let r = LinuxResources(cpu: LinuxCPU(quota: 12_345, period: 100_000))
        let (p, adjusted) = try SystemdProperties.resources(r, version: 252)
        XCTAssertEqual(p.last, P("CPUQuotaPerSecUSec", .uint64(130_000)))
        XCTAssertEqual(adjusted?.cpu?.quota, 13_000)
        XCTAssertEqual(adjusted?.cpu?.period, 100_000)
    }

    func testTasksMax() throws {
        XCTAssertEqual(try limits(LinuxResources(pids: LinuxPids(limit: 10))), [P("TasksMax", .uint64(10))])
        XCTAssertEqual(try limits(LinuxResources(pids: LinuxPids(limit: -1))), [P("TasksMax", .uint64(inf))])
        XCTAssertEqual(try limits(LinuxResources(pids: LinuxPids(limit: 0))), [P("TasksMax", .uint64(inf))])  // 0: no limit, as runc 1.1
    }

    func testAllowedCPUsAndMemoryNodesAsLittleEndianBitmasks() throws {
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(cpus: "0-3,8", mems: "1,3-5"))), [
            P("AllowedCPUs", .bytes([0x0f, 0x01])), P("AllowedMemoryNodes", .bytes([0x3a])),
        ])
        XCTAssertEqual(try limits(LinuxResources(cpu: LinuxCPU(cpus: "0-3")), version: 243), [])
        for bad in ["3-1", "a", "1-2-3", ",", "-1"] {
            let e = expectError({ () throws(RuntimeError) in
                try SystemdProperties.resources(LinuxResources(cpu: LinuxCPU(cpus: bad)), version: 252)
            })
            XCTAssertEqual(e?.jsonPath, "linux.resources.cpu.cpus", bad)
        }
    }

    func testIOWeight() throws {
        XCTAssertEqual(try limits(LinuxResources(blockIO: LinuxBlockIO(weight: 500))), [P("IOWeight", .uint64(4950))])
        XCTAssertEqual(try limits(LinuxResources(blockIO: LinuxBlockIO(weight: 10))), [P("IOWeight", .uint64(1))])
    }

    func testUnifiedKeysSystemdUnderstands() throws {
        let u = ["cpu.max": "25000 50000", "cpu.weight": "300", "cpuset.cpus": "1", "cpuset.mems": "0",
                 "memory.high": "max", "memory.low": "1000", "memory.min": "2000", "memory.max": "4096",
                 "memory.swap.max": "0", "pids.max": "0", "io.max": "8:0 rbps=1", "memory.oom.group": "1"]
        XCTAssertEqual(try limits(LinuxResources(unified: u)), [
            P("CPUQuotaPeriodUSec", .uint64(50_000)), P("CPUQuotaPerSecUSec", .uint64(500_000)),
            P("CPUWeight", .uint64(300)),
            P("AllowedCPUs", .bytes([0x02])), P("AllowedMemoryNodes", .bytes([0x01])),
            P("MemoryHigh", .uint64(inf)), P("MemoryLow", .uint64(1000)), P("MemoryMax", .uint64(4096)),
            P("MemoryMin", .uint64(2000)), P("MemorySwapMax", .uint64(0)),
            P("TasksMax", .uint64(1)),
        ])
        XCTAssertEqual(try limits(LinuxResources(unified: ["cpu.max": "max"])), [P("CPUQuotaPeriodUSec", .uint64(100_000)),
                                                                                  P("CPUQuotaPerSecUSec", .uint64(inf))])
        XCTAssertEqual(try limits(LinuxResources(unified: ["cpu.idle": "1", "cpu.weight": "300"])), [P("CPUWeight", .uint64(0))])
    }

    func testUnifiedBadValuesNameTheirKey() {
        for (k, v) in [("cpu.max", "1 2 3"), ("cpu.max", "x"), ("cpu.weight", "-1"), ("memory.max", "64m"),
                       ("pids.max", "lots"), ("cpuset.cpus", "z")] {
            let e = expectError({ () throws(RuntimeError) in
                try SystemdProperties.resources(LinuxResources(unified: [k: v]), version: 252)
            })
            XCTAssertEqual(e?.jsonPath, "linux.resources.unified[\"\(k)\"]", "\(k)=\(v)")
        }
        let e = expectError({ () throws(RuntimeError) in
            try SystemdProperties.resources(LinuxResources(unified: ["../memory.max": "1"]), version: 252)
        })
        XCTAssertNotNil(e?.jsonPath)
    }
}
