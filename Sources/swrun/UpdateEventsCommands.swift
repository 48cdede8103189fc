#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import OCIRuntime
import Spec

struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Change the resource limits of a container.")
    @Option(name: [.customShort("r"), .long], help: "a JSON file with linux.resources, or - for stdin")
    var resources: String?
    @Option(name: .customLong("blkio-weight"), help: "block IO weight, 10 to 1000") var blkioWeight: UInt16?
    @Option(name: .customLong("cpu-period"), help: "CPU CFS period in µs") var cpuPeriod: UInt64?
    @Option(name: .customLong("cpu-quota"), help: "CPU CFS quota in µs per period (-1: none)") var cpuQuota: Int64?
    @Option(name: .customLong("cpu-burst"), help: "CPU burst in µs") var cpuBurst: UInt64?
    @Option(name: .customLong("cpu-share"), help: "CPU shares (relative weight)") var cpuShare: UInt64?
    @Option(name: .customLong("cpu-rt-period"), help: "real-time CPU period in µs") var cpuRtPeriod: UInt64?
    @Option(name: .customLong("cpu-rt-runtime"), help: "real-time CPU runtime in µs") var cpuRtRuntime: Int64?
    @Option(name: .customLong("cpu-idle"), help: "1: SCHED_IDLE for the cgroup") var cpuIdle: Int64?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs to use (0-3, 0,1)") var cpusetCpus: String?
    @Option(name: .customLong("cpuset-mems"), help: "memory nodes to use (0-3, 0,1)") var cpusetMems: String?
    @Option(name: .customLong("memory"), help: "memory limit (64m, 1g, bytes; -1: none)") var memory: String?
    @Option(name: .customLong("memory-reservation"), help: "memory soft limit") var memoryReservation: String?
    @Option(name: .customLong("memory-swap"), help: "memory plus swap limit (-1: unlimited swap)") var memorySwap: String?
    @Option(name: .customLong("kernel-memory"), help: "deprecated, ignored with a warning") var kernelMemory: String?
    @Option(name: .customLong("kernel-memory-tcp"), help: "kernel TCP buffer limit (cgroup v1)") var kernelMemoryTCP: String?
    @Option(name: .customLong("pids-limit"), help: "maximum number of tasks (-1: none)") var pidsLimit: Int64?
    @Option(name: .customLong("l3-cache-schema"), help: "Intel RDT: not supported") var l3CacheSchema: String?
    @Option(name: .customLong("mem-bw-schema"), help: "Intel RDT: not supported") var memBwSchema: String?
    @Argument(help: "container id") var id: String

    func run() throws {
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

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a container's resource usage and OOM events as JSON.")
    @Flag(name: .long, help: "print the statistics once and exit") var stats = false
    @Option(name: .long, help: "statistics interval (5s, 500ms)") var interval: String = "5s"
    @Argument(help: "container id") var id: String

    func run() throws {
        if stats {
            printOut(try ContainerEvents.stats(store: store, id: id))
            return
        }
        try ContainerEvents.follow(store: store, id: id, intervalMs: try Self.milliseconds(interval)) { line in
            printOut(line)
            fflush(nil)  // each event line must reach a pipe reader at once
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
