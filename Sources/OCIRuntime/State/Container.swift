#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// A container as the state store knows it, with its live status.
public struct Container {
    public let store: StateStore
    public var record: ContainerRecord

    public init(store: StateStore, id: String) throws(RuntimeError) {
        self.store = store
        self.record = try store.load(id)
    }

    /// A container this process has just created: its record is in hand, no need to re-read it.
    init(store: StateStore, record: ContainerRecord) {
        self.store = store
        self.record = record
    }

    public var dir: String { store.dir(record.id) }

    /// runc's OWNER column of `list`: the name of the user owning the state directory. Looked
    /// up here rather than at create (as runc does: its `state` leaves owner empty), because a
    /// passwd lookup costs create a file read.
    public var owner: String {
        if !record.owner.isEmpty { return record.owner }
        var st = stat()
        guard stat(dir, &st) == 0 else { return "" }
        return Container.userName(st.st_uid)
    }

    /// `list` asks for every container's owner, nearly always one user: one read of
    /// /etc/passwd per UID, not one per container. Parallel arrays, not a dictionary: see StringTable.
    nonisolated(unsafe) private static var knownUIDs: [uid_t] = []
    nonisolated(unsafe) private static var knownNames: [String] = []

    static func userName(_ uid: uid_t) -> String {
        if let i = knownUIDs.firstIndex(of: uid) { return knownNames[i] }
        var name = String(uid)
        if let n = Passwd.entry(uid: uid)?[0], !n.isEmpty { name = n }
        knownUIDs.append(uid)
        knownNames.append(name)
        return name
    }
    var fifo: String { dir + "/" + StateStore.execFifo }

    /// created while init lives and waits on the exec FIFO; running after start released it
    /// (a FIFO left behind by a start killed before it removed it does not make a running
    /// container "created"); stopped when init is gone (or the PID now belongs to another
    /// process).
    ///
    /// Before init exists the record has no PID. While `create` holds the lock that is
    /// creating. Without the lock, the create died half-way (SIGKILL, a crash): stopped when
    /// nothing of it lives, but while a process it started still does (an init blocked on the
    /// FIFO, a stage still in the cgroups) it is still "creating" — never "stopped" over a
    /// live init, and never "created", which `start` could release: the creation was not
    /// finished (hooks, the recorded PID). `delete`, plain or forced, removes such a leftover.
    public var status: ContainerStatus {
        if record.pid <= 0 {
            if store.isLocked(record.id) { return .creating }
            return abandonedProcesses().isEmpty ? .stopped : .creating
        }
        if !ProcStat.isAlive(record.pid, startTime: record.pidStartTime) { return .stopped }
        if Sys.exists(fifo) && !OrphanCleanup.fifoHolders(fifo, among: [record.pid]).isEmpty { return .created }
        if isFrozen() { return .paused }
        return .running
    }

    /// A record without a PID whose creator is gone (no command holds the lock, or the caller
    /// holds it itself): a create that died before it finished.
    var isAbandonedCreate: Bool { record.pid <= 0 && !store.isLocked(record.id) }

    /// The live processes a dead create left: whatever holds the exec FIFO (every stage of the
    /// init has held its fd since the fork) and whatever is in the recorded cgroups.
    func abandonedProcesses() -> [Int32] {
        var pids = OrphanCleanup.fifoHolders(fifo)
        for p in CgroupManagers.pids(paths: record.cgroupPaths) where !pids.contains(p) { pids.append(p) }
        // A zombie is dead already: only its reaper can make it go.
        return pids.filter { p in ProcStat.read(p).map { $0.state != "Z" && $0.state != "X" } ?? false }
    }

    /// As pause freezes: the v1 freezer where the container has one, else cgroup.freeze (v2).
    /// The freezer is looked for first: trying cgroup.freeze in each v1 hierarchy on the way
    /// cost `state` five failed opens, and `list` five per container.
    func isFrozen() -> Bool {
        if let p = record.cgroupPaths.first(where: { $0.includes("/freezer/") }),
           let s = try? Sys.readString(p + "/freezer.state") {
            return s.hasPrefix("FROZEN")
        }
        for p in record.cgroupPaths {
            if let s = try? Sys.readString(p + "/cgroup.freeze"), s.hasPrefix("1") { return true }
        }
        return false
    }

