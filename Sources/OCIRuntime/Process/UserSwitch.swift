#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// process.user: supplementary groups, gid, uid, with capabilities kept across the switch so
/// the configured sets can be applied afterwards.
enum UserSwitch {
    static let PR_SET_KEEPCAPS: Int32 = 8

    static func apply(_ user: User, setgroupsAllowed: Bool) throws(RuntimeError) {
        try Sys.check("prctl", "keep capabilities across the user switch") { sw_prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) }
        let groups = (user.additionalGids ?? []).map { gid_t($0) }
        if setgroupsAllowed {
            let rc = groups.withUnsafeBufferPointer { sw_setgroups($0.count, $0.baseAddress) }
            let e = errno
            // A user namespace made without the host's root has setgroups denied (IDMappings).
            // Asked for no groups and holding none, there is nothing to drop: go on.
            if rc != 0 && !(e == EPERM && groups.isEmpty && getgroups(0, nil) == 0) {
                throw RuntimeError.sys("setgroups", "set additional groups \(groups)", errno: e,
                                       jsonPath: "process.user.additionalGids")
            }
        }
        let gid = gid_t(user.gid), uid = uid_t(user.uid)
        try Sys.check("setresgid", "set gid \(gid)", jsonPath: "process.user.gid",
                      hint: "the gid must be mapped in the container's user namespace") { sw_setresgid(gid, gid, gid) }
        try Sys.check("setresuid", "set uid \(uid)", jsonPath: "process.user.uid",
                      hint: "the uid must be mapped in the container's user namespace") { sw_setresuid(uid, uid, uid) }
        try Sys.check("prctl", "reset keep-capabilities") { sw_prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) }
    }

    /// HOME from the container's /etc/passwd when the config's env does not set it.
    static func home(uid: UInt32) -> String {
        guard let home = Passwd.entry(uid: uid)?[5], !home.isEmpty else { return "/" }
        return home
    }
}
