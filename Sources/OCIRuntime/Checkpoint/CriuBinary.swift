#if canImport(Glibc)
import Glibc
#endif
import Spec

/// The `criu` program swrun checkpoints and restores with: found on PATH as runc finds it,
/// new enough, and able to work on this kernel. Checked before anything is touched, so a
/// missing or unusable CRIU fails the command cleanly instead of half-way.
struct CriuBinary {
    let path: String
    let version: CriuVersion

    /// 3.14: the first CRIU that freezes and restores through cgroup v2 (runc's threshold for
    /// v2 freezing) and restores PIDs with clone3 set_tid.
    static let minimum = CriuVersion(major: 3, minor: 14, patch: 0)

    /// What `features` says of checkpoint/restore.
    static var featureText: String {
        "criu >= \(minimum) (its command line) on a kernel where `criu check` passes; "
            + "restoring a process with a terminal through --console-socket is not supported"
    }

    /// Finds criu, checks its version and runs `criu check`. `what` is the command for the
    /// messages ("checkpoint", "restore").
    static func prepare(for what: String, program: String?) throws(RuntimeError) -> CriuBinary {
        let name = program ?? "criu"
        guard let path = find(name) else {
            throw RuntimeError("cannot \(what): \(name) not found" + (name.contains("/") ? "" : " in PATH"),
                               hint: "install CRIU \(minimum) or newer (Debian: apt-get install criu)")
        }
        let v = try CriuProcess.run(path, ["--version"], capture: true)
        guard v.succeeded, let version = CriuVersion.parse(v.output) else {
            throw RuntimeError("cannot \(what): \(path) --version failed (exit \(v.status)): \(v.output.trimmingCharacters(in: "\n"))")
        }
        if version < minimum {
            throw RuntimeError("cannot \(what): CRIU \(version) at \(path) is too old: swrun needs CRIU \(minimum) or newer")
        }
        let check = try CriuProcess.run(path, ["check"], capture: true)
        if !check.succeeded {
            throw RuntimeError("cannot \(what): CRIU \(version) cannot checkpoint on this kernel: `criu check` failed: "
                               + errorLines(check.output, limit: 4).joined(separator: "; "),
                               hint: "CRIU must support the running kernel (measured: CRIU 3.17 works on Debian's 6.1, not on 6.18)")
        }
        return CriuBinary(path: path, version: version)
    }

    /// `name` itself when it has a slash, else the first on PATH (runc's exec.LookPath), or on
    /// the usual PATH when none is set.
    static func find(_ name: String) -> String? {
        if name.contains("/") {
            return access(name, X_OK) == 0 && !Sys.isDirectory(name) ? Sys.absolutePath(name) : nil
        }
        let path = Sys.env("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 && !Sys.isDirectory(candidate) { return candidate.hasPrefix("/") ? candidate : Sys.absolutePath(candidate) }
        }
        return nil
    }

    /// The lines of CRIU's output (or log) that say what failed.
    static func errorLines(_ text: String, limit: Int) -> [String] {
        let lines = text.split(separator: "\n").map(String.init)
        let errors = lines.filter { $0.contains("Error") || $0.contains("error") }
        let chosen = errors.isEmpty ? Array(lines.suffix(limit)) : Array(errors.prefix(limit))
        return chosen.map { $0.trimmingCharacters(in: " ") }
    }
}

/// A CRIU version, compared as runc compares them (major*10000 + minor*100 + patch).
struct CriuVersion: Comparable, CustomStringConvertible, Sendable {
    var major: Int, minor: Int, patch: Int

    var number: Int { major * 10000 + minor * 100 + patch }
    var description: String { patch == 0 ? "\(major).\(minor)" : "\(major).\(minor).\(patch)" }
    static func < (a: CriuVersion, b: CriuVersion) -> Bool { a.number < b.number }

    /// From `criu --version`: "Version: 3.17.1" (a "GitID:" line may follow).
    static func parse(_ output: String) -> CriuVersion? {
        for line in output.split(separator: "\n") where line.hasPrefix("Version:") {
            let nums = String(line.dropFirst("Version:".count)).trimmingCharacters(in: " ").split(separator: ".")
            guard nums.count >= 2, let ma = Int(nums[0]), let mi = Int(nums[1]) else { return nil }
            let pa = nums.count > 2 ? Int(nums[2].prefix { $0.isNumber }) ?? 0 : 0
            return CriuVersion(major: ma, minor: mi, patch: pa)
        }
        return nil
    }
}
