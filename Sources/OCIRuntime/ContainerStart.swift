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

/// `delete`: removes a stopped (or, as runc allows, a created) container; --force kills a
/// running one first. Always leaves nothing behind: processes, cgroups, state.
public enum ContainerDelete {
    public static func run(store: StateStore, id: String, force: Bool) throws(RuntimeError) {
        try ContainerID.validate(id)
        if !Sys.isDirectory(store.dir(id)) {
            // runc: deleting a container that is already gone is not an error with --force.
            if force { return }
            throw RuntimeError("container \"\(id)\" does not exist")
        }
        let lockFd = try store.lock(id)
        defer { close(lockFd) }
        let c: Container
        do {
            c = try Container(store: store, id: id)
        } catch {
            // No readable state: a create that crashed. --force removes what is there.
            if !force { throw error }
            store.remove(id)
            return
        }
        switch c.status {
        case .stopped: break
        case .created:
            try? c.signalInit(SIGKILL)
        case .running, .paused, .creating:
            if !force {
                throw RuntimeError("cannot delete container \"\(id)\" that is not stopped: \(c.status.rawValue)",
                                   hint: "stop it first, or use delete --force")
            }
            if c.record.ownPidNamespace { try? c.signalInit(SIGKILL) } else { c.signalAll(SIGKILL) }
            c.signalAll(SIGKILL)
            c.thaw()
        }
        try destroy(c)
    }

    static func destroy(_ c: Container) throws(RuntimeError) {
        if !c.waitStopped() {
            throw RuntimeError("container \"\(c.record.id)\" init \(c.record.pid) did not exit after SIGKILL")
        }
        // Processes left in the cgroup (no PID namespace, or escaped daemons) go too.
        for _ in 0..<100 {
            let left = CgroupManagers.pids(paths: c.record.cgroupPaths)
            if left.isEmpty { break }
            for p in left { kill(p, SIGKILL) }
            usleep(2000)
        }
        var firstError: RuntimeError?
        for p in c.record.cgroupPaths.reversed() {
            do { try CgroupManagers.removeDirectory(p) } catch { if firstError == nil { firstError = error } }
        }
        if c.record.hostMounts { HostMounts.unmountAll(under: c.record.rootfs) }
        LifecycleHooks.runRecorded(c.record, phase: .poststop, status: .stopped)
        c.store.remove(c.record.id)
        if let e = firstError { throw e }
    }
}
