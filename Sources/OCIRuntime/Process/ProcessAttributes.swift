#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// The attributes of the container's process that are neither identity nor capabilities:
/// OOM score, scheduler, I/O priority, personality.
enum ProcessAttributes {
    static func oomScoreAdj(_ v: Int?) throws(RuntimeError) {
        guard let v else { return }
        do {
            let proc = try Procfs.open(jsonPath: "process.oomScoreAdj")
            defer { proc.close() }
            try proc.write("self/oom_score_adj", String(v), jsonPath: "process.oomScoreAdj")
        } catch {
            if error.errno == EACCES || error.errno == EPERM {
                var e = error
                e.hint = "lowering oom_score_adj needs CAP_SYS_RESOURCE"
                throw e
            }
            throw error
        }
    }

    static let policies: [String: UInt32] = [
        "SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3, "SCHED_ISO": 4,
        "SCHED_IDLE": 5, "SCHED_DEADLINE": 6,
    ]
    static let schedFlags: [String: UInt64] = [
        "SCHED_FLAG_RESET_ON_FORK": 0x01, "SCHED_FLAG_RECLAIM": 0x02, "SCHED_FLAG_DL_OVERRUN": 0x04,
        "SCHED_FLAG_KEEP_POLICY": 0x08, "SCHED_FLAG_KEEP_PARAMS": 0x10, "SCHED_FLAG_UTIL_CLAMP_MIN": 0x20,
        "SCHED_FLAG_UTIL_CLAMP_MAX": 0x40,
    ]

    static func scheduler(_ s: Scheduler?) throws(RuntimeError) {
        guard let s else { return }
        guard let policy = policies[s.policy] else {
            throw RuntimeError.config("process.scheduler.policy", "unknown scheduling policy \"\(s.policy)\"")
        }
        var flags: UInt64 = 0
        for (i, f) in (s.flags ?? []).enumerated() {
            guard let v = schedFlags[f] else {
                throw RuntimeError.config("process.scheduler.flags[\(i)]", "unknown scheduler flag \"\(f)\"")
            }
            flags |= v
        }
        try s.checkRanges()
        try Sys.check("sched_setattr", "set scheduler \(s.policy)", jsonPath: "process.scheduler") {
            sw_sched_setattr(0, policy, flags, s.nice ?? 0, UInt32(truncatingIfNeeded: s.priority ?? 0),
                             UInt64(s.runtime ?? 0), UInt64(s.deadline ?? 0), UInt64(s.period ?? 0))
        }
    }

    static let ioClasses: [String: Int32] = ["IOPRIO_CLASS_RT": 1, "IOPRIO_CLASS_BE": 2, "IOPRIO_CLASS_IDLE": 3]

    static func ioPriority(_ p: LinuxIOPriority?) throws(RuntimeError) {
        guard let p else { return }
        guard let cls = ioClasses[p.`class`] else {
            throw RuntimeError.config("process.ioPriority.class", "unknown I/O priority class \"\(p.`class`)\"")
        }
        // The kernel takes 0 (highest) to 7 within a class; a larger number would also not
        // fit the Int32 it is packed into (a trap, not an error, without this check).
        guard (0...7).contains(p.priority) else {
            throw RuntimeError.config("process.ioPriority.priority", "I/O priority \(p.priority) is not in 0...7")
        }
        let prio = (cls << 13) | Int32(truncatingIfNeeded: p.priority)
        try Sys.check("ioprio_set", "set I/O priority", jsonPath: "process.ioPriority") { sw_ioprio_set(1, 0, prio) }
    }

    static func personality(_ p: LinuxPersonality?) throws(RuntimeError) {
        guard let p else { return }
        let domains: [String: UInt] = ["LINUX": 0, "LINUX32": 0x0008]
        guard let d = domains[p.domain] else {
            throw RuntimeError.config("linux.personality.domain", "unknown personality domain \"\(p.domain)\"")
        }
        try Sys.check("personality", "set personality \(p.domain)", jsonPath: "linux.personality") { sw_personality(d) }
    }

    /// process.execCPUAffinity's `initial` or `final` (checked CPUs) on the calling process. A
    /// CPU the kernel does not have (or none left in the cgroup's cpuset) fails the exec.
    static func cpuAffinity(_ cpus: [Int], jsonPath: String) throws(RuntimeError) {
        guard let last = cpus.last else { return }
        let bits = UInt.bitWidth
        var mask = [UInt](repeating: 0, count: last / bits + 1)
        for c in cpus { mask[c / bits] |= 1 << UInt(c % bits) }
        let list = cpus.map(String.init).joined(separator: ",")
        try Sys.check("sched_setaffinity", "run on CPUs \(list)", jsonPath: jsonPath) {
            mask.withUnsafeBufferPointer { sw_sched_setaffinity($0.baseAddress, $0.count * MemoryLayout<UInt>.size) }
        }
    }

    /// linux.memoryPolicy with set_mempolicy: inherited across fork and kept across execve, so
    /// set once in the init (before it reports ready, so a refusal fails create) and in an
    /// exec'd process. Nodes are checked against the host's online ones, unless they are
    /// relative (MPOL_F_RELATIVE_NODES: positions within the allowed set, not node numbers).
    static func memoryPolicy(_ p: LinuxMemoryPolicy?) throws(RuntimeError) {
        guard let p else { return }
        let c = try MemoryPolicyRules.check(p)
        if c.flags & MemoryPolicyRules.relativeNodes == 0 && !c.nodes.isEmpty {
            // A kernel without NUMA has no node directory: node 0 is all there is.
            let text = ((try? Sys.readString("/sys/devices/system/node/online")) ?? "0").trimmingCharacters(in: " \n")
            let online = (try? MemoryPolicyRules.nodes(text, path: "")) ?? [0]
            let missing = c.nodes.filter { !online.contains($0) }
            if !missing.isEmpty {
                throw RuntimeError.config("linux.memoryPolicy.nodes",
                    "node \(missing.map(String.init).joined(separator: ",")) is not online on this host (online: \(text))")
            }
        }
        let bits = UInt.bitWidth
        var mask = [UInt](repeating: 0, count: (MemoryPolicyRules.maxNode + bits) / bits)
        for n in c.nodes { mask[n / bits] |= 1 << UInt(n % bits) }
        // maxnode is one more than the bits the kernel reads (its historical off-by-one).
        let maxnode = c.nodes.isEmpty ? 0 : UInt(mask.count * bits + 1)
        try Sys.check("set_mempolicy", "set the memory policy \(p.mode)", jsonPath: "linux.memoryPolicy") {
            mask.withUnsafeBufferPointer { sw_set_mempolicy(c.mode | c.flags, c.nodes.isEmpty ? nil : $0.baseAddress, maxnode) }
        }
    }
}
