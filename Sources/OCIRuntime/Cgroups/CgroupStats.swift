#if canImport(Glibc)
import Glibc
#endif
import Spec

/// A container's cgroup counters as runc's `events` prints them (types/events.go), from v1
/// controller files or v2 files, whichever the container's directories hold.
struct CgroupStats {
    let paths: [String]

    /// The first of `paths` that has `file`, read and trimmed.
    func read(_ file: String) -> String? {
        for p in paths {
            if let s = try? Sys.readString(p + "/" + file) { return s.trimmingCharacters(in: " \n") }
        }
        return nil
    }

    func number(_ file: String) -> UInt64? {
        guard let s = read(file) else { return nil }
        return s == "max" ? UInt64.max : UInt64(s)
    }

    /// "key value" lines (memory.stat, cpu.stat, memory.events).
    func keyed(_ file: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in (read(file) ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = UInt64(f[1]) { out[String(f[0])] = v }
        }
        return out
    }

    var isV2: Bool { read("cgroup.controllers") != nil && read("cpuacct.usage") == nil }

    func json() -> JSONValue {
        .object([
            ("cpu", cpu()), ("cpuset", cpuset()), ("memory", memory()), ("pids", pids()),
            ("blkio", blkio()), ("hugetlb", hugetlb()), ("intel_rdt", .object([])), ("network_interfaces", .null),
        ])
    }

    private static func obj(_ members: [(String, UInt64?)]) -> JSONValue {
        .object(members.compactMap { k, v in v.map { (k, .uint($0)) } })
    }

    private func cpu() -> JSONValue {
        var usage: [(String, JSONValue)] = []
        var throttling: [(String, UInt64?)] = []
        let stat = keyed("cpu.stat")
        if isV2 {
            // v2 counts microseconds, runc reports nanoseconds.
            usage = [("total", .uint((stat["usage_usec"] ?? 0) * 1000)),
                     ("kernel", .uint((stat["system_usec"] ?? 0) * 1000)),
                     ("user", .uint((stat["user_usec"] ?? 0) * 1000))]
            throttling = [("periods", stat["nr_periods"]), ("throttledPeriods", stat["nr_throttled"]),
                          ("throttledTime", stat["throttled_usec"].map { $0 * 1000 })]
        } else {
            let ticks = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
            let acct = keyed("cpuacct.stat")
            usage = [("total", .uint(number("cpuacct.usage") ?? 0))]
            let percpu = (read("cpuacct.usage_percpu") ?? "").split(separator: " ").compactMap { UInt64($0) }
            if !percpu.isEmpty { usage.append(("percpu", .array(percpu.map { .uint($0) }))) }
            usage += [("kernel", .uint((acct["system"] ?? 0) * 1_000_000_000 / ticks)),
                      ("user", .uint((acct["user"] ?? 0) * 1_000_000_000 / ticks))]
            throttling = [("periods", stat["nr_periods"]), ("throttledPeriods", stat["nr_throttled"]),
                          ("throttledTime", stat["throttled_time"])]
        }
        return .object([("usage", .object(usage)), ("throttling", Self.obj(throttling))])
    }

    private func cpuset() -> JSONValue {
        func list(_ file: String) -> JSONValue {
            var out: [JSONValue] = []
            for part in (read(file) ?? "").split(separator: ",") {
                let ends = part.split(separator: "-").compactMap { UInt64($0) }
                if ends.count == 1 { out.append(.uint(ends[0])) }
                if ends.count == 2, ends[0] <= ends[1] { out += (ends[0]...ends[1]).map { .uint($0) } }
            }
            return .array(out)
        }
        let cpus = isV2 ? "cpuset.cpus.effective" : "cpuset.cpus"
        let mems = isV2 ? "cpuset.mems.effective" : "cpuset.mems"
        return .object([("cpus", list(cpus)), ("mems", list(mems))])
    }

