#if canImport(Glibc)
import Glibc
#endif
import Spec

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
            // No readable state (a create that crashed, a damaged file): --force still finds
            // the init and its cgroups from the ID, then removes the directory.
            if !force { throw error }
            try OrphanCleanup.run(store: store, id: id)
            try store.remove(id)
            return
        }
        if c.isAbandonedCreate {
            // A create that died half-way (we hold the lock, the record has no PID): nobody
            // will finish it, so plain delete removes it too, whatever of it still lives.
            killAbandoned(c)
            try destroy(c)
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

    /// Kills what a dead create left (see Container.abandonedProcesses), until nothing is left.
    static func killAbandoned(_ c: Container) {
        c.thaw()
        for _ in 0..<500 {
            let left = c.abandonedProcesses()
            if left.isEmpty { return }
            for p in left { kill(p, SIGKILL) }
            usleep(2000)
        }
    }

    static func destroy(_ c: Container) throws(RuntimeError) {
        if !c.waitStopped() {
            throw RuntimeError("container \"\(c.record.id)\" init \(c.record.pid) did not exit after SIGKILL")
        }
        var firstError: RuntimeError?
        if let unit = c.record.systemdUnit, let path = c.record.cgroupPaths.first {
            do { try SystemdCgroup.stop(unit: unit, user: c.record.systemdUser, path: path) } catch { firstError = error }
        }
        // rmdir first: an empty cgroup (the usual case) goes in one syscall. One that is busy
        // still holds processes (no PID namespace, or escaped daemons): they are killed, then
        // it is removed.
        let busy = c.record.cgroupPaths.reversed().filter { rmdir($0) != 0 && errno != ENOENT }
        if !busy.isEmpty {
            for _ in 0..<100 {
                let left = CgroupManagers.pids(paths: busy)
                if left.isEmpty { break }
                for p in left { kill(p, SIGKILL) }
                usleep(2000)
            }
            for p in busy {
                do { try CgroupManagers.removeDirectory(p) } catch { if firstError == nil { firstError = error } }
            }
        }
        if c.record.hostMounts { HostMounts.unmountAll(under: c.record.rootfs) }
        LifecycleHooks.runRecorded(c.record, phase: .poststop, status: .stopped)
        do { try c.store.remove(c.record.id) } catch { if firstError == nil { firstError = error } }
        if let e = firstError { throw e }
    }
}
