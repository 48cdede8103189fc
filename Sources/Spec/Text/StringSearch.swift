// Concrete on String, not generic over StringProtocol: see `fields` in ByteSplit.swift.
extension String {
    /// Whether `needle` occurs in the string, compared as UTF-8 bytes (as the kernel compares
    /// names and paths). The standard library's `contains(_: some StringProtocol)` and
    /// `firstRange(of:)` live in _StringProcessing, which no swrun target imports: linking it
    /// for one call costs 1.3 MB of binary (its Regex engine and Unicode tables come along).
    public func includes(_ needle: String) -> Bool {
        byteOffset(of: needle) != nil
    }

    /// The UTF-8 offset of the first occurrence of `needle`, nil if there is none; an empty
    /// needle is at 0.
    public func byteOffset(of needle: String) -> Int? {
        let hay = Array(utf8), pin = Array(needle.utf8)
        guard pin.count <= hay.count else { return nil }
        guard let first = pin.first else { return 0 }
        var i = 0
        while i + pin.count <= hay.count {
            if hay[i] == first {
                var j = 1
                while j < pin.count && hay[i + j] == pin[j] { j += 1 }
                if j == pin.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// The text before and after the first occurrence of `needle`, nil if there is none.
    public func split(around needle: String) -> (before: String, after: String)? {
        guard let o = byteOffset(of: needle) else { return nil }
        let b = Array(utf8)
        return (String(decoding: b[..<o], as: UTF8.self),
                String(decoding: b[(o + needle.utf8.count)...], as: UTF8.self))
    }
}
