#if canImport(Glibc)
import Glibc
#endif
import OCIRuntime
import Spec

enum UpdateCommand {
    static var command: Command {
        Command("update", "Change the resource limits of a container.", options: [
            .value("--resources", "-r", as: "file", help: "a JSON file with linux.resources, or - for stdin"),
            .value("--blkio-weight", as: "n", help: "block IO weight, 10 to 1000"),
            .value("--cpu-period", as: "us", help: "CPU CFS period in µs"),
            .value("--cpu-quota", as: "us", help: "CPU CFS quota in µs per period (-1: none)"),
            .value("--cpu-burst", as: "us", help: "CPU burst in µs"),
            .value("--cpu-share", as: "n", help: "CPU shares (relative weight)"),
            .value("--cpu-rt-period", as: "us", help: "real-time CPU period in µs"),
            .value("--cpu-rt-runtime", as: "us", help: "real-time CPU runtime in µs"),
            .value("--cpu-idle", as: "n", help: "1: SCHED_IDLE for the cgroup"),
            .value("--cpuset-cpus", as: "list", help: "CPUs to use (0-3, 0,1)"),
            .value("--cpuset-mems", as: "list", help: "memory nodes to use (0-3, 0,1)"),
            .value("--memory", as: "size", help: "memory limit (64m, 1g, bytes; -1: none)"),
            .value("--memory-reservation", as: "size", help: "memory soft limit"),
            .value("--memory-swap", as: "size", help: "memory plus swap limit (-1: unlimited swap)"),
            .value("--kernel-memory", as: "size", help: "deprecated, ignored with a warning"),
            .value("--kernel-memory-tcp", as: "size", help: "kernel TCP buffer limit (cgroup v1)"),
            .value("--pids-limit", as: "n", help: "maximum number of tasks (-1: none)"),
            .value("--l3-cache-schema", as: "schema", help: "Intel RDT: not supported"),
            .value("--mem-bw-schema", as: "schema", help: "Intel RDT: not supported"),
        ], arguments: ["id"]) { a in
            try run(a)
            return 0
        }
    }

    static func run(_ a: ParsedCommand) throws {
        // Number flags are checked first, as the option parser did before.
        let blkioWeight = try a.number("--blkio-weight", UInt16.self)
        let cpuPeriod = try a.number("--cpu-period", UInt64.self)
        let cpuQuota = try a.number("--cpu-quota", Int64.self)
        let cpuBurst = try a.number("--cpu-burst", UInt64.self)
        let cpuShare = try a.number("--cpu-share", UInt64.self)
        let cpuRtPeriod = try a.number("--cpu-rt-period", UInt64.self)
        let cpuRtRuntime = try a.number("--cpu-rt-runtime", Int64.self)
        let cpuIdle = try a.number("--cpu-idle", Int64.self)
        let pidsLimit = try a.number("--pids-limit", Int64.self)
        let (memory, memoryReservation, memorySwap) = (a.value("--memory"), a.value("--memory-reservation"), a.value("--memory-swap"))
        let (kernelMemory, kernelMemoryTCP) = (a.value("--kernel-memory"), a.value("--kernel-memory-tcp"))
        let (cpusetCpus, cpusetMems, resources) = (a.value("--cpuset-cpus"), a.value("--cpuset-mems"), a.value("--resources"))
        let (l3CacheSchema, memBwSchema) = (a.value("--l3-cache-schema"), a.value("--mem-bw-schema"))
        let id = a.arguments[0]
        if l3CacheSchema != nil || memBwSchema != nil {
            throw CLIError("Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported by swrun")
        }
        var r = LinuxResources()
        if let file = resources {
            r = try LinuxResources.parse(try HostFiles.read(file == "-" ? "/dev/stdin" : file))
        }
        func size(_ v: String?, _ flag: String) throws -> Int64? {
            try v.map { (s) throws(RuntimeError) in try ContainerUpdate.parseSize(s, flag: flag) }
        }
        // Flags override the file, field by field, as in runc.
        var mem = r.memory ?? LinuxMemory()
        if let v = try size(memory, "--memory") { mem.limit = v }
        if let v = try size(memoryReservation, "--memory-reservation") { mem.reservation = v }
        if let v = try size(memorySwap, "--memory-swap") { mem.swap = v }
        if let v = try size(kernelMemory, "--kernel-memory") { mem.kernel = v }
        if let v = try size(kernelMemoryTCP, "--kernel-memory-tcp") { mem.kernelTCP = v }
        if mem != LinuxMemory() { r.memory = mem }
        var cpu = r.cpu ?? LinuxCPU()
        if let v = cpuPeriod { cpu.period = v }
        if let v = cpuQuota { cpu.quota = v }
        if let v = cpuBurst { cpu.burst = v }
        if let v = cpuShare { cpu.shares = v }
        if let v = cpuRtPeriod { cpu.realtimePeriod = v }
        if let v = cpuRtRuntime { cpu.realtimeRuntime = v }
        if let v = cpuIdle { cpu.idle = v }
        if let v = cpusetCpus { cpu.cpus = v }
        if let v = cpusetMems { cpu.mems = v }
        if cpu != LinuxCPU() { r.cpu = cpu }
        if let v = pidsLimit { r.pids = LinuxPids(limit: v) }
        if let v = blkioWeight {
            var b = r.blockIO ?? LinuxBlockIO()
            b.weight = v
            r.blockIO = b
        }
        try ContainerUpdate.run(store: store, id: id, resources: r)
    }
}

enum EventsCommand {
    static var command: Command {
        Command("events", "Print a container's resource usage and OOM events as JSON.", options: [
            .flag("--stats", help: "print the statistics once and exit"),
            .value("--interval", as: "duration", help: "statistics interval (5s, 500ms)"),
        ], arguments: ["id"]) { a in
            let id = a.arguments[0]
            let interval = a.value("--interval") ?? "5s"
            if a.flag("--stats") {
                printOut(try ContainerEvents.stats(store: store, id: id))
                return 0
            }
            try ContainerEvents.follow(store: store, id: id, intervalMs: try milliseconds(interval)) { line in
                printOut(line)
                fflush(nil)  // each event line must reach a pipe reader at once
            }
            return 0
        }
    }

    /// Go duration syntax, as runc takes it: "5s", "500ms", "1m", "1m30s".
    static func milliseconds(_ text: String) throws -> Int {
        var total = 0.0
        var rest = Substring(text)
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        while !rest.isEmpty {
            let num = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(num.count)
            guard let n = Double(num), let (u, f) = units.first(where: { rest.hasPrefix($0.0) }) else {
                throw CLIError("invalid --interval \"\(text)\": expected a duration such as 5s or 500ms")
            }
            rest = rest.dropFirst(u.count)
            total += n * f
        }
        guard total >= 1 else { throw CLIError("invalid --interval \"\(text)\": must be at least 1ms") }
        // A year at most: past Int the conversion would trap.
        guard total.isFinite, total <= 365 * 86_400_000 else {
            throw CLIError("invalid --interval \"\(text)\": too long (at most a year)")
        }
        return Int(total)
    }
}
