/// /proc/self/mountinfo, split on bytes. Cgroup discovery reads it on every create, the init
/// when the rootfs's parent mount must be made private, delete for a container without a mount
/// namespace; splitting Swift Strings by Character was a tenth of create's CPU time in the
/// profile (bench/README.md).
struct MountInfoEntry: Equatable {
    /// Field 4: the root of the mount within its filesystem, unescaped.
    var root: String
    /// Field 5: where it is mounted, unescaped.
    var mountPoint: String
    /// The optional fields between the mount options and "-" ("shared:5", "master:1", "unbindable").
    var optional: [String]
    var fstype: String
    var superOptions: String
}

enum MountInfo {
    static func read() -> [MountInfoEntry] {
        parse((try? Sys.readFile("/proc/self/mountinfo")) ?? [])
    }

    static func parse(_ text: String) -> [MountInfoEntry] { parse(Array(text.utf8)) }

    static func parse(_ bytes: [UInt8]) -> [MountInfoEntry] {
        var out: [MountInfoEntry] = []
        bytes.withUnsafeBufferPointer { buf in
            var fields: [UnsafeBufferPointer<UInt8>] = []
            var lineStart = 0
            for i in 0...buf.count where i == buf.count || buf[i] == UInt8(ascii: "\n") {
                fields.removeAll(keepingCapacity: true)
                var f = lineStart
                for j in lineStart...i where j == i || buf[j] == UInt8(ascii: " ") {
                    if j > f { fields.append(UnsafeBufferPointer(rebasing: buf[f..<j])) }
                    f = j + 1
                }
                lineStart = i + 1
                guard fields.count > 6, let dash = fields[6...].firstIndex(where: { $0.count == 1 && $0[0] == UInt8(ascii: "-") }),
                      dash + 1 < fields.count else { continue }
                out.append(MountInfoEntry(
                    root: unescape(fields[3]), mountPoint: unescape(fields[4]),
                    optional: fields[6..<dash].map { String(decoding: $0, as: UTF8.self) },
                    fstype: String(decoding: fields[dash + 1], as: UTF8.self),
                    superOptions: dash + 3 < fields.count ? String(decoding: fields[dash + 3], as: UTF8.self) : ""))
            }
        }
        return out
    }

    /// mountinfo escapes space, tab, newline and backslash as three octal digits.
    static func unescape(_ s: String) -> String {
        Array(s.utf8).withUnsafeBufferPointer { unescape($0) }
    }

    static func unescape(_ b: UnsafeBufferPointer<UInt8>) -> String {
        guard b.contains(UInt8(ascii: "\\")) else { return String(decoding: b, as: UTF8.self) }
        var out: [UInt8] = []
        var i = 0
        func octal(_ c: UInt8) -> Int? { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "7") ? Int(c - UInt8(ascii: "0")) : nil }
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let a = octal(b[i + 1]), let c = octal(b[i + 2]), let d = octal(b[i + 3]), a < 4 {
                out.append(UInt8(a << 6 | c << 3 | d)); i += 4
            } else {
                out.append(b[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
