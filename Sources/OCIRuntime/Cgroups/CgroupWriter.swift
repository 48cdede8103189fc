#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Writes a plan into one cgroup directory: the only place resource values reach the kernel,
/// for create and update alike.
enum CgroupWriter {
    static func apply(_ plan: CgroupWritePlan, directory: String) throws(RuntimeError) {
        // A value can be refused only because of another value still to come (a memory limit
        // above the old memory+swap, a cfs period below the old quota): such EINVALs are tried
        // again once everything else is written, as runc does.
        var again: [CgroupFileWrite] = []
        for w in plan.writes {
            if let e = write(w, directory: directory) {
                if e.errno == EINVAL { again.append(w) } else { throw e }
            }
        }
        for w in again {
            if let e = write(w, directory: directory) { throw e }
        }
    }

    /// nil on success (or an accepted absence), else the error to report.
    private static func write(_ w: CgroupFileWrite, directory: String) -> RuntimeError? {
        let path = directory + "/" + w.file
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            guard e == ENOENT else { return failure(w, path, e) }
            switch w.ifMissing {
            case .fail:
                return RuntimeError("cannot set \(w.file): \(directory) has no such file",
                                    jsonPath: w.jsonPath.isEmpty ? nil : w.jsonPath,
                                    hint: "the \(w.controller) controller is not enabled for this cgroup or the kernel lacks this setting")
            case .skip: return nil
            case .warn:
                Log.warn("\(w.jsonPath.isEmpty ? w.file : w.jsonPath) is not applied: this kernel has no \(w.file)")
                return nil
            case .instead(let other): return write(other, directory: directory)
            }
        }
        defer { close(fd) }
        let bytes = Array(w.value.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 { return failure(w, path, errno) }
        return nil
    }

    private static func failure(_ w: CgroupFileWrite, _ path: String, _ e: Int32) -> RuntimeError {
        RuntimeError.sys("write", "set \(path) to \"\(w.value)\"", errno: e,
                         jsonPath: w.jsonPath.isEmpty ? nil : w.jsonPath)
    }

    /// Enables every controller the parent offers, from the hierarchy's root down to the
    /// container's parent: a v2 cgroup's files exist only for controllers enabled above it.
    /// Failures are ignored one controller at a time (a parent with processes of its own
    /// cannot delegate; the write that needed the controller reports it).
    static func enableControllers(mountPoint: String, directory: String) {
        guard directory.hasPrefix(mountPoint + "/") else { return }
        let rel = directory.dropFirst(mountPoint.count + 1).split(separator: "/")
        var current = mountPoint
        for component in rel.dropLast() + [Substring("")] {
            let available = CgroupFS.controllers(at: current)
            let enabled = Set(((try? Sys.readString(current + "/cgroup.subtree_control")) ?? "")
                .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            let missing = available.filter { !enabled.contains($0) }
            if !missing.isEmpty {
                let all = missing.map { "+" + $0 }.joined(separator: " ")
                if (try? Sys.writeFile(current + "/cgroup.subtree_control", all, flags: 0)) == nil {
                    for c in missing { _ = try? Sys.writeFile(current + "/cgroup.subtree_control", "+" + c, flags: 0) }
                }
            }
            if component.isEmpty { break }
            current += "/" + component
        }
    }
}
