#if canImport(Glibc)
import Glibc
#endif
import Spec

/// `pause` / `resume`: the v1 freezer where the host has one, else cgroup.freeze of the v2
/// tree; pause returns only once every process is frozen.
public enum ContainerPause {
    public static func run(store: StateStore, id: String, freeze: Bool) throws(RuntimeError) {
        let c = try Container(store: store, id: id)
        let lockFd = try store.lock(id)
        defer { close(lockFd) }
        let status = c.status
        if freeze && status != .running {
            throw RuntimeError("cannot pause container \"\(id)\": it is \(status.rawValue), not running")
        }
        if !freeze && status != .paused {
            throw RuntimeError("cannot resume container \"\(id)\": it is \(status.rawValue), not paused")
        }
        try c.requireCgroup(freeze ? "pause" : "resume")
        if let dir = c.record.cgroupPaths.first(where: { Sys.exists($0 + "/freezer.state") }) {
            try Sys.writeFile(dir + "/freezer.state", freeze ? "FROZEN" : "THAWED", flags: 0)
            try waitFor(dir + "/freezer.state", freeze ? "FROZEN" : "THAWED")
        } else if let dir = c.record.cgroupPaths.first(where: { Sys.exists($0 + "/cgroup.freeze") }) {
            try Sys.writeFile(dir + "/cgroup.freeze", freeze ? "1" : "0", flags: 0)
            try waitFor(dir + "/cgroup.events", freeze ? "frozen 1" : "frozen 0")
        } else {
            throw RuntimeError("cannot \(freeze ? "pause" : "resume") container \"\(id)\": no freezer on this host")
        }
    }

    private static func waitFor(_ file: String, _ want: String) throws(RuntimeError) {
        for _ in 0..<2000 {
            if let s = try? Sys.readString(file), s.includes(want) { return }
            usleep(1000)
        }
        throw RuntimeError("timed out waiting for \(file) to show \"\(want)\"")
    }
}
