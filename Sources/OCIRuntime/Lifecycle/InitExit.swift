#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// Why a container init ended before it said it was ready, when it could not say so itself
/// (killed, or out of memory before it could send its error): its wait status, and the
/// cgroup's OOM-kill count. `create` is its parent or subreaper, so it can be reaped here.
enum InitExit {
    static func explain(pid: Int32, cgroupPaths: [String]) -> RuntimeError {
        var why = "container init exited before it was ready"
        var status: Int32 = 0
        var waited: Int32 = 0
        // The socket's EOF comes as the process exits; its status follows within moments.
        for _ in 0..<200 {
            waited = waitpid(pid, &status, WNOHANG)
            if waited != 0 { break }
            usleep(5000)
        }
        guard waited == pid else { return RuntimeError(why) }
        var hint: String? = nil
        if sw_wifsignaled(status) != 0 {
            let sig = sw_wtermsig(status)
            why += ": killed by signal \(sig)" + (Signals.name(sig).map { " (SIG\($0))" } ?? "")
            if sig == SIGKILL && CgroupStats(paths: cgroupPaths).oomKills() > 0 {
                why += " from the out-of-memory killer"
                hint = "linux.resources.memory.limit is too low for the container to start"
            }
        } else if sw_wifexited(status) != 0 {
            why += ": exit status \(sw_wexitstatus(status))"
        }
        return RuntimeError(why, hint: hint)
    }
}
