/// Lexical path cleaning, shared by config validation (which must judge a mount destination
/// such as "/proc/../proc" the way the mounter will see it) and the runtime (Sys.clean).
public enum PathClean {
    /// Lexically cleans a path: collapses //, ".", ".." (never above "/"). Works on bytes
    /// and returns a clean path as it is: it runs for every mount and cgroup path, and the
    /// Character-based split it replaced showed in the create profile.
    public static func clean(_ path: String) -> String {
        let utf8 = Array(path.utf8)
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        let absolute = utf8.first == slash
        // Components as start and end byte offsets, in two [Int]: an array of Range<Int> or of
        // tuples is a generic type the runtime instantiates by name on first use (Range<Int>
        // also a conformance lookup, ~150k instructions); [Int] comes prespecialized.
        // ".." above the root is dropped, kept in a relative path.
        var starts: [Int] = [], ends: [Int] = []
        var dirty = utf8.isEmpty || (utf8.count > 1 && utf8.last == slash)
        var i = 0
        while i < utf8.count {
            if utf8[i] == slash { if i > 0 && utf8[i - 1] == slash { dirty = true }; i += 1; continue }
            var j = i
            while j < utf8.count && utf8[j] != slash { j += 1 }
            let n = j - i
            if n == 1 && utf8[i] == dot {
                dirty = true
            } else if n == 2 && utf8[i] == dot && utf8[i + 1] == dot {
                if let ls = starts.last, let le = ends.last, !(le - ls == 2 && utf8[ls] == dot && utf8[ls + 1] == dot) {
                    starts.removeLast(); ends.removeLast(); dirty = true
                } else if !absolute {
                    starts.append(i); ends.append(j)
                } else {
                    dirty = true
                }
            } else {
                starts.append(i); ends.append(j)
            }
            i = j
        }
        if !dirty { return path }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        if absolute { out.append(slash) }
        for k in starts.indices {
            if k > 0 { out.append(slash) }
            out.append(contentsOf: utf8[starts[k]..<ends[k]])
        }
        if out.isEmpty { out.append(dot) }
        return String(decoding: out, as: UTF8.self)
    }
}
