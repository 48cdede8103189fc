#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Whether swrun runs without the host's root: not uid 0, or uid 0 of a user namespace
/// (`unshare -r`, rootless podman's namespace) where the caller is a user, not the host's
/// root. runc's rule, so engines that set nothing get the same answer from both runtimes.
/// It decides the default state root and what is done when the cgroup tree is not writable.
public enum Rootless {
    /// `--rootless true|false|auto` (absent: auto).
    public static func resolve(_ flag: String?) throws(RuntimeError) -> Bool {
        switch flag?.lowercased() {
        case nil, "auto": return detect()
        case "true", "1": return true
        case "false", "0": return false
        case let v?: throw RuntimeError("invalid --rootless value \"\(v)\": use true, false or auto")
        }
    }

    static func detect() -> Bool {
        if geteuid() != 0 { return true }
        guard inUserNamespace() else { return false }
        // Root of a user namespace: rootless unless the caller says it is root ($USER as runc reads it).
        let user = getenv("USER").map { String(cString: $0) } ?? ""
        return !user.isEmpty && user != "root"
    }

    /// The initial user namespace maps every ID onto itself: "0 0 4294967295".
    static func inUserNamespace() -> Bool {
        guard let text = try? Sys.readString("/proc/self/uid_map") else { return false }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        return !(fields.count == 3 && fields[0] == "0" && fields[1] == "0" && fields[2] == "4294967295")
    }

    /// The state root when `--root` is not given: `$XDG_RUNTIME_DIR/swrun` for a rootless
    /// caller that has one (the user's own tmpfs, as runc's `$XDG_RUNTIME_DIR/runc`), else
    /// /run/swrun.
    public static func defaultStateRoot(rootless: Bool) -> String {
        if rootless, let x = getenv("XDG_RUNTIME_DIR"), x.pointee != 0 {
            return String(cString: x) + "/swrun"
        }
        return StateStore.defaultRoot
    }
}
