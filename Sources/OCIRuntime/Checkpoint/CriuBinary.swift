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
        "criu >= \(minimum) (its command line) on a kernel where `criu check` passes"
    }

    /// Finds criu, checks its version and runs `criu check`. `what` is the command for the
    /// messages ("checkpoint", "restore").
    static func prepare(for what: String, program: String?) throws(RuntimeError) -> CriuBinary {
        let name = program ?? "criu"
        guard let path = find(name) else {
            throw RuntimeError("cannot \(what): \(name) not found" + (name.includes("/") ? "" : " in PATH"),
                               hint: "install CRIU \(minimum) or newer (Debian: apt-get install criu)")
        }
        // Checked once per boot and criu binary: under emulation `criu --version` and
        // `criu check` cost ~0.7 s per command, which runc (no check) does not pay.
        let key = stampKey(path)
        if let key, let version = cachedVersion(key: key) {
            return CriuBinary(path: path, version: version)
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
        if let key { remember(key: key, version: version) }
        return CriuBinary(path: path, version: version)
    }

    /// Where a passed check is remembered: /run is a tmpfs, emptied at every boot (the boot
    /// ID is in the key too); only root writes there, and only a success is kept.
    static let checkStamp = "/run/swrun-criu-check"

    /// The boot, the kernel and the criu binary (path, inode, size, mtime) a check holds for.
    static func stampKey(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0,
              let boot = try? Sys.readString("/proc/sys/kernel/random/boot_id"),
              let kernel = try? Sys.readString("/proc/sys/kernel/osrelease") else { return nil }
        return "\(boot.trimmingCharacters(in: "\n")) \(kernel.trimmingCharacters(in: "\n")) \(path) \(st.st_dev):\(st.st_ino) "
            + "\(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
    }

    static func cachedVersion(key: String) -> CriuVersion? {
        guard let text = try? Sys.readString(checkStamp) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2, lines[0] == key else { return nil }
        return CriuVersion.parse(String(lines[1]))
    }

    /// Best effort: a stamp that cannot be written only means the next command checks again.
    static func remember(key: String, version: CriuVersion) {
        let tmp = "\(checkStamp).\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let ok = (try? Sys.writeAll(fd, Array("\(key)\nVersion: \(version)\n".utf8), what: tmp)) != nil
        close(fd)
        if !ok || rename(tmp, checkStamp) != 0 { unlink(tmp) }
    }

    /// `name` itself when it has a slash, else the first on PATH (runc's exec.LookPath), or on
    /// the usual PATH when none is set.
    static func find(_ name: String) -> String? {
        if name.includes("/") {
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
        let errors = lines.filter { $0.includes("Error") || $0.includes("error") }
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