    /// Signals init through a pidfd taken while its start time still matches: the signal
    /// cannot hit a process that reused the PID.
    func signalInit(_ sig: Int32) throws(RuntimeError) {
        guard record.pid > 0 else {
            throw RuntimeError("cannot signal container \"\(record.id)\": its init is not known (its create did not finish)")
        }
        let pidfd = sw_pidfd_open(record.pid, 0)
        if pidfd < 0 {
            let e = errno
            if e == ESRCH { throw RuntimeError("cannot signal container \"\(record.id)\": container not running") }
            throw RuntimeError.sys("pidfd_open", "open container init \(record.pid)", errno: e)
        }
        defer { close(pidfd) }
        guard ProcStat.isAlive(record.pid, startTime: record.pidStartTime) else {
            throw RuntimeError("cannot signal container \"\(record.id)\": container not running")
        }
        try Sys.check("pidfd_send_signal", "send signal \(sig) to container init \(record.pid)") {
            sw_pidfd_send_signal(pidfd, sig)
        }
    }

    /// Thaws a frozen cgroup: frozen processes die of SIGKILL only once thawed.
    func thaw() {
        for p in record.cgroupPaths {
            if Sys.exists(p + "/freezer.state") { try? Sys.writeFile(p + "/freezer.state", "THAWED", flags: 0) }
            if Sys.exists(p + "/cgroup.freeze") { try? Sys.writeFile(p + "/cgroup.freeze", "0", flags: 0) }
        }
    }

    /// For what needs the container's own cgroup (pause, update, events): a clear refusal for
    /// a rootless container that has none (NoCgroup).
    func requireCgroup(_ what: String) throws(RuntimeError) {
        if record.cgroupPaths.isEmpty {
            throw RuntimeError("cannot \(what) container \"\(record.id)\": \(NoCgroup.reason)")
        }
    }

    /// Signals every process in the container's cgroup. Without one (NoCgroup) the init is
    /// what can be reached: in its own PID namespace its death ends every other process.
    func signalAll(_ sig: Int32) {
        if record.cgroupPaths.isEmpty {
            try? signalInit(sig)
            return
        }
        // cgroup.kill (v2, Linux 5.14) kills atomically: no process forked during the walk of
        // cgroup.procs survives.
        if sig == SIGKILL, let dir = record.cgroupPaths.first(where: { Sys.exists($0 + "/cgroup.kill") }),
           (try? Sys.writeFile(dir + "/cgroup.kill", "1", flags: 0)) != nil {
            return
        }
        for p in CgroupManagers.pids(paths: record.cgroupPaths) { kill(p, sig) }
    }

    /// Waits (bounded) until init is gone.
    func waitStopped(timeoutMs: Int = 10_000) -> Bool {
        var waited = 0
        while ProcStat.isAlive(record.pid, startTime: record.pidStartTime) {
            if waited >= timeoutMs { return false }
            // We may be its parent (run, or create as subreaper): reap it.
            var status: Int32 = 0
            _ = waitpid(record.pid, &status, WNOHANG)
            usleep(1000)
            waited += 1
        }
        return true
    }
}

extension Container {
    /// Host PIDs of every process in the container's cgroup (`ps --format json`, which
    /// containerd's shim reads), init first.
    public func processes() -> [Int32] {
        var pids = record.cgroupPaths.isEmpty ? processesWithoutCgroup() : CgroupManagers.pids(paths: record.cgroupPaths)
        if let i = pids.firstIndex(of: record.pid), i != 0 { pids.remove(at: i); pids.insert(record.pid, at: 0) }
        return pids
    }
}

extension Container {
    /// No cgroup (NoCgroup): the processes of the init's PID namespace when it has its own,
    /// found by the namespace's inode in /proc; else the init alone.
    func processesWithoutCgroup() -> [Int32] {
        guard ProcStat.isAlive(record.pid, startTime: record.pidStartTime) else { return [] }
        var mine = stat()
        guard record.ownPidNamespace, stat("/proc/\(record.pid)/ns/pid", &mine) == 0 else { return [record.pid] }
        var pids: [Int32] = []
        for entry in Sys.listDirectory("/proc") {
            guard let pid = Int32(entry) else { continue }
            var theirs = stat()
            if stat("/proc/\(pid)/ns/pid", &theirs) == 0, theirs.st_ino == mine.st_ino, theirs.st_dev == mine.st_dev {
                pids.append(pid)
            }
        }
        return pids
    }
}

public enum ProcessList {
    /// The command line of a process, as ps shows it.
    public static func command(of pid: Int32) -> String {
        guard let bytes = try? Sys.readFile("/proc/\(pid)/cmdline", limit: 4096), !bytes.isEmpty else {
            return ((try? Sys.readString("/proc/\(pid)/comm")) ?? "?").trimmingCharacters(in: "\n")
        }
        return String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self).trimmingCharacters(in: " ")
    }
}
