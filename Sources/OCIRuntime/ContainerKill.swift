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
            throw RuntimeError("container \"\(id)\" is not running")
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
