#if canImport(Glibc)
import Glibc
#endif
import Spec

/// systemd socket activation through the runtime, as runc does it: when swrun itself was given
/// LISTEN_FDS sockets (from fd 3 on), they go to the container first, before any
/// --preserve-fds, and the container is told LISTEN_FDS=N and LISTEN_PID=1 (its init).
enum SocketActivation {
    /// How many fds from 3 on the container inherits for activation; the env is set to match.
    static func pass(_ spec: inout Spec) -> Int {
        guard let text = Sys.env("LISTEN_FDS"), let n = Int(text), n > 0, spec.process != nil else { return 0 }
        // sd_listen_fds' rule: the fds are ours only if LISTEN_PID names this process.
        guard Sys.env("LISTEN_PID").flatMap({ Int32($0) }) == getpid() else { return 0 }
        var env = (spec.process?.env ?? []).filter { !$0.hasPrefix("LISTEN_FDS=") && !$0.hasPrefix("LISTEN_PID=") }
        env += ["LISTEN_FDS=\(n)", "LISTEN_PID=1"]
        spec.process?.env = env
        return n
    }
}
