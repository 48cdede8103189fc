import Spec

/// One unit property as sd-bus sends it: a name and a typed variant.
struct SystemdProperty: Equatable {
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case uint64(UInt64)
        case bytes([UInt8])
        case uint32s([UInt32])
        case strings([String])
        case deviceAllow([SystemdDeviceAllow.Entry])
    }

    var name: String
    var value: Value

    init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }
}

/// The properties of the transient unit for a container, as runc's systemd v2 driver sets them.
/// Pure: `version` is systemd's, since some properties are newer than others.
enum SystemdProperties {
    /// systemd's USEC_INFINITY / "infinity" for sizes and counts.
    static let infinity = UInt64.max
    static let defaultPeriod: UInt64 = 100_000

    /// The unit itself: where it lives, delegation, the process, accounting.
    static func unit(_ path: SystemdCgroupsPath, pid: Int32?, resources: LinuxResources?,
                     version: Int) throws(RuntimeError) -> [SystemdProperty] {
        var p = [SystemdProperty("Description", .string("swrun container \(path.name)"))]
        if path.isSlice {
            p.append(SystemdProperty("Wants", .strings([path.slice])))
        } else {
            p.append(SystemdProperty("Slice", .string(path.slice)))
            p.append(SystemdProperty("Delegate", .bool(true)))
        }
        if let pid { p.append(SystemdProperty("PIDs", .uint32s([UInt32(bitPattern: pid)]))) }
        for a in ["MemoryAccounting", "CPUAccounting", "IOAccounting", "TasksAccounting"] {
            p.append(SystemdProperty(a, .bool(true)))
        }
        p.append(SystemdProperty("DefaultDependencies", .bool(false)))
        // systemd accepts OOMPolicy only when the unit starts.
        if let v = resources?.unified?["memory.oom.group"], version >= 253 {
            let key = "linux.resources.unified[\"memory.oom.group\"]"
            switch UInt64(v.trimmingCharacters(in: " \t\n")) {
            case 0?: p.append(SystemdProperty("OOMPolicy", .string("continue")))
            case 1?: p.append(SystemdProperty("OOMPolicy", .string("kill")))
            case nil: throw RuntimeError.config(key, "must be 0 or 1, got \"\(v)\"")
            default: break
            }
        }
        return p
    }

    /// linux.resources as properties (devices apart: SystemdDeviceAllow), and the resources with the CPU quota rounded as systemd
    /// will round it, so the cgroup files written afterwards agree with the unit.
    static func resources(_ r: LinuxResources?,
                          version: Int) throws(RuntimeError) -> (properties: [SystemdProperty], adjusted: LinuxResources?) {
        var p: [SystemdProperty] = []
        guard var r else { return (p, nil) }
        let base = "linux.resources"
        if let m = r.memory {
            let limit = m.limit ?? 0
            if limit != 0 { p.append(SystemdProperty("MemoryMax", .uint64(size(limit)))) }
            if let res = m.reservation, res != 0 { p.append(SystemdProperty("MemoryLow", .uint64(size(res)))) }
            if let swap = try CgroupV2Files.swapMax(swap: m.swap ?? 0, limit: limit) {
                p.append(SystemdProperty("MemorySwapMax", .uint64(UInt64(swap) ?? infinity)))
            }
        }
        let idle = r.cpu?.idle == 1 && version >= 252
        if idle { p.append(SystemdProperty("CPUWeight", .uint64(0))) }
        if let shares = r.cpu?.shares, shares != 0 {
            if idle { Log.warn("\(base).cpu.shares is not applied by systemd together with cpu.idle") }
            else { p.append(SystemdProperty("CPUWeight", .uint64(CgroupValues.weight(fromShares: shares)))) }
        }
        var quota = r.cpu?.quota ?? 0
        try cpuQuota(&quota, period: r.cpu?.period ?? 0, version: version, into: &p, jsonPath: base + ".cpu.quota")
        if r.cpu?.quota != nil { r.cpu?.quota = quota }
        if let limit = r.pids?.limit {
            p.append(SystemdProperty("TasksMax", .uint64(limit > 0 ? UInt64(limit) : infinity)))
        }
        if version >= 244 {
            for (field, name) in [("cpus", "AllowedCPUs"), ("mems", "AllowedMemoryNodes")] {
                guard let list = field == "cpus" ? r.cpu?.cpus : r.cpu?.mems, !list.isEmpty else { continue }
                p.append(SystemdProperty(name, .bytes(try bitmask(list, jsonPath: "\(base).cpu.\(field)"))))
            }
        }
        if let w = r.blockIO?.weight, w != 0 {
            p.append(SystemdProperty("IOWeight", .uint64(CgroupValues.ioWeight(fromBlkio: w))))
        }
        p += try unified(r.unified ?? [:], version: version)
        return (p, r)
    }

