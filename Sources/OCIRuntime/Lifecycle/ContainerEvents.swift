#if canImport(Glibc)
import Glibc
#endif
import Spec

/// `events`: runc's JSON event lines. `--stats` prints one stats event; otherwise a stats
/// event every interval and an "oom" event whenever the kernel OOM-kills in the container,
/// until the container stops.
public enum ContainerEvents {
    public static func stats(store: StateStore, id: String) throws(RuntimeError) -> String {
        let c = try Container(store: store, id: id)
        if c.status == .stopped { throw RuntimeError("container \"\(id)\" is stopped") }
        try c.requireCgroup("read the statistics of")
        return event("stats", id, CgroupStats(paths: c.record.cgroupPaths).json())
    }

    public static func follow(store: StateStore, id: String, intervalMs: Int,
                              emit: (String) -> Void) throws(RuntimeError) {
        let c = try Container(store: store, id: id)
        try c.requireCgroup("follow the events of")
        let stats = CgroupStats(paths: c.record.cgroupPaths)
        var ooms = stats.oomKills()
        var waitedMs = 0  // the first stats after one interval, as runc
        while c.status != .stopped {
            let now = stats.oomKills()
            if now > ooms { emit(event("oom", id, nil)); ooms = now }
            if waitedMs >= intervalMs {
                emit(event("stats", id, stats.json()))
                waitedMs = 0
            }
            // OOM kills are noticed within 100 ms whatever the stats interval.
            let step = min(100, intervalMs)
            usleep(UInt32(step) * 1000)
            waitedMs += step
        }
    }

    static func event(_ type: String, _ id: String, _ data: JSONValue?) -> String {
        var members: [(String, JSONValue)] = [("type", .string(type)), ("id", .string(id))]
        if let data { members.append(("data", data)) }
        return JSONValue.object(members).serialized()
    }
}
