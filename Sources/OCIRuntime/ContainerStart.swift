#if canImport(Glibc)
import Glibc
#endif
import Spec

/// `start`: opens the exec FIFO, which releases the init blocked on it, and removes it.
public enum ContainerStart {
    public static func run(store: StateStore, id: String) throws(RuntimeError) {
        let c = try Container(store: store, id: id)
        let lockFd = try store.lock(id)
        defer { close(lockFd) }
        switch c.status {
        case .created: break
        case .stopped: throw RuntimeError("cannot start a container that has stopped")
        case .running, .paused: throw RuntimeError("cannot start an already running container")
        case .creating: throw RuntimeError("cannot start a container that is still being created")
        }
        try release(c)
        LifecycleHooks.runRecorded(c.record, phase: .poststart, status: .running)
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
            if !ProcStat.isAlive(c.record.pid, startTime: c.record.pidStartTime) {
                throw RuntimeError("container init exited before start")
            }
        }
        unlink(c.fifo)
    }
}
