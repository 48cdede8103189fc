import Spec

/// `linux.resources` → cgroup v2 interface files, in the order runc writes them (pids, memory,
/// io, cpu, cpuset, hugetlb, rdma, then `unified` verbatim). Devices are not files on v2: they
/// are a BPF program (DeviceFilter). Pure: the drivers write the result.
enum CgroupV2Files {
    static func plan(for r: LinuxResources) throws(RuntimeError) -> CgroupWritePlan {
        var p = CgroupWritePlan()
        let base = "linux.resources"
        if let limit = r.pids?.limit {
            p.add("pids.max", CgroupValues.pidsMax(limit), base + ".pids.limit")
        }
        if let m = r.memory { try memory(m, into: &p) }
        if let b = r.blockIO { io(b, into: &p) }
        if let c = r.cpu { cpu(c, into: &p) }
        if let cpus = r.cpu?.cpus, !cpus.isEmpty { p.add("cpuset.cpus", cpus, base + ".cpu.cpus") }
        if let mems = r.cpu?.mems, !mems.isEmpty { p.add("cpuset.mems", mems, base + ".cpu.mems") }
        for (i, h) in (r.hugepageLimits ?? []).enumerated() {
            let path = "\(base).hugepageLimits[\(i)]"
            try CgroupValues.checkPageSize(h.pageSize, path: path + ".pageSize")
            p.add("hugetlb.\(h.pageSize).max", String(h.limit), path)
        }
        for line in CgroupValues.rdmaLines(r.rdma ?? [:]) { p.add("rdma.max", line, base + ".rdma") }
        // A warning, not an error, where a v1 host without the controller fails create: on a
        // pure v2 host runc (its fs2 driver has no net_cls/net_prio) ignores these too, and
        // engines still send them there (docker's --net-cls, Kubernetes' classID annotations).
        if let n = r.network, n.classID != nil || !(n.priorities ?? []).isEmpty {
            p.warnings.append("linux.resources.network is ignored: cgroup v2 has no net_cls/net_prio controllers")
        }
        for key in (r.unified ?? [:]).keys.sorted() {
            try CgroupValues.checkUnifiedKey(key)
            p.add(key, r.unified![key]!, "\(base).unified[\"\(key)\"]")
        }
        return p
    }

    /// The plan's writes, with its warnings logged: what the systemd driver writes after
    /// systemd has applied the properties it owns.
    static func writes(for r: LinuxResources) throws(RuntimeError) -> [CgroupFileWrite] {
        let p = try plan(for: r)
        p.warnings.forEach(Log.warn)
        return p.writes
    }

    private static func memory(_ m: LinuxMemory, into p: inout CgroupWritePlan) throws(RuntimeError) {
        let path = "linux.resources.memory"
        let limit = m.limit ?? 0
        let swapAsked = m.swap ?? 0
        let swap = try swapMax(swap: swapAsked, limit: limit)
        if let swap {
            // Without swap accounting, "no swap" and "unlimited swap" are what the kernel does.
            let harmless = swap == "max" || swap == "0"
            p.add("memory.swap.max", swap, path + ".swap", ifMissing: harmless ? .skip : .fail)
        }
        if limit != 0 { p.add("memory.max", limit < 0 ? "max" : String(limit), path + ".limit") }
        if let res = m.reservation, res != 0 {
            p.add("memory.low", res < 0 ? "max" : String(res), path + ".reservation")
        }
        if (m.kernel ?? 0) != 0 || (m.kernelTCP ?? 0) != 0 {
            p.warnings.append("\(path).kernel and .kernelTCP are ignored: cgroup v2 has no separate kernel memory limit")
        }
        if let s = m.swappiness, s != UInt64.max {
            if s > 100 { throw RuntimeError.config(path + ".swappiness", "must be between 0 and 100, got \(s)") }
            p.warnings.append("\(path).swappiness is ignored: cgroup v2 has no per-cgroup swappiness")
        }
        if m.disableOOMKiller == true {
            p.warnings.append("\(path).disableOOMKiller is ignored: cgroup v2 cannot disable the OOM killer")
        }
    }

