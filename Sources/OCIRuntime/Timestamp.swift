#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps with nanoseconds in UTC, as Go's time.RFC3339Nano prints them (runc's
/// `created` field and its log lines), without pulling in Foundation.
enum Timestamp {
    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var frac = ""
        if ts.tv_nsec > 0 {
            let n = String(ts.tv_nsec)
            frac = String(repeating: "0", count: 9 - n.count) + n
            while frac.hasSuffix("0") { frac.removeLast() }
            frac = "." + frac
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))\(frac)Z"
    }
}
