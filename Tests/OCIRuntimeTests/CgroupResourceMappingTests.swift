import XCTest
@testable import OCIRuntime
import Spec

/// linux.resources → interface files, for both cgroup versions, every field.
final class CgroupResourceMappingTests: XCTestCase {
    func files(_ p: CgroupWritePlan) -> [String] { p.writes.map { "\($0.file)=\($0.value)" } }

    func testSharesToWeightMatchesRuncAndCrun() {
        // Reference points of the quadratic fit runc (>= 1.3) and crun (>= 1.9) share.
        XCTAssertEqual(CgroupValues.weight(fromShares: 0), 0)
        XCTAssertEqual(CgroupValues.weight(fromShares: 1), 1)
        XCTAssertEqual(CgroupValues.weight(fromShares: 2), 1)
        XCTAssertEqual(CgroupValues.weight(fromShares: 1024), 100)
        XCTAssertEqual(CgroupValues.weight(fromShares: 512), 59)  // 10^1.7647 = 58.2, rounded up
        XCTAssertEqual(CgroupValues.weight(fromShares: 262_144), 10_000)
        XCTAssertEqual(CgroupValues.weight(fromShares: 1 << 30), 10_000)
        var last: UInt64 = 0
        for s in stride(from: UInt64(2), through: 262_144, by: 97) {
            let w = CgroupValues.weight(fromShares: s)
            XCTAssertGreaterThanOrEqual(w, last, "monotonic at \(s)")
            XCTAssert((1...10_000).contains(w))
            last = w
        }
    }

    func testBlkioToIOWeight() {
        XCTAssertEqual(CgroupValues.ioWeight(fromBlkio: 10), 1)
        XCTAssertEqual(CgroupValues.ioWeight(fromBlkio: 1000), 10_000)
        XCTAssertEqual(CgroupValues.ioWeight(fromBlkio: 500), 1 + 490 * 9999 / 990)
    }

    func testPidsMax() {
        XCTAssertEqual(CgroupValues.pidsMax(10), "10")
        XCTAssertEqual(CgroupValues.pidsMax(-1), "max")
        XCTAssertEqual(CgroupValues.pidsMax(0), "1")
    }

    func testSwapConversion() throws {
        XCTAssertEqual(try CgroupV2Files.swapMax(swap: 0, limit: -1), "max")
        XCTAssertEqual(try CgroupV2Files.swapMax(swap: -1, limit: 100), "max")
        XCTAssertNil(try CgroupV2Files.swapMax(swap: 0, limit: 100))
        XCTAssertEqual(try CgroupV2Files.swapMax(swap: 300, limit: 100), "200")
        XCTAssertEqual(try CgroupV2Files.swapMax(swap: 100, limit: 100), "0")
        XCTAssertEqual(try CgroupV2Files.swapMax(swap: 300, limit: -1), "300")
        XCTAssertThrowsError(try CgroupV2Files.swapMax(swap: 50, limit: 100)) {
            XCTAssertEqual(($0 as? RuntimeError)?.jsonPath, "linux.resources.memory.swap")
        }
        XCTAssertThrowsError(try CgroupV2Files.swapMax(swap: 50, limit: 0))
    }

