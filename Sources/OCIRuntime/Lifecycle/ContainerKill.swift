#if canImport(Glibc)
import Glibc
#endif
import Spec

/// `kill`: a signal to init, or with --all to every process in the container's cgroup.
public enum ContainerKill {
    public static func run(store: StateStore, id: String, signal: Int32, all: Bool) throws(RuntimeError) {
        let c = try Container(store: store, id: id)
        let status = c.status
        if status == .stopped {
            // As runc: --all still signals whatever is left in the container's cgroups and
            // succeeds (containerd's CRI StopContainer sends `kill --all ID 9` to a container
            // that may have exited, and treats any failure but "not running" as fatal).
            if all { c.signalAll(signal); return }
            // "container not running" is the text containerd's and podman's error matching
            // look for (containerd: checkKillError).
            throw RuntimeError("cannot signal container \"\(id)\": container not running")
        }
        if all {
            c.signalAll(signal)
            // Frozen processes only see signals once thawed; SIGKILL must always land.
            if status == .paused && signal == SIGKILL { c.thaw() }
            return
        }
        try c.signalInit(signal)
    }
}
