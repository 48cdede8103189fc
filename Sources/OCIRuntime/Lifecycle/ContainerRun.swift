#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// `run`: create + start. In the foreground swrun stays the container's parent (a child
/// subreaper), forwards the signals it gets to init, and exits with init's status; then
/// deletes the container unless `keep` (runc's `--keep`: it stays, stopped, until `delete`).
public enum ContainerRun {
    static let forwarded: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
                                     SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGCHLD]

    public static func run(store: StateStore, options: CreateOptions, detach: Bool, keep: Bool = false) throws(RuntimeError) -> Int32 {
        // Blocked before fork, so none is lost between create and the wait loop; the init
        // stages unblock them.
        let sigfd = detach ? -1 : forwarded.withUnsafeBufferPointer { sw_block_signals_fd($0.baseAddress, Int32($0.count)) }
        var options = options
        var proxy = detach || options.consoleSocket != nil ? nil : try TerminalProxy()
        options.consoleSocketFd = proxy?.theirs
        let record = try ContainerCreate.run(store: store, options: options)
        // The init sent the master during create if the process has a terminal.
        if let p = proxy, try !p.receiveMaster() { proxy = nil }
        let c = Container(store: store, record: record)
        var notify: Int32?
        do {
            notify = try NotifySocket.listen(stateDir: c.dir)
            try ContainerStart.hooksThenRelease(c)
        } catch {
            try? c.signalInit(SIGKILL)
            try? ContainerDelete.destroy(c)
            throw error
        }
        LifecycleHooks.runRecorded(c.record, phase: .poststart, status: .running)
        if let notify { try ContainerStart.forwardReady(c, notify) }
        if detach { return 0 }
        let status = wait(for: record.pid, sigfd: sigfd, terminal: proxy)
        proxy?.restoreTerminal()
        if !keep { try ContainerDelete.destroy(c) }
        return status
    }

    static func wait(for pid: Int32, sigfd: Int32, terminal: TerminalProxy? = nil) -> Int32 {
        var terminal = terminal
        while true {
            if let t = terminal {
                var fds = [pollfd(fd: sigfd, events: Int16(POLLIN), revents: 0)] + t.pollFds
                if poll(&fds, nfds_t(fds.count), -1) < 0 { continue }
                if !t.pump(Array(fds.dropFirst())) { terminal = nil }
                if fds[0].revents == 0 { continue }
            }
            let sig = sw_read_signalfd(sigfd)
            if sig < 0 { break }
            if sig == SIGCHLD {
                var st: Int32 = 0
                while true {
                    let r = waitpid(-1, &st, WNOHANG)
                    if r <= 0 { break }
                    if r == pid {
                        terminal?.drain()
                        if sw_wifexited(st) != 0 { return sw_wexitstatus(st) }
                        if sw_wifsignaled(st) != 0 { return 128 + sw_wtermsig(st) }
                    }
                }
                continue
            }
            // With our own pty the kernel tells the container of a new size through it.
            if sig == SIGWINCH, let t = terminal { t.copyWindowSize(); continue }
            kill(pid, sig)
        }
        // signalfd failed: fall back to a plain blocking wait.
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
        if sw_wifexited(st) != 0 { return sw_wexitstatus(st) }
        if sw_wifsignaled(st) != 0 { return 128 + sw_wtermsig(st) }
        return 1
    }
}
