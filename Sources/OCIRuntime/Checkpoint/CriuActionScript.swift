#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// Restore-time hooks without CRIU's RPC. runc runs prestart and createRuntime when CRIU's
/// RPC notifies "setup-namespaces" (the restored tree forked, its namespaces made, nothing of
/// it running yet). On the command line the same moment reaches an --action-script: CRIU
/// execs it (no shell, no arguments, every fd above stderr closed: criu/util.c cr_system)
/// with CRTOOLS_SCRIPT_ACTION, and CRTOOLS_INIT_PID from setup-namespaces on (the init's
/// host PID, set once its task is forked: criu/action-scripts.c). The script is swrun itself:
/// it reports the action and PID to the restoring swrun over a unix socket and exits with
/// its answer, so a failing hook makes CRIU kill the tree and fail the restore.
public enum CriuActionScript {
    /// Where the restoring swrun listens and the token it expects: "@NAME TOKEN". An abstract
    /// socket leaves no file behind (and has no path-length limit to meet under a long state
    /// root); its name is public (/proc/net/unix), the token is not: it travels only in the
    /// environment of criu and its children, which only root can read.
    static let environmentName = "_SWRUN_CRIU_NOTIFY"
    /// The one action that runs hooks.
    static let setupNamespaces = "setup-namespaces"

    /// swrun's entry when CRIU runs it as the action script (no arguments, both variables
    /// set); nil otherwise. The exit status is CRIU's answer: 0 goes on, anything else kills
    /// the restored tree.
    public static func invokedByCriu(arguments: [String]) -> Int32? {
        guard arguments.isEmpty, let action = Sys.env("CRTOOLS_SCRIPT_ACTION"),
              let address = Sys.env(environmentName) else { return nil }
        // Every other action is run too (pre-restore, post-restore, network-lock, ...): each
        // returns at once.
        guard action == setupNamespaces else { return 0 }
        let parts = address.split(separator: " ")
        guard parts.count == 2, let pid = Sys.env("CRTOOLS_INIT_PID").flatMap({ Int32($0) }) else {
            printError("swrun: \(action): no CRTOOLS_INIT_PID or a malformed \(environmentName)")
            return 1
        }
        do throws(RuntimeError) {
            let fd = try UnixSocket.connect(String(parts[0]), type: SOCK_STREAM, what: "swrun's restore").get()
            defer { close(fd) }
            try Sys.writeAll(fd, Array("\(parts[1]) \(action) \(pid)\n".utf8), what: "swrun's restore")
            shutdown(fd, Int32(SHUT_WR))
            let reply = String(decoding: try Sys.readAll(fd, what: "swrun's answer", limit: 1 << 16), as: UTF8.self)
            if reply == "ok\n" { return 0 }
            printError("swrun: \(action): " + (reply.isEmpty ? "no answer from the restoring swrun" : reply))
            return 1
        } catch {
            printError("swrun: \(action): \(error)")
            return 1
        }
    }

    private static func printError(_ text: String) {
        let bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// The restoring swrun's end.
    final class Listener {
        let fd: Int32
        let address: String
        private let token: String
        /// The first error a handler threw: the reason the restore failed, rather than
        /// CRIU's "One of more action scripts failed".
        private(set) var failure: RuntimeError?

        init() throws(RuntimeError) {
            var g = SystemRandomNumberGenerator()
            let hex = { (n: UInt64) in String(n, radix: 16) }
            address = "@swrun-criu-\(getpid())-\(hex(g.next()))"
            token = hex(g.next()) + hex(g.next())
            fd = try UnixSocket.listenStream(address, what: "the socket of CRIU's action script")
        }

        deinit { close(fd) }

        /// CRIU's --action-script, and the variable that tells it where to report.
        func criuArguments() throws(RuntimeError) -> (arguments: [String], environment: (String, String)) {
            guard let me = Sys.readLink("/proc/self/exe") else {
                throw RuntimeError("cannot find swrun's own binary (/proc/self/exe) to run as CRIU's action script")
            }
            return (["--action-script", me], (environmentName, "\(address) \(token)"))
        }

        /// Answers the action script until criu (`criuPid`, not reaped here) exits:
        /// `handle(initPid)` for setup-namespaces, its error sent back as a refusal.
        func serve(criuPid: Int32, handle: (Int32) throws(RuntimeError) -> Void) {
            let pidfd = sw_pidfd_open(criuPid, 0)
            defer { if pidfd >= 0 { close(pidfd) } }
            while true {
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
                if pidfd >= 0 { fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
                // Without pidfds (before Linux 5.3) criu's end is seen by polling its state.
                let n = poll(&fds, nfds_t(fds.count), pidfd >= 0 ? -1 : 100)
                if n < 0 && errno != EINTR { return }
                if fds[0].revents & Int16(POLLIN) != 0 { answer(handle) }
                if pidfd >= 0 ? fds[1].revents != 0 : (ProcStat.read(criuPid)?.state ?? "Z") == "Z" { return }
            }
        }

        private func answer(_ handle: (Int32) throws(RuntimeError) -> Void) {
            let conn = accept(fd, nil, nil)
            guard conn >= 0 else { return }
            defer { close(conn) }
            _ = sw_fcntl_int(conn, F_SETFD, FD_CLOEXEC)
            // The script writes its line and shuts its end at once; a peer that does not
            // must not stall the restore.
            var tv = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            guard let bytes = try? Sys.readAll(conn, what: "the action script's report", limit: 4096) else { return }
            let words = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: "\n").split(separator: " ")
            guard words.count == 3, words[0] == token else { return }
            var reply = "ok\n"
            if words[1] == setupNamespaces {
                do throws(RuntimeError) {
                    guard let pid = Int32(words[2]), pid > 0 else {
                        throw RuntimeError("CRIU's action script reported no valid PID (\"\(words[2])\")")
                    }
                    try handle(pid)
                } catch {
                    if failure == nil { failure = error }
                    reply = "error: " + String(error.description.map { $0 == "\n" ? " " : $0 }) + "\n"
                }
            }
            _ = try? Sys.writeAll(conn, Array(reply.utf8), what: "the answer to CRIU's action script")
        }
    }
}
