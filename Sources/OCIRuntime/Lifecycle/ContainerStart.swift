#if canImport(Glibc)
import Glibc
#endif
import Spec

/// `start`: opens the exec FIFO, which releases the init blocked on it, and removes it.
public enum ContainerStart {
    public static func run(store: StateStore, id: String) throws(RuntimeError) {
        try ContainerID.validate(id)
        // Locked first, then read: a record read before the lock could be the one of a create
        // that was still under way (no PID yet), and would look abandoned once we got the lock.
        var lockFd = try store.lock(id)
        defer { if lockFd >= 0 { close(lockFd) } }
        let c = try Container(store: store, id: id)
        switch c.status {
        case .created: break
        case .stopped: throw RuntimeError("cannot start a container that has stopped")
        case .running, .paused: throw RuntimeError("cannot start an already running container")
        case .creating:
            // We hold the lock: no create is under way, the one that made this record died.
            throw RuntimeError("cannot start container \"\(id)\": its create did not finish",
                               hint: "delete it and create it again")
        }
        let notify = try NotifySocket.listen(stateDir: c.dir)
        try hooksThenRelease(c)
        LifecycleHooks.runRecorded(c.record, phase: .poststart, status: .running)
        if let notify {
            // Other commands (kill, state) must not wait for the container's readiness.
            close(lockFd)
            lockFd = -1
            try forwardReady(c, notify)
        }
    }

    /// The startContainer hooks, then the init's release (`start`, and `run` after its create).
    static func hooksThenRelease(_ c: Container) throws(RuntimeError) {
        do throws(RuntimeError) {
            try StartContainerHooks.run(c)
        } catch {
            // runtime.md: a failing startContainer hook stops the container.
            if ProcStat.isAlive(c.record.pid, startTime: c.record.pidStartTime) { kill(c.record.pid, SIGKILL) }
            throw error
        }
        try release(c)
    }

    /// With NOTIFY_SOCKET, `start` returns once the container said READY=1 (runc's contract:
    /// podman's --sdnotify=container waits on it).
    static func forwardReady(_ c: Container, _ fd: Int32) throws(RuntimeError) {
        let r = c.record
        try NotifySocket.forwardReady(from: fd, pid: r.pid) { ProcStat.isAlive(r.pid, startTime: r.pidStartTime) }
    }

    /// Non-blocking open plus poll: a blocking open would hang forever if init died.
    static func release(_ c: Container) throws(RuntimeError) {
        let fd = try Sys.check("open", "open the exec FIFO") { open(c.fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        defer { close(fd) }
        var byte: UInt8 = 0
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&p, 1, 100)
            if rc < 0 && errno != EINTR {
                let e = errno
                throw RuntimeError.sys("poll", "wait on the exec FIFO", errno: e)
            }
            if rc > 0 {
                let n = read(fd, &byte, 1)
                if n == 1 { break }
                if n == 0 && p.revents & Int16(POLLHUP) != 0 {
                    throw RuntimeError("container init closed the exec FIFO without starting")
                }
            }
            // A live init that holds no fd on the FIFO is no longer waiting on it: it started
            // already (a FIFO left behind by a start that could not remove it). Without this,
            // a second start would wait forever.
            let alive = ProcStat.isAlive(c.record.pid, startTime: c.record.pidStartTime)
            if !alive || (rc == 0 && OrphanCleanup.fifoHolders(c.fifo, among: [c.record.pid]).isEmpty) {
                // Between the poll's timeout and these checks the stub can open the FIFO, write
                // its byte, let go of both fds and even exec a program that exits (an init that
                // took over 100 ms to load its seccomp filter): the byte is then waiting, and
                // this start released it.
                if read(fd, &byte, 1) == 1 { break }
                throw alive ? RuntimeError("container \"\(c.record.id)\" was already started (its exec FIFO has no waiting init)")
                            : RuntimeError("container init exited before start")
            }
        }
        // The FIFO's absence is what makes the container "running": a start that cannot remove
        // it must say so, or `state` keeps saying "created" for a running container.
        if unlink(c.fifo) != 0 && errno != ENOENT {
            let e = errno
            throw RuntimeError.sys("unlink", "container started, but its exec FIFO \(c.fifo) could not be removed", errno: e)
        }
    }
}
