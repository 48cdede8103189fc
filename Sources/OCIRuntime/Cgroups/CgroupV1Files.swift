import Spec

/// `linux.resources` → cgroup v1 interface files, one controller per file-name prefix
/// ("memory.limit_in_bytes" goes to the memory hierarchy). Devices are written by DeviceRules.
/// Pure: the cgroupfs driver writes the result.
enum CgroupV1Files {
    static func plan(for r: LinuxResources) throws(RuntimeError) -> CgroupWritePlan {
        var p = CgroupWritePlan()
        let base = "linux.resources"
        if let cpus = r.cpu?.cpus, !cpus.isEmpty { p.add("cpuset.cpus", cpus, base + ".cpu.cpus") }
        if let mems = r.cpu?.mems, !mems.isEmpty { p.add("cpuset.mems", mems, base + ".cpu.mems") }
        if let m = r.memory { try memory(m, into: &p) }
        if let c = r.cpu { cpu(c, into: &p) }
        if let limit = r.pids?.limit {
            p.add("pids.max", CgroupValues.pidsMax(limit), base + ".pids.limit")
        }
        if let b = r.blockIO { blkio(b, into: &p) }
        for (i, h) in (r.hugepageLimits ?? []).enumerated() {
            let path = "\(base).hugepageLimits[\(i)]"
            try CgroupValues.checkPageSize(h.pageSize, path: path + ".pageSize")
            p.add("hugetlb.\(h.pageSize).limit_in_bytes", String(h.limit), path)
        }
        if let id = r.network?.classID { p.add("net_cls.classid", String(id), base + ".network.classID") }
        for (i, prio) in (r.network?.priorities ?? []).enumerated() {
            p.add("net_prio.ifpriomap", "\(prio.name) \(prio.priority)", "\(base).network.priorities[\(i)]")
        }
        for line in CgroupValues.rdmaLines(r.rdma ?? [:]) { p.add("rdma.max", line, base + ".rdma") }
        return p
    }

    private static func memory(_ m: LinuxMemory, into p: inout CgroupWritePlan) throws(RuntimeError) {
        let path = "linux.resources.memory"
        let limit = m.limit ?? 0
        var swap = m.swap ?? 0
        if limit == -1 && swap == 0 { swap = -1 }
        if swap > 0 && limit > 0 && swap < limit {
            throw RuntimeError.config(path + ".swap", "memory+swap (\(swap)) must be at least the memory limit (\(limit))")
        }
        // Memory before memory+swap suits a new cgroup; on update a growing limit is refused
        // until memsw has grown, which the writer's retry of EINVAL writes handles.
        if limit != 0 { p.add("memory.limit_in_bytes", String(limit), path + ".limit") }
        if swap != 0 {
            // Without swap accounting (no memsw file) unlimited swap is what the kernel does;
            // a swap limit it cannot enforce is an error, as runc's write of memsw fails then.
            p.add("memory.memsw.limit_in_bytes", String(swap), path + ".swap", ifMissing: swap == -1 ? .skip : .fail)
        }
        if let res = m.reservation, res != 0 { p.add("memory.soft_limit_in_bytes", String(res), path + ".reservation") }
        if (m.kernel ?? 0) != 0 {
            p.warnings.append("\(path).kernel is ignored: kernel memory limits are deprecated and this kernel has none")
        }
        if let tcp = m.kernelTCP, tcp != 0 {
            // A warning where the kernel has none: runc 1.1.5 ignores kernel memory settings
            // with a warning too (they are deprecated; kernels since 6.x have no such files).
            p.add("memory.kmem.tcp.limit_in_bytes", String(tcp), path + ".kernelTCP", ifMissing: .warn)
        }
        if m.disableOOMKiller == true { p.add("memory.oom_control", "1", path + ".disableOOMKiller") }
        if let s = m.swappiness, s != UInt64.max {
            if s > 100 { throw RuntimeError.config(path + ".swappiness", "must be between 0 and 100, got \(s)") }
            p.add("memory.swappiness", String(s), path + ".swappiness")
        }
        if m.useHierarchy == false {
            p.warnings.append("\(path).useHierarchy=false is ignored: this kernel always uses the hierarchy")
        }
    }