    static let everything = LinuxResources(
        memory: LinuxMemory(limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20, kernel: 1, kernelTCP: 1 << 20,
                            swappiness: 10, disableOOMKiller: true, useHierarchy: true),
        cpu: LinuxCPU(shares: 1024, quota: 50_000, burst: 1000, period: 100_000, realtimeRuntime: 900,
                      realtimePeriod: 1000, cpus: "0-1", mems: "0", idle: 0),
        pids: LinuxPids(limit: 10),
        blockIO: LinuxBlockIO(weight: 500, leafWeight: 300,
                              weightDevice: [LinuxWeightDevice(major: 8, minor: 0, weight: 600, leafWeight: 200)],
                              throttleReadBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 1000)],
                              throttleWriteBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 2000)],
                              throttleReadIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 30)],
                              throttleWriteIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 16, rate: 0)]),
        hugepageLimits: [LinuxHugepageLimit(pageSize: "2MB", limit: 1 << 22)],
        network: LinuxNetwork(classID: 0x100001, priorities: [LinuxInterfacePriority(name: "eth0", priority: 5)]),
        rdma: ["mlx4_0": LinuxRdma(hcaHandles: 2, hcaObjects: 2000), "empty": LinuxRdma()],
        unified: ["memory.high": "50000000", "io.latency": "8:0 target=10"])

    func testV2EveryField() throws {
        let p = try CgroupV2Files.plan(for: Self.everything)
        XCTAssertEqual(files(p), [
            "pids.max=10",
            "memory.swap.max=\(32 << 20)", "memory.max=\(64 << 20)", "memory.low=\(32 << 20)",
            "io.bfq.weight=500", "io.bfq.weight=8:0 600",
            "io.max=8:0 rbps=1000", "io.max=8:0 wbps=2000", "io.max=8:0 riops=30", "io.max=8:16 wiops=max",
            "cpu.idle=0", "cpu.weight=100", "cpu.max=50000 100000", "cpu.max.burst=1000",
            "cpuset.cpus=0-1", "cpuset.mems=0",
            "hugetlb.2MB.max=\(1 << 22)",
            "rdma.max=mlx4_0 hca_handle=2 hca_object=2000",
            "io.latency=8:0 target=10", "memory.high=50000000",
        ])
        XCTAssertEqual(p.writes.first { $0.file == "io.bfq.weight" }?.ifMissing,
                       .instead(CgroupFileWrite(file: "io.weight", value: "4950", ifMissing: .warn,
                                                jsonPath: "linux.resources.blockIO.weight")))
        XCTAssertEqual(p.writes.first { $0.file == "memory.max" }?.jsonPath, "linux.resources.memory.limit")
        // What v2 cannot express is named, not silently dropped.
        let warned = p.warnings.joined(separator: "\n")
        for field in ["memory.kernel", "memory.swappiness", "memory.disableOOMKiller", "blockIO.leafWeight",
                      "cpu.realtimeRuntime", "network"] {
            XCTAssert(warned.contains(field), "no warning for \(field): \(warned)")
        }
    }

    func testV1EveryField() throws {
        let p = try CgroupV1Files.plan(for: Self.everything)
        XCTAssertEqual(files(p), [
            "cpuset.cpus=0-1", "cpuset.mems=0",
            "memory.limit_in_bytes=\(64 << 20)", "memory.memsw.limit_in_bytes=\(96 << 20)",
            "memory.soft_limit_in_bytes=\(32 << 20)", "memory.kmem.tcp.limit_in_bytes=\(1 << 20)",
            "memory.oom_control=1", "memory.swappiness=10",
            "cpu.shares=1024", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=50000", "cpu.cfs_burst_us=1000",
            "cpu.rt_period_us=1000", "cpu.rt_runtime_us=900", "cpu.idle=0",
            "pids.max=10",
            "blkio.weight=500", "blkio.leaf_weight=300", "blkio.weight_device=8:0 600",
            "blkio.leaf_weight_device=8:0 200",
            "blkio.throttle.read_bps_device=8:0 1000", "blkio.throttle.write_bps_device=8:0 2000",
            "blkio.throttle.read_iops_device=8:0 30", "blkio.throttle.write_iops_device=8:16 0",
            "hugetlb.2MB.limit_in_bytes=\(1 << 22)",
            "net_cls.classid=1048577", "net_prio.ifpriomap=eth0 5",
            "rdma.max=mlx4_0 hca_handle=2 hca_object=2000",
        ])
        XCTAssert(p.warnings.joined().contains("memory.kernel"))
        XCTAssertEqual(Set(p.writes.map(\.controller)),
                       ["cpuset", "memory", "cpu", "pids", "blkio", "hugetlb", "net_cls", "net_prio", "rdma"])
    }

    func testEmptyResourcesWriteNothing() throws {
        XCTAssertEqual(try CgroupV2Files.plan(for: LinuxResources()), CgroupWritePlan())
        XCTAssertEqual(try CgroupV1Files.plan(for: LinuxResources()), CgroupWritePlan())
        // Zero means "unset" for the numeric fields, as in runc.
        let zeros = LinuxResources(memory: LinuxMemory(limit: 0, reservation: 0, swap: 0),
                                   cpu: LinuxCPU(shares: 0, quota: 0, period: 0, cpus: "", mems: ""))
        XCTAssertEqual(try CgroupV2Files.plan(for: zeros).writes, [])
        XCTAssertEqual(try CgroupV1Files.plan(for: zeros).writes, [])
    }

    func testUnlimitedSpellings() throws {
        let r = LinuxResources(memory: LinuxMemory(limit: -1), cpu: LinuxCPU(quota: -1, period: 50_000),
                               pids: LinuxPids(limit: -1))
        XCTAssertEqual(files(try CgroupV2Files.plan(for: r)),
                       ["pids.max=max", "memory.swap.max=max", "memory.max=max", "cpu.max=max 50000"])
        XCTAssertEqual(files(try CgroupV1Files.plan(for: r)),
                       ["memory.limit_in_bytes=-1", "memory.memsw.limit_in_bytes=-1",
                        "cpu.cfs_period_us=50000", "cpu.cfs_quota_us=-1", "pids.max=max"])
        // A quota alone keeps the kernel's default period, spelled out.
        XCTAssertEqual(files(try CgroupV2Files.plan(for: LinuxResources(cpu: LinuxCPU(quota: 20_000)))),
                       ["cpu.max=20000 100000"])
    }

    func testConfigErrorsNameTheirPath() {
        func path(_ r: LinuxResources, v1: Bool = false) -> String? {
            do { _ = v1 ? try CgroupV1Files.plan(for: r) : try CgroupV2Files.plan(for: r); return nil }
            catch { return error.jsonPath }
        }
        XCTAssertEqual(path(LinuxResources(memory: LinuxMemory(swappiness: 101))), "linux.resources.memory.swappiness")
        XCTAssertEqual(path(LinuxResources(memory: LinuxMemory(swappiness: 101)), v1: true), "linux.resources.memory.swappiness")
        XCTAssertEqual(path(LinuxResources(memory: LinuxMemory(limit: 100, swap: 50)), v1: true), "linux.resources.memory.swap")
        XCTAssertEqual(path(LinuxResources(hugepageLimits: [LinuxHugepageLimit(pageSize: "2mb", limit: 1)])),
                       "linux.resources.hugepageLimits[0].pageSize")
        for bad in ["../x", "memory.max/../../x", "nodot", ".hidden", "a b.c"] {
            XCTAssertEqual(path(LinuxResources(unified: [bad: "1"])), "linux.resources.unified[\"\(bad)\"]", bad)
        }
        XCTAssertNil(path(LinuxResources(memory: LinuxMemory(swappiness: UInt64.max))), "-1 means unset")
    }
}