    /// A byte count; negative means no limit.
    static func size(_ v: Int64) -> UInt64 { v < 0 ? infinity : UInt64(v) }

    /// systemd keeps the quota as a whole percentage of a CPU (CPUQuotaPerSecUSec in steps of
    /// 10 ms per second): a quota between steps is rounded up, and `quota` is updated to the
    /// value systemd will write.
    static func cpuQuota(_ quota: inout Int64, period: UInt64, version: Int, into p: inout [SystemdProperty],
                         jsonPath: String) throws(RuntimeError) {
        if period != 0 && version >= 242 { p.append(SystemdProperty("CPUQuotaPeriodUSec", .uint64(period))) }
        guard quota != 0 || period != 0 else { return }
        var perSec = infinity
        if quota > 0 {
            let period = period == 0 ? defaultPeriod : period
            let (scaled, overflow) = UInt64(quota).multipliedReportingOverflow(by: 1_000_000)
            if overflow { throw RuntimeError.config(jsonPath, "\(quota) is too large") }
            perSec = scaled / period
            if perSec % 10_000 != 0 {
                perSec = (perSec / 10_000 + 1) * 10_000
                quota = Int64(perSec.multipliedFullWidth(by: period).low / 1_000_000)
            }
        }
        p.append(SystemdProperty("CPUQuotaPerSecUSec", .uint64(perSec)))
    }

    /// "0-3,8" → little-endian bytes with bits 0-3 and 8 set, as AllowedCPUs takes them.
    static func bitmask(_ list: String, jsonPath: String) throws(RuntimeError) -> [UInt8] {
        var bytes: [UInt8] = []
        let bad = RuntimeError.config(jsonPath, "invalid CPU or node list \"\(list)\"")
        for item in list.split(separator: ",") {
            let range = String(item).trimmingCharacters(in: " ")
            if range.isEmpty { continue }
            let ends = range.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count <= 2, let lo = UInt32(ends[0]), let hi = UInt32(ends.last!), lo <= hi,
                  hi < 1 << 20 else { throw bad }
            for bit in lo...hi {
                let i = Int(bit / 8)
                if bytes.count <= i { bytes += [UInt8](repeating: 0, count: i + 1 - bytes.count) }
                bytes[i] |= 1 << (bit % 8)
            }
        }
        if bytes.isEmpty { throw bad }
        return bytes
    }

    /// The `unified` keys systemd has properties for; the rest are only written as files.
    static func unified(_ u: [String: String], version: Int) throws(RuntimeError) -> [SystemdProperty] {
        var p: [SystemdProperty] = []
        let idle = u["cpu.idle"]?.trimmingCharacters(in: " \t\n") == "1" && version >= 252
        for key in u.keys.sorted() {
            try CgroupValues.checkUnifiedKey(key)
            let v = u[key]!.trimmingCharacters(in: " \t\n")
            let path = "linux.resources.unified[\"\(key)\"]"
            let bad = RuntimeError.config(path, "invalid value \"\(v)\"")
            switch key {
            case "cpu.idle":
                if idle { p.append(SystemdProperty("CPUWeight", .uint64(0))) }
            case "cpu.max":
                let f = v.split(separator: " ")
                guard f.count == 1 || f.count == 2 else { throw bad }
                var quota: Int64 = 0
                if f[0] != "max" { guard let q = Int64(f[0]) else { throw bad }; quota = q }
                var period = defaultPeriod
                if f.count == 2 { guard let n = UInt64(f[1]) else { throw bad }; period = n }
                try cpuQuota(&quota, period: period, version: version, into: &p, jsonPath: path)
            case "cpu.weight":
                if idle {
                    Log.warn("\(path) is not applied by systemd together with cpu.idle")
                    continue
                }
                guard let n = UInt64(v) else { throw bad }
                p.append(SystemdProperty("CPUWeight", .uint64(n)))
            case "cpuset.cpus", "cpuset.mems":
                if version >= 244 {
                    p.append(SystemdProperty(key == "cpuset.cpus" ? "AllowedCPUs" : "AllowedMemoryNodes",
                                             .bytes(try bitmask(v, jsonPath: path))))
                }
            case "memory.high", "memory.low", "memory.min", "memory.max", "memory.swap.max":
                let names = ["memory.high": "MemoryHigh", "memory.low": "MemoryLow", "memory.min": "MemoryMin",
                             "memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax"]
                var n = infinity
                if v != "max" { guard let x = UInt64(v) else { throw bad }; n = x }
                p.append(SystemdProperty(names[key]!, .uint64(n)))
            case "pids.max":
                var n = infinity
                if v != "max" { guard let x = UInt64(v) else { throw bad }; n = max(x, 1) }
                p.append(SystemdProperty("TasksMax", .uint64(n)))
            default:
                break
            }
        }
        return p
    }
}