    private static func cpu(_ c: LinuxCPU, into p: inout CgroupWritePlan) {
        let path = "linux.resources.cpu"
        if let shares = c.shares, shares != 0 { p.add("cpu.shares", String(shares), path + ".shares") }
        if let period = c.period, period != 0 { p.add("cpu.cfs_period_us", String(period), path + ".period") }
        if let quota = c.quota, quota != 0 { p.add("cpu.cfs_quota_us", String(quota), path + ".quota") }
        // burst and idle: a warning on a kernel without the file, as runc 1.1.5 ignores both
        // on v1 (it writes neither there).
        if let burst = c.burst { p.add("cpu.cfs_burst_us", String(burst), path + ".burst", ifMissing: .warn) }
        if let rp = c.realtimePeriod, rp != 0 { p.add("cpu.rt_period_us", String(rp), path + ".realtimePeriod") }
        if let rr = c.realtimeRuntime, rr != 0 { p.add("cpu.rt_runtime_us", String(rr), path + ".realtimeRuntime") }
        if let idle = c.idle { p.add("cpu.idle", String(idle), path + ".idle", ifMissing: .warn) }
    }

    private static func blkio(_ b: LinuxBlockIO, into p: inout CgroupWritePlan) {
        let path = "linux.resources.blockIO"
        if let w = b.weight, w != 0 {
            // A weight is a preference: where the scheduler has none, warn and run (runc 1.1.5
            // runs too on these hosts, which have neither weight file).
            let bfq = CgroupFileWrite(file: "blkio.bfq.weight", value: String(w), ifMissing: .warn,
                                      jsonPath: path + ".weight")
            p.add("blkio.weight", String(w), path + ".weight", ifMissing: .instead(bfq))
        }
        // Leaf weights exist only with CFQ (gone since Linux 5.0): an error without the file,
        // as runc's write fails ("blkio.leaf_weight: no such file or directory").
        if let lw = b.leafWeight, lw != 0 {
            p.add("blkio.leaf_weight", String(lw), path + ".leafWeight")
        }
        for (i, d) in (b.weightDevice ?? []).enumerated() {
            let dev = CgroupValues.device(d.major, d.minor)
            if let w = d.weight {
                let bfq = CgroupFileWrite(file: "blkio.bfq.weight_device", value: "\(dev) \(w)",
                                          ifMissing: .warn, jsonPath: "\(path).weightDevice[\(i)]")
                p.add("blkio.weight_device", "\(dev) \(w)", "\(path).weightDevice[\(i)]", ifMissing: .instead(bfq))
            }
            if let lw = d.leafWeight {
                p.add("blkio.leaf_weight_device", "\(dev) \(lw)", "\(path).weightDevice[\(i)].leafWeight")
            }
        }
        let throttles: [(String, [LinuxThrottleDevice]?, String)] = [
            ("blkio.throttle.read_bps_device", b.throttleReadBpsDevice, "throttleReadBpsDevice"),
            ("blkio.throttle.write_bps_device", b.throttleWriteBpsDevice, "throttleWriteBpsDevice"),
            ("blkio.throttle.read_iops_device", b.throttleReadIOPSDevice, "throttleReadIOPSDevice"),
            ("blkio.throttle.write_iops_device", b.throttleWriteIOPSDevice, "throttleWriteIOPSDevice"),
        ]
        for (file, list, field) in throttles {
            for (i, t) in (list ?? []).enumerated() {
                p.add(file, "\(CgroupValues.device(t.major, t.minor)) \(t.rate)", "\(path).\(field)[\(i)]")
            }
        }
    }
}
