#if canImport(Glibc)
import Glibc
#endif
import Spec

/// The state root (`--root`, default /run/swrun): one directory per container holding
/// state.json, the exec FIFO and the lock.
public struct StateStore: Sendable {
    public let root: String
    public static let defaultRoot = "/run/swrun"
    public static let stateFile = "state.json"
    public static let execFifo = "exec.fifo"

    public init(root: String?) {
        self.root = Sys.absolutePath(root ?? StateStore.defaultRoot)
    }

    public func dir(_ id: String) -> String { root + "/" + id }

    /// Creates the container's directory; a second create with the same ID fails here,
    /// atomically, before anything else is touched.
    func createDir(_ id: String) throws(RuntimeError) -> String {
        try ContainerID.validate(id)
        // 0700 as runc: other local users must not learn which container IDs exist. The
        // container's own directory stays 0711, so a process of a user namespace can reach
        // the files swrun shares with it by name.
        try Sys.mkdirAll(root, mode: 0o700)
        let d = dir(id)
        if mkdir(d, 0o711) != 0 {
            let e = errno
            if e == EEXIST { throw RuntimeError("container with id \"\(id)\" already exists") }
            throw RuntimeError.sys("mkdir", "create state directory \(d)", errno: e)
        }
        return d
    }

    /// Whether another command holds the container's lock right now (a create still under
    /// way). A lock this process holds itself does not count: flock locks belong to open file
    /// descriptions, so a probe on a fresh fd would fail against our own lock (delete and
    /// start take the lock before they look at the status) and report a dead create as alive.
    func isLocked(_ id: String) -> Bool {
        if StateStore.holdsLock(on: dir(id)) { return false }
        let fd = open(dir(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return false }
        return errno == EWOULDBLOCK
    }

    /// The fds of the locks this process took (swrun runs one command, single-threaded).
    nonisolated(unsafe) private static var lockFds: [Int32] = []

    /// Whether one of this process's lock fds is still open on `path` (compared by device and
    /// inode: a closed lock fd whose number was reused for another file does not match).
    private static func holdsLock(on path: String) -> Bool {
        var target = stat()
        guard stat(path, &target) == 0 else { return false }
        lockFds = lockFds.filter { fcntl($0, F_GETFD) >= 0 }
        return lockFds.contains { fd in
            var st = stat()
            return fstat(fd, &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino
        }
    }

    /// An exclusive lock on the container's directory for the length of one command: two
    /// commands on one container never interleave (e.g. delete racing start).
    func lock(_ id: String) throws(RuntimeError) -> Int32 {
        let d = dir(id)
        while true {
            let fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 {
                let e = errno
                if e == ENOENT { throw RuntimeError("container \"\(id)\" does not exist") }
                throw RuntimeError.sys("open", "open state directory \(d)", errno: e)
            }
            while flock(fd, LOCK_EX) != 0 {
                let e = errno
                if e == EINTR { continue }
                close(fd)
                throw RuntimeError.sys("flock", "lock state directory \(d)", errno: e)
            }
            // While we waited, the directory may have been removed (a delete) and made again
            // (a create of the same ID): a lock on the old one excludes nobody, and the record
            // read through the path would be the new container's. Lock the one there now.
            var held = stat(), now = stat()
            let there = stat(d, &now) == 0
            if fstat(fd, &held) == 0 && there && held.st_dev == now.st_dev && held.st_ino == now.st_ino {
                StateStore.lockFds.append(fd)
                return fd
            }
            close(fd)
            if !there { throw RuntimeError("container \"\(id)\" does not exist") }
        }
    }

    /// The lock of a directory `create` has just made. Between its mkdir and the lock a
    /// `delete --force` (which removes a directory without a record) can remove it and another
    /// create make it again: the directory is ours only if it is still empty once locked (a
    /// create that locked it first has written its files before it unlocks).
    func lockNew(_ id: String) throws(RuntimeError) -> Int32 {
        let gone = RuntimeError("container \"\(id)\" was deleted by another command while this create began",
                                hint: "create it again")
        let fd: Int32
        do { fd = try lock(id) } catch { throw gone }
        if !Sys.listDirectory(dir(id)).isEmpty {
            close(fd)
            throw gone
        }
        return fd
    }

    func save(_ record: ContainerRecord) throws(RuntimeError) {
        try Sys.writeAtomically(dir(record.id) + "/" + StateStore.stateFile, record.toJSON().serialized())
    }

    public func load(_ id: String) throws(RuntimeError) -> ContainerRecord {
        try ContainerID.validate(id)
        let path = dir(id) + "/" + StateStore.stateFile
        let bytes: [UInt8]
        do {
            bytes = try Sys.readFile(path)
        } catch {
            if error.errno == ENOENT {
                if Sys.isDirectory(dir(id)) {
                    throw RuntimeError("container \"\(id)\" is being created or its creation failed (no state yet); `delete --force` removes it")
                }
                throw RuntimeError("container \"\(id)\" does not exist")
            }
            throw error
        }
        // Errors name the state file, not config.json: a damaged record is not the bundle's fault.
        let record: ContainerRecord
        do {
            record = try ContainerRecord.fromJSON(try JSONValue.parse(bytes))
        } catch {
            let at = error.jsonPath.map { $0.isEmpty ? "" : "\($0): " } ?? ""
            throw RuntimeError("\(path): \(at)\(error.message)")
        }
        // `delete` removes what the record names: a record that says it is another container
        // must not make it remove that one's state.
        guard record.id == id else {
            throw RuntimeError("\(path): names container \"\(record.id)\", not \"\(id)\"")
        }
        return record
    }

    public func ids() -> [String] {
        Sys.listDirectory(root).filter { Sys.isDirectory(dir($0)) }
    }

    /// Fails when the directory is still there (a read-only or broken state root): a delete
    /// that reports success must have removed it.
    func remove(_ id: String) throws(RuntimeError) {
        let d = dir(id)
        var ours = stat()
        guard lstat(d, &ours) == 0 else { return }
        Sys.removeAll(d)
        // Still there only if removing failed: a directory at the path with another inode is a
        // new create's of the same ID, made right after ours went, and not ours to touch.
        var now = stat()
        if lstat(d, &now) == 0 && now.st_dev == ours.st_dev && now.st_ino == ours.st_ino {
            let e = rmdir(d) == 0 ? 0 : errno
            if e != 0 { throw RuntimeError.sys("rmdir", "remove the state directory \(d)", errno: e) }
        }
    }
}
