#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Whether swrun runs without the host's root: not uid 0, or uid 0 of a user namespace
/// (`unshare -r`, rootless podman's namespace). runc's rules, so engines that set nothing get
/// the same answer from both runtimes. It decides what is done when the cgroup tree is not
/// writable; the default state root follows its own rule (defaultStateRoot).
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

    /// Root of a user namespace counts as rootless whatever its name: the cgroup tree it sees
    /// is the host's, which it may not own (runc's cgroupfs rule).
    static func detect() -> Bool {
        geteuid() != 0 || inUserNamespace()
    }

    /// The initial user namespace maps every ID onto itself: "0 0 4294967295".
    static func inUserNamespace() -> Bool {
        guard let text = try? Sys.readString("/proc/self/uid_map") else { return false }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        return !(fields.count == 3 && fields[0] == "0" && fields[1] == "0" && fields[2] == "4294967295")
    }

    /// The state root when `--root` is not given: `$XDG_RUNTIME_DIR/swrun` (the user's own
    /// tmpfs, as runc's `$XDG_RUNTIME_DIR/runc`) for a caller that is not the host's root —
    /// in a user namespace, unless `$USER` says root (a root shell's XDG_RUNTIME_DIR,
    /// /run/user/0, is not where runtimes keep state) — else /run/swrun.
    public static func defaultStateRoot() -> String {
        guard let x = getenv("XDG_RUNTIME_DIR"), x.pointee != 0 else { return StateStore.defaultRoot }
        if geteuid() != 0 { return String(cString: x) + "/swrun" }
        guard inUserNamespace() else { return StateStore.defaultRoot }
        let user = getenv("USER").map { String(cString: $0) }
        return user == "root" ? StateStore.defaultRoot : String(cString: x) + "/swrun"
    }
}
