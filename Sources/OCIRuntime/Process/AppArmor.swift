#if canImport(Glibc)
import Glibc
#endif
import Spec

/// process.apparmorProfile (and `exec --apparmor`): the profile the container's program runs
/// under, set as runc sets it, by writing "exec PROFILE" to the task's AppArmor exec attribute
/// so the kernel switches at the next execve. That execve is the sealed stub's (SealedExec),
/// so the stub runs confined too: a profile must let it open the exec FIFO, which lies outside
/// the container's mounts (`flags=(attach_disconnected)`, as docker-default has), and exec the
/// program. A profile on a host without AppArmor is an error, as with runc.
enum AppArmor {
    /// runc's test: securityfs shows AppArmor and its module says it is enabled.
    static func isEnabled() -> Bool {
        guard Sys.isDirectory("/sys/kernel/security/apparmor"),
              let p = try? Sys.readString("/sys/module/apparmor/parameters/enabled") else { return false }
        return p.hasPrefix("Y")
    }

    static func check(_ profile: String?, jsonPath: String) throws(RuntimeError) {
        guard let profile, !profile.isEmpty else { return }
        if !isEnabled() {
            throw RuntimeError.config(jsonPath, "AppArmor profile \"\(profile)\" cannot be applied: AppArmor is not enabled on this host")
        }
    }

    /// The exec attribute, opened while a procfs that shows this process is at hand (the
    /// host's, before the exec'd process joins the container's mounts; the init's own). nil
    /// without a profile. `check` ran in create or exec before: the container's view may have
    /// no securityfs to look at.
    static func openExecAttribute(_ profile: String?, jsonPath: String) throws(RuntimeError) -> Int32? {
        guard let profile, !profile.isEmpty else { return nil }
        let proc = try Procfs.open(jsonPath: jsonPath)
        defer { proc.close() }
        // Linux 5.8+ has the LSM's own file; older kernels only the shared one.
        if let fd = try? proc.open("self/attr/apparmor/exec", flags: O_WRONLY, jsonPath: jsonPath) { return fd }
        return try proc.open("self/attr/exec", flags: O_WRONLY, jsonPath: jsonPath)
    }

    /// One write, as procfs takes it; the kernel refuses an unknown profile here (ENOENT).
    static func setOnExec(_ fd: Int32, profile: String, jsonPath: String) throws(RuntimeError) {
        defer { close(fd) }
        do {
            try Sys.writeAll(fd, Array("exec \(profile)".utf8), what: "set AppArmor profile \"\(profile)\"", jsonPath: jsonPath)
        } catch {
            if error.errno == ENOENT {
                throw RuntimeError.config(jsonPath, "AppArmor profile \"\(profile)\" is not loaded (apparmor_parser -r PROFILE_FILE)")
            }
            throw error
        }
    }
}
