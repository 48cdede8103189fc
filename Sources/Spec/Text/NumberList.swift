/// The kernel's list format for CPUs and NUMA nodes ("0-3,7"), as cpuset.cpus, mems and
/// /sys/devices/system/node/online write it.
public enum NumberList {
    /// The numbers of `list`, sorted, without repeats; "" is none.
    public static func parse(_ list: String, max: Int, noun: String, path: String) throws(RuntimeError) -> [Int] {
        var out: [Int] = []
        guard !list.isEmpty else { return out }
        let bad = RuntimeError.config(path, "\"\(list)\" is not a \(noun) list (numbers 0-\(max) or ranges like 0-3, comma-separated)")
        for part in list.fields(",", keepEmpty: true) {
            let ends = part.fields("-", keepEmpty: true)
            func number(_ s: String) throws(RuntimeError) -> Int {
                guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                      let n = Int(s), n <= max else { throw bad }
                return n
            }
            guard ends.count == 1 || ends.count == 2 else { throw bad }
            let lo = try number(ends[0])
            let hi = ends.count == 2 ? try number(ends[1]) : lo
            guard lo <= hi else { throw RuntimeError.config(path, "\(noun) range \"\(part)\" runs backwards") }
            out.append(contentsOf: lo...hi)
        }
        return Array(Set(out)).sorted()
    }
}