    /// memory.swap.max holds swap alone, the config's swap is memory+swap (the v1 meaning):
    /// runc's conversion, nil when nothing is to be written.
    static func swapMax(swap: Int64, limit: Int64) throws(RuntimeError) -> String? {
        let path = "linux.resources.memory.swap"
        if limit == -1 && swap == 0 { return "max" }
        if swap == -1 { return "max" }
        if swap == 0 { return nil }
        if limit == -1 { return String(swap) }
        if limit == 0 {
            throw RuntimeError.config(path, "a swap limit needs a memory limit (linux.resources.memory.limit)")
        }
        if limit < 0 { throw RuntimeError.config("linux.resources.memory.limit", "invalid value \(limit)") }
        if swap < limit {
            throw RuntimeError.config(path, "memory+swap (\(swap)) must be at least the memory limit (\(limit))")
        }
        return String(swap - limit)
    }

    private static func io(_ b: LinuxBlockIO, into p: inout CgroupWritePlan) {
        let path = "linux.resources.blockIO"
        if let w = b.weight, w != 0 {
            // A weight is a preference: where the scheduler has none, warn and run.
            let fallback = CgroupFileWrite(file: "io.weight", value: String(CgroupValues.ioWeight(fromBlkio: w)),
                                           ifMissing: .warn, jsonPath: path + ".weight")
            p.add("io.bfq.weight", String(w), path + ".weight", ifMissing: .instead(fallback))
        }
        if (b.leafWeight ?? 0) != 0 {
            p.warnings.append("\(path).leafWeight is ignored: cgroup v2 has no leaf weight")
        }
        for (i, d) in (b.weightDevice ?? []).enumerated() {
            if let w = d.weight {
                p.add("io.bfq.weight", "\(CgroupValues.device(d.major, d.minor)) \(w)",
                      "\(path).weightDevice[\(i)]", ifMissing: .warn)
            }
        }
        let throttles: [(String, [LinuxThrottleDevice]?, String)] = [
            ("rbps", b.throttleReadBpsDevice, "throttleReadBpsDevice"),
            ("wbps", b.throttleWriteBpsDevice, "throttleWriteBpsDevice"),
            ("riops", b.throttleReadIOPSDevice, "throttleReadIOPSDevice"),
            ("wiops", b.throttleWriteIOPSDevice, "throttleWriteIOPSDevice"),
        ]
        for (key, list, field) in throttles {
            for (i, t) in (list ?? []).enumerated() {
                // The kernel reads 0 as "no limit" only when spelled "max".
                let rate = t.rate == 0 ? "max" : String(t.rate)
                p.add("io.max", "\(CgroupValues.device(t.major, t.minor)) \(key)=\(rate)", "\(path).\(field)[\(i)]")
            }
        }
    }

    private static func cpu(_ c: LinuxCPU, into p: inout CgroupWritePlan) {
        let path = "linux.resources.cpu"
        if let idle = c.idle { p.add("cpu.idle", String(idle), path + ".idle") }
        if let shares = c.shares, shares != 0 {
            p.add("cpu.weight", String(CgroupValues.weight(fromShares: shares)), path + ".shares")
        }
        let quota = c.quota ?? 0
        let period = c.period ?? 0
        if quota != 0 || period != 0 {
            let q = quota > 0 ? String(quota) : "max"
            // 100000 µs is the kernel's default period; runc spells it out so that a quota
            // alone never keeps a period left by an earlier update.
            p.add("cpu.max", "\(q) \(period == 0 ? 100_000 : period)", path + ".quota")
        }
        // After cpu.max: the kernel rejects a burst larger than the quota in force.
        if let burst = c.burst { p.add("cpu.max.burst", String(burst), path + ".burst", ifMissing: .warn) }
        if (c.realtimeRuntime ?? 0) != 0 || (c.realtimePeriod ?? 0) != 0 {
            p.warnings.append("\(path).realtimeRuntime/realtimePeriod are ignored: cgroup v2 has no real-time CPU controller")
        }
    }
}
