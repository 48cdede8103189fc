#if canImport(Glibc)
import Glibc
#endif
import Spec

/// What /proc says about a PID: whether it is alive and when it started, so a recycled PID is
/// never mistaken for the container's init.
struct ProcStat {
    var state: Character
    var startTime: UInt64

    static func read(_ pid: Int32) -> ProcStat? {
        guard let bytes = try? Sys.readFile("/proc/\(pid)/stat", limit: 4096) else { return nil }
        // comm may contain spaces and parentheses: fields start after the LAST ')'.
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Split as bytes: `state` reads this on every call, and a Character split cost more
        // than the rest of the command (callgrind).
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state); starttime is field 22.
        guard fields.count > 19, let st = fields[0].first,
              let start = UInt64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        return ProcStat(state: Character(Unicode.Scalar(st)), startTime: start)
    }

    /// Alive and the same process as recorded (zombies count as gone).
    static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0, let s = read(pid) else { return false }
        return s.startTime == startTime && s.state != "Z" && s.state != "X"
    }
}
