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
        return parse(bytes)
    }

    /// A /proc/PID/stat line.
    static func parse(_ bytes: [UInt8]) -> ProcStat? {
        // comm may contain spaces and parentheses: fields start after the LAST ')'.
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Walked as bytes, field by field: a Character split cost more than the rest of
        // `state` (callgrind), and even a byte split builds an array of slices, a generic
        // type the runtime instantiates by name on every create.
        // After ')' come field 3 (state) ... field 22 (starttime), separated by single spaces.
        var field = 2, i = close + 1, st: UInt8 = 0, start: UInt64 = 0, digits = 0
        while i < bytes.count && field <= 22 {
            let b = bytes[i]
            if b == UInt8(ascii: " ") {
                field += 1
            } else if field == 3 && st == 0 {
                st = b
            } else if field == 22 {
                guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
                let (m, o1) = start.multipliedReportingOverflow(by: 10)
                let (v, o2) = m.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
                guard !o1 && !o2 else { return nil }
                start = v
                digits += 1
            }
            i += 1
        }
        guard st != 0, digits > 0 else { return nil }
        return ProcStat(state: Character(Unicode.Scalar(st)), startTime: start)
    }

    /// Alive and the same process as recorded (zombies count as gone).
    static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0, let s = read(pid) else { return false }
        return s.startTime == startTime && s.state != "Z" && s.state != "X"
    }
}
