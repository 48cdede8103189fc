#if canImport(Glibc)
import Glibc
#endif
import Spec

/// SELinux labels, as runc sets them: process.selinuxLabel (and `exec --process-label`) is
/// written to the task's exec attribute, so the kernel switches at the next execve, the sealed
/// stub's (the stub runs in the container's domain too, as with AppArmor); it also labels the
/// session keyring the init joins (keycreate). linux.mountLabel goes to the container's own
/// mounts as `context="LABEL"` (mqueue, which takes no mount options, gets it as its root's
/// file label); binds, proc and sysfs keep their labels, as runc leaves them. A label on a host
/// without SELinux is an error, as runc's ("selinux is disabled"); a mount label there is
/// nothing to apply and is only warned.
enum SELinux {
    /// go-selinux's test: selinuxfs is mounted and a policy is loaded (before that every task
    /// is "kernel").
    static func isEnabled() -> Bool {
        guard Sys.exists("/sys/fs/selinux/enforce"),
              let current = try? Sys.readString("/proc/self/attr/current") else { return false }
        let context = current.split(whereSeparator: { $0 == "\0" || $0 == "\n" }).first.map(String.init) ?? ""
        return !context.isEmpty && context != "kernel"
    }

    static func check(_ label: String?, jsonPath: String) throws(RuntimeError) {
        guard let label, !label.isEmpty else { return }
        if !isEnabled() {
            throw RuntimeError.config(jsonPath, "SELinux label \"\(label)\" cannot be applied: SELinux is not enabled on this host")
        }
    }

    /// The mount label to apply: nil when there is none or SELinux is off (then warned by the init).
    static func mountLabel(_ spec: Spec) -> String? {
        guard let label = spec.linux?.mountLabel, !label.isEmpty, isEnabled() else { return nil }
        return label
    }

    /// The attribute files, opened while a procfs that shows this process is at hand (as
    /// AppArmor's). nil without a label.
    struct Attributes {
        var exec: Int32
        var keycreate: Int32?
        let label: String
        let jsonPath: String

        /// The exec label; the keyring label is written by `labelKeyring`, before the init
        /// joins its session keyring.
        func setOnExec() throws(RuntimeError) {
            defer { Glibc.close(exec) }
            try Self.write(exec, label, what: "set SELinux exec label", jsonPath: jsonPath)
        }

        func labelKeyring() throws(RuntimeError) {
            guard let keycreate else { return }
            defer { Glibc.close(keycreate) }
            try Self.write(keycreate, label, what: "set SELinux keyring label", jsonPath: jsonPath)
        }

        func close() {
            Glibc.close(exec)
            if let keycreate { Glibc.close(keycreate) }
        }

        /// One write, as procfs takes it: a label the policy does not know is EINVAL.
        static func write(_ fd: Int32, _ label: String, what: String, jsonPath: String) throws(RuntimeError) {
            do {
                try Sys.writeAll(fd, Array(label.utf8), what: "\(what) \"\(label)\"", jsonPath: jsonPath)
            } catch {
                if error.errno == EINVAL {
                    throw RuntimeError.config(jsonPath, "SELinux label \"\(label)\" is not valid in the loaded policy")
                }
                throw error
            }
        }
    }

    static func openAttributes(_ label: String?, keyring: Bool, jsonPath: String) throws(RuntimeError) -> Attributes? {
        guard let label, !label.isEmpty else { return nil }
        let proc = try Procfs.open(jsonPath: jsonPath)
        defer { proc.close() }
        let exec = try proc.open("self/attr/exec", flags: O_WRONLY, jsonPath: jsonPath)
        var keycreate: Int32? = nil
        if keyring {
            do { keycreate = try proc.open("self/attr/keycreate", flags: O_WRONLY, jsonPath: jsonPath) } catch {
                Glibc.close(exec)
                throw error
            }
        }
        return Attributes(exec: exec, keycreate: keycreate, label: label, jsonPath: jsonPath)
    }
}
