#if canImport(Glibc)
import Glibc
#endif
import Spec

/// `delete --force` of a container whose state.json cannot be read (truncated, garbage, a
/// number out of range, another container's record): what belongs to the ID is still found
/// from the ID alone, instead of the state directory going while the init waits on its FIFO
/// forever and its cgroups stay.
///
/// The init of a created container holds the exec FIFO (the sealed stub keeps its O_PATH fd),
/// so it is found by scanning /proc for that fd; its cgroups are the ones it is in whose last
/// component names the container (a parent shared with other containers never does). A
/// started container's cgroups are found by that name in every hierarchy.
enum OrphanCleanup {
    static func run(store: StateStore, id: String) throws(RuntimeError) {
        let fifo = store.dir(id) + "/" + StateStore.execFifo
        let holders = fifoHolders(fifo)
        var cgroups: [String] = []
        for pid in holders {
            for dir in ownCgroups(of: pid, id: id) where !cgroups.contains(dir) { cgroups.append(dir) }
            kill(pid, SIGKILL)
        }
        // A started container holds no FIFO: its cgroups are found by name.
        if holders.isEmpty { cgroups = cgroupsNamed(for: id) }
        // Whatever else runs in those cgroups goes too, then the cgroups themselves.
        for _ in 0..<100 {
            let left = CgroupManagers.pids(paths: cgroups) + holders.filter { ProcStat.read($0) != nil }
            if left.isEmpty { break }
            for p in left { kill(p, SIGKILL) }
            usleep(2000)
        }
        var firstError: RuntimeError?
        for dir in cgroups.reversed() {
            do { try CgroupManagers.removeDirectory(dir) } catch { if firstError == nil { firstError = error } }
        }
        if let e = firstError { throw e }
    }

    /// PIDs with an fd on the file at `path` (all processes, or those of `among`), compared
    /// by device and inode: an fd's link text may spell the path differently (symlinks).
    static func fifoHolders(_ path: String, among: [Int32]? = nil) -> [Int32] {
        var target = stat()
        guard stat(path, &target) == 0 else { return [] }
        var pids: [Int32] = among ?? []
        if among == nil {
            pids = Sys.listDirectory("/proc").compactMap { name -> Int32? in Int32(name) }.filter { $0 > 0 }
        }
        return pids.filter { pid in
            Sys.listDirectory("/proc/\(pid)/fd").contains { fd in
                var st = stat()
                return stat("/proc/\(pid)/fd/\(fd)", &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino
            }
        }
    }

    static func ownCgroups(of pid: Int32, id: String) -> [String] {
        guard let text = try? Sys.readString("/proc/\(pid)/cgroup"),
              let hierarchies = try? CgroupHierarchies.discover() else { return [] }
        let paths = CgroupHierarchies.parseProcCgroup(text)
        return hierarchies.compactMap { h -> String? in
            guard let p = paths[h.isV2 ? "" : h.name], p != "/" else { return nil }
            let last = p.split(separator: "/").last.map(String.init) ?? ""
            return namesContainer(last, id) ? h.directory(for: p) : nil
        }
    }

    /// The cgroup names runtimes and engines give a container: the ID itself (swrun's cgroupfs
    /// default, containerd's CRI), or a known engine prefix before it, with or without
    /// `.scope` (podman's libpod-ID, systemd units such as swrun-ID.scope). Never a suffix or
    /// substring match: container "1" must not match the cgroup of container "web-1".
    static let enginePrefixes = ["", "swrun-", "runc-", "libpod-", "crio-", "cri-containerd-", "docker-"]

    static func namesContainer(_ name: String, _ id: String) -> Bool {
        enginePrefixes.contains { name == $0 + id || name == $0 + id + ".scope" }
    }

    /// Every directory of every hierarchy, a few levels deep, whose name is the container's.
    static func cgroupsNamed(for id: String) -> [String] {
        guard let hierarchies = try? CgroupHierarchies.discover() else { return [] }
        var found: [String] = []
        func walk(_ dir: String, depth: Int) {
            for name in Sys.listDirectory(dir) where Sys.isDirectory(dir + "/" + name) {
                let sub = dir + "/" + name
                if namesContainer(name, id) { found.append(sub) } else if depth < 6 { walk(sub, depth: depth + 1) }
            }
        }
        for h in hierarchies { walk(h.mountPoint, depth: 0) }
        return found
    }
}
