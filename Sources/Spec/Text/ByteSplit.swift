extension String {
    /// Splits on one ASCII separator, working on UTF-8 bytes. `split(separator: Character)`
    /// walks grapheme clusters: on the create path (mountinfo, /proc/<pid>/stat, devices.list,
    /// /etc/passwd, paths) it cost hundreds of instructions per byte (callgrind, bench/README.md).
    /// Concrete, not generic over StringProtocol: an unspecialized generic across the module
    /// boundary costs runtime witness lookups on every call.
    public func fields(_ separator: Unicode.Scalar, maxSplits: Int = .max, keepEmpty: Bool = false) -> [String] {
        let sep = UInt8(ascii: separator)
        var out: [String] = []
        var text = self
        text.makeContiguousUTF8()  // a no-op for native strings
        _ = text.utf8.withContiguousStorageIfAvailable { b in
            var start = 0
            var splits = 0
            for i in 0..<b.count where b[i] == sep && splits < maxSplits {
                if keepEmpty || i > start { out.append(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)) }
                start = i + 1
                splits += 1
            }
            if keepEmpty || b.count > start { out.append(String(decoding: UnsafeBufferPointer(rebasing: b[start..<b.count]), as: UTF8.self)) }
        }
        return out
    }
}

extension Array where Element == String {
    /// `joined(separator:)` for [String], compiled here: the standard library's is a generic
    /// over BidirectionalCollection that resolves its witnesses at run time on first use
    /// (~0.1 ms in every create that mounts something, perf).
    public func joined(with separator: String) -> String {
        var out = ""
        for i in indices {
            if i > startIndex { out += separator }
            out += self[i]
        }
        return out
    }

    public var commaJoined: String { joined(with: ",") }
}
