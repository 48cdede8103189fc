#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps with nanoseconds in UTC, as Go's time.RFC3339Nano prints them (runc's
/// `created` field and its log lines), without pulling in Foundation.
enum Timestamp {
    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let (year, month, day) = civil(days: Int(ts.tv_sec).floorDiv(86400))
        let secs = Int(ts.tv_sec) - Int(ts.tv_sec).floorDiv(86400) * 86400
        func pad(_ v: Int, _ w: Int) -> String {
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
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))\(frac)Z"
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
    /// civil_from_days). Computed here because glibc's gmtime_r reads /etc/localtime on
    /// first use, a file create does not need.
    static func civil(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = z.floorDiv(146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int {
    fileprivate func floorDiv(_ d: Int) -> Int {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
