#if canImport(Glibc)
import Glibc
#endif
import Spec

/// One value for one cgroup interface file, produced from `linux.resources` by the v1 and v2
/// mappings and written by whichever driver owns the directory (cgroupfs or systemd).
struct CgroupFileWrite: Equatable, Sendable {
    /// What to do when the kernel does not offer the file (an optional knob, an old kernel).
    enum IfMissing: Equatable, Sendable {
        case fail
        /// Silently: the value asked for is what the kernel does anyway (swap "max" without swap).
        case skip
        /// With a warning naming the setting that could not be applied.
        case warn
        /// Another file carries the same setting (io.bfq.weight ↔ io.weight).
        indirect case instead(CgroupFileWrite)
    }

    var file: String
    var value: String
    var ifMissing: IfMissing = .fail
    /// The config field the value comes from, for errors ("linux.resources.memory.limit").
    var jsonPath: String = ""

    /// "memory.max" → "memory": the controller that provides the file.
    var controller: String {
        String(file.prefix { $0 != "." })
    }
}

/// A mapping's result: the writes in order, and what the host's cgroup version cannot express.
struct CgroupWritePlan: Equatable, Sendable {
    var writes: [CgroupFileWrite] = []
    var warnings: [String] = []

    mutating func add(_ file: String, _ value: String, _ path: String, ifMissing: CgroupFileWrite.IfMissing = .fail) {
        writes.append(CgroupFileWrite(file: file, value: value, ifMissing: ifMissing, jsonPath: path))
    }

    /// The writes for one controller (hybrid hosts split them between v1 and the v2 tree).
    func only(controllers: Set<String>) -> CgroupWritePlan {
        CgroupWritePlan(writes: writes.filter { controllers.contains($0.controller) }, warnings: [])
    }
}

/// Checks and conversions both cgroup versions share.
enum CgroupValues {
    /// runc and crun (since 2023) agree on this quadratic fit of shares [2, 262144] onto
    /// weight [1, 10000]: it keeps the default (1024 → 100) and both ends exact, which the
    /// older linear formula did not (1024 → 39).
    static func weight(fromShares shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        if shares <= 2 { return 1 }
        if shares >= 262_144 { return 10_000 }
        let l = log2(Double(shares))
        let exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0
        return UInt64((pow(10.0, exponent)).rounded(.up))
    }

    /// blkio weight [10, 1000] onto io.weight [1, 10000], as runc maps it.
    static func ioWeight(fromBlkio w: UInt16) -> UInt64 {
        if w == 0 { return 0 }
        return 1 + (UInt64(max(w, 10)) - 10) * 9999 / 990
    }

    /// pids.limit: positive is the limit; 0 and negative are unlimited. runc 1.1 (what the
    /// engines on these hosts ship) leaves 0 unset, i.e. unlimited, and podman and docker
    /// send 0 for "no limit"; runc >= 1.2 would write 1, which no engine means.
    static func pidsMax(_ limit: Int64) -> String {
        limit > 0 ? String(limit) : "max"
    }

    /// "2MB", "1GB", "64KB": the page-size names the kernel uses in hugetlb file names.
    static func checkPageSize(_ size: String, path: String) throws(RuntimeError) {
        let digits = size.prefix { $0.isASCII && $0.isNumber }
        let unit = size.dropFirst(digits.count)
        guard !digits.isEmpty, ["KB", "MB", "GB", "TB"].contains(String(unit)) else {
            throw RuntimeError.config(path, "invalid hugepage size \"\(size)\" (expected a size such as \"2MB\" or \"1GB\")")
        }
    }

    /// rdma.max lines: "mlx4_0 hca_handle=2 hca_object=2000" (only the limits given).
    static func rdmaLines(_ rdma: [String: LinuxRdma]) -> [String] {
        rdma.keys.sorted().compactMap { dev in
            let r = rdma[dev]!
            var parts = [dev]
            if let h = r.hcaHandles { parts.append("hca_handle=\(h)") }
            if let o = r.hcaObjects { parts.append("hca_object=\(o)") }
            return parts.count > 1 ? parts.joined(separator: " ") : nil
        }
    }

    /// `unified` keys are file names in the container's own cgroup directory: "memory.high".
    /// Checked again where the files are written, whatever driver or command got here.
    static func checkUnifiedKey(_ key: String) throws(RuntimeError) {
        try LinuxResources.refuseUnifiedKey(key, path: "linux.resources.unified[\"\(key)\"]")
    }

    static func device(_ major: Int64, _ minor: Int64) -> String { "\(major):\(minor)" }
}
