#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// root.readonly and linux.readonlyPaths: a bind of each path onto itself, remounted
/// read-only, all through fds.
enum ReadonlyPaths {
    /// Each path is opened once without following its last component; the bind's source and
    /// target are that same fd, so nothing swapped in between can be bound there instead.
    static func apply(_ list: [String], in paths: ContainerPaths) throws(RuntimeError) {
        for (i, p) in list.enumerated() {
            let jsonPath = "linux.readonlyPaths[\(i)]"
            let fd = paths.open(p, flags: O_PATH)
            if fd < 0 {
                let e = errno
                if e == ENOENT { continue }
                throw RuntimeError.sys("openat2", "open read-only path \(p)", errno: e, jsonPath: jsonPath)
            }
            defer { close(fd) }
            var st = stat()
            try Sys.check("fstat", "read-only path \(p)", jsonPath: jsonPath) { fstat(fd, &st) }
            try refuseSymlinkedReadonlyPath(st, path: p, jsonPath: jsonPath)
            let target = InRoot.procPath(fd)
            try Sys.check("mount", "bind \(p) for read-only", jsonPath: jsonPath) {
                mount(target, target, "", MountOptions.MS_BIND | MountOptions.MS_REC, nil)
            }
            // `fd` still names what is under the new mount: reach the mount itself, and make
            // sure it is the bind just made (same inode) before remounting it.
            let top = paths.open(p, flags: O_PATH)
            if top < 0 {
                let e = errno
                throw RuntimeError.sys("openat2", "reopen read-only path \(p)", errno: e, jsonPath: jsonPath)
            }
            defer { close(top) }
            var now = stat()
            try Sys.check("fstat", "read-only path \(p)", jsonPath: jsonPath) { fstat(top, &now) }
            guard now.st_dev == st.st_dev && now.st_ino == st.st_ino else {
                throw RuntimeError("read-only path \(p) changed while it was being bound", jsonPath: jsonPath)
            }
            try remount(top, what: p, jsonPath: jsonPath)
        }
    }

    /// A symlink opened without following is the link itself: binding it read-only would leave
    /// what it points to writable, and following it is the image's choice of target. The
    /// kernel's paths (/proc/sys, /proc/bus, ...) are never symlinks; a config naming one is
    /// refused rather than silently left writable.
    static func refuseSymlinkedReadonlyPath(_ st: stat, path: String, jsonPath: String) throws(RuntimeError) {
        guard (st.st_mode & S_IFMT) == S_IFLNK else { return }
        throw RuntimeError("read-only path \(path) is a symlink: name the directory or file itself", jsonPath: jsonPath)
    }

    /// Remounts the mount whose root `fd` is read-only, keeping the flags it has: in a user
    /// namespace the kernel refuses to drop nosuid/nodev/noexec or change the atime mode of a
    /// mount it locked. statvfs reports relatime as ST_RELATIME (4096, not MS_RELATIME) and
    /// strictatime as no atime flag at all, which a remount must ask for by name.
    static func remount(_ fd: Int32, what: String, jsonPath: String) throws(RuntimeError) {
        var sv = statvfs()
        try Sys.check("fstatvfs", "flags of \(what)", jsonPath: jsonPath) { fstatvfs(fd, &sv) }
        let have = UInt(sv.f_flag)
        var flags = have & (MountOptions.MS_NOSUID | MountOptions.MS_NODEV | MountOptions.MS_NOEXEC
            | MountOptions.MS_NOATIME | MountOptions.MS_NODIRATIME)
        let ST_RELATIME: UInt = 4096
        if have & ST_RELATIME != 0 {
            flags |= MountOptions.MS_RELATIME
        } else if have & MountOptions.MS_NOATIME == 0 {
            flags |= MountOptions.MS_STRICTATIME
        }
        let f = MountOptions.MS_BIND | MountOptions.MS_REMOUNT | MountOptions.MS_RDONLY | flags
        try Sys.check("mount", "remount \(what) read-only", jsonPath: jsonPath) { mount("", InRoot.procPath(fd), "", f, nil) }
    }
}
