#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `linux.sysctl` is written through /proc/sys from inside the container, and /proc/sys is
/// only partly namespaced: a sysctl the container's namespaces do not own is the HOST's
/// (issue 12, class 4: `kernel.printk_ratelimit` changed the host's value, `fs.mqueue.*` and
/// `net.*` without their own IPC or network namespace changed the host's IPC and network
/// settings). runc's rule (libcontainer/configs/validate, `sysctl`) is kept: only sysctls
/// a namespace owns, and only when the container has that namespace of its own.
extension Spec {
    /// The IPC namespace's own sysctls besides `fs.mqueue.*` (ipc/ipc_sysctl.c).
    static let ipcNamespaceSysctls = [
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    ]

    func refuseHostSysctls() throws(RuntimeError) {
        guard let sysctl = linux?.sysctl, !sysctl.isEmpty else { return }
        for name in sysctl.keys.sorted() {
            let path = JSONPath.key("linux.sysctl", name)
            try Spec.refuseSysctlNameEscapingProcSys(name, path: path)
            if Spec.ipcNamespaceSysctls.contains(name) || name.hasPrefix("fs.mqueue.") {
                try requireOwnNamespace("ipc", "an IPC", for: path)
            } else if name.hasPrefix("net.") {
                try requireOwnNamespace("network", "a network", for: path)
            } else if name.hasPrefix("user.") {
                // The ucounts limits (user.max_*) are per user namespace since Linux 4.9;
                // runc allows them with one from 1.2 on.
                try requireOwnNamespace("user", "a user", for: path)
            } else if name == "kernel.hostname" {
                // UTS-namespaced, but the OCI `hostname` field is the one way to set it (runc).
                throw RuntimeError.config(path, "conflicts with the OCI \"hostname\" field: set the hostname there")
            } else if name == "kernel.domainname" {
                try requireOwnNamespace("uts", "a UTS", for: path)
                if let d = domainname, !d.isEmpty, d != sysctl[name] {
                    throw RuntimeError.config(path,
                        "conflicts with the OCI \"domainname\" field (\"\(d)\"): set one of them")
                }
            } else {
                throw RuntimeError.config(path,
                    "is not namespaced: writing it would change the host's value (allowed: net.*, fs.mqueue.*, "
                    + "kernel.msg*/sem/shm* with an IPC namespace, kernel.domainname, user.*)")
            }
        }
    }

    /// A name is a path under /proc/sys once its dots become slashes: "/", "..", a NUL or
    /// an empty component would let it name a file elsewhere in procfs (CVE-2025-52881's
    /// redirected procfs writes start from a path the runtime did not mean).
    static func refuseSysctlNameEscapingProcSys(_ name: String, path: String) throws(RuntimeError) {
        if name.isEmpty { throw RuntimeError.config(path, "empty sysctl name") }
        let bytes = name.utf8
        guard !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")), !name.includes(".."),
              bytes.first != UInt8(ascii: "."), bytes.last != UInt8(ascii: ".")
        else {
            throw RuntimeError.config(path,
                "is not a sysctl name: dot-separated names only (no \"/\", \"..\", NUL, leading or trailing dot)")
        }
    }

    /// `type` in linux.namespaces, created by the container or joined by a path that is not
    /// the namespace swrun itself runs in. A path naming swrun's own namespace (the caller's,
    /// usually the host's: `/proc/1/ns/net`, `/proc/self/ns/ipc`) is refused like a missing
    /// entry, as runc does for the network namespace (isHostNetNS); swrun applies it to every
    /// namespace a sysctl needs, since writing into the caller's IPC namespace is as much a
    /// write to the host. The path is compared by device and inode, what identifies a
    /// namespace; it is trusted not to change between here and the setns, as in runc.
    func requireOwnNamespace(_ type: String, _ article: String, for path: String,
                             without: String = "it would be written into the host's") throws(RuntimeError) {
        let kernelName = type == "network" ? "net" : type
        guard let i = linux?.namespaces?.firstIndex(where: { $0.type == type }) else {
            throw RuntimeError.config(path, "needs \(article) namespace of the container's own in linux.namespaces "
                + "(without one \(without))")
        }
        guard let nsPath = linux?.namespaces?[i].path else { return }
        var mine = stat(), theirs = stat()
        if stat("/proc/self/ns/" + kernelName, &mine) != 0 {
            let e = errno
            throw RuntimeError.sys("stat", "cannot identify swrun's own \(type) namespace", errno: e, jsonPath: path)
        }
        if stat(nsPath, &theirs) != 0 {
            let e = errno
            throw RuntimeError.sys("stat", "cannot use \(nsPath) as a \(type) namespace", errno: e,
                                   jsonPath: "linux.namespaces[\(i)].path")
        }
        if mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino {
            throw RuntimeError.config(path, "needs \(article) namespace of the container's own, but "
                + "linux.namespaces[\(i)].path (\(nsPath)) is the one swrun runs in (the host's)")
        }
    }
}