    private func memory() -> JSONValue {
        let raw = keyed("memory.stat")
        func entry(_ usage: String, _ limit: String, _ max: String?, _ failcnt: UInt64?) -> JSONValue {
            Self.obj([("limit", number(limit) ?? 0), ("usage", number(usage)), ("max", max.flatMap(number)),
                      ("failcnt", failcnt ?? 0)])
        }
        var m: [(String, JSONValue)] = []
        if isV2 {
            let events = keyed("memory.events")
            m = [("cache", .uint(raw["file"] ?? 0)),
                 ("usage", entry("memory.current", "memory.max", "memory.peak", events["max"])),
                 ("swap", entry("memory.swap.current", "memory.swap.max", "memory.swap.peak", keyed("memory.swap.events")["max"]))]
        } else {
            m = [("cache", .uint(raw["total_cache"] ?? raw["cache"] ?? 0)),
                 ("usage", entry("memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes",
                                 number("memory.failcnt"))),
                 ("swap", entry("memory.memsw.usage_in_bytes", "memory.memsw.limit_in_bytes",
                                "memory.memsw.max_usage_in_bytes", number("memory.memsw.failcnt"))),
                 ("kernel", entry("memory.kmem.usage_in_bytes", "memory.kmem.limit_in_bytes",
                                  "memory.kmem.max_usage_in_bytes", number("memory.kmem.failcnt")))]
        }
        m.append(("raw", .object(raw.keys.sorted().map { ($0, .uint(raw[$0]!)) })))
        return .object(m)
    }

    private func pids() -> JSONValue {
        Self.obj([("current", number("pids.current")), ("limit", number("pids.max").map { $0 == UInt64.max ? 0 : $0 })])
    }

    private func blkio() -> JSONValue {
        var bytes: [JSONValue] = []
        var ios: [JSONValue] = []
        func entry(_ dev: Substring, _ op: String, _ v: UInt64) -> JSONValue {
            let mm = dev.split(separator: ":").compactMap { UInt64($0) }
            guard mm.count == 2 else { return .null }
            return .object([("major", .uint(mm[0])), ("minor", .uint(mm[1])), ("op", .string(op)), ("value", .uint(v))])
        }
        if isV2 {
            // io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"
            for line in (read("io.stat") ?? "").split(separator: "\n") {
                let f = line.split(separator: " ")
                guard let dev = f.first else { continue }
                var kv: [String: UInt64] = [:]
                for p in f.dropFirst() {
                    let x = p.split(separator: "=")
                    if x.count == 2, let v = UInt64(x[1]) { kv[String(x[0])] = v }
                }
                bytes += [entry(dev, "Read", kv["rbytes"] ?? 0), entry(dev, "Write", kv["wbytes"] ?? 0)]
                ios += [entry(dev, "Read", kv["rios"] ?? 0), entry(dev, "Write", kv["wios"] ?? 0)]
            }
        } else {
            func v1(_ file: String) -> [JSONValue] {
                (read(file) ?? "").split(separator: "\n").compactMap { line in
                    let f = line.split(separator: " ")
                    guard f.count == 3, let v = UInt64(f[2]) else { return nil }
                    return entry(f[0], String(f[1]), v)
                }
            }
            bytes = v1("blkio.throttle.io_service_bytes_recursive")
            ios = v1("blkio.throttle.io_serviced_recursive")
        }
        var out: [(String, JSONValue)] = []
        if !bytes.isEmpty { out.append(("ioServiceBytesRecursive", .array(bytes))) }
        if !ios.isEmpty { out.append(("ioServicedRecursive", .array(ios))) }
        return .object(out)
    }

    private func hugetlb() -> JSONValue {
        var sizes: [String] = []
        for p in paths {
            for name in Sys.listDirectory(p) where name.hasPrefix("hugetlb.") {
                let size = name.split(separator: ".")[1]
                if !sizes.contains(String(size)) { sizes.append(String(size)) }
            }
        }
        return .object(sizes.sorted().map { size in
            let usage = number("hugetlb.\(size).current") ?? number("hugetlb.\(size).usage_in_bytes")
            let max = number("hugetlb.\(size).max_usage_in_bytes")
            let failcnt = keyed("hugetlb.\(size).events")["max"] ?? number("hugetlb.\(size).failcnt") ?? 0
            return (size, Self.obj([("usage", usage), ("max", max), ("failcnt", failcnt)]))
        })
    }

    /// The container's OOM-kill count: memory.events on v2, memory.oom_control on v1.
    func oomKills() -> UInt64 {
        keyed("memory.events")["oom_kill"] ?? keyed("memory.oom_control")["oom_kill"] ?? 0
    }
}
