import CJSONC

/// json-c's strict mode still lets a few non-JSON inputs through (single-quoted strings,
/// NaN/Infinity) and silently clamps integers outside 64 bits. A config with
/// `"soft": 99999999999999999999` must not quietly become "unlimited", so after json-c
/// accepts a document this pass finds the first such token and reports where it is.
extension JSONValue {
    /// Returns the byte offset and reason of the first token RFC 8259 or 64-bit integers
    /// reject, or nil. `firstNUL` gets the offset of the opening quote of the first string
    /// (value or member name) holding a `\u0000` escape: see JSONValue.parse.
    static func firstNonStandardToken(_ bytes: [UInt8], firstNUL: inout Int?) -> (Int, String)? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let start = i
                i += 1
                while i < n && bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") {
                        if firstNUL == nil && isNULEscape(bytes, at: i) { firstNUL = start }
                        i += 2
                    } else {
                        i += 1
                    }
                }
                i += 1
            } else if b == UInt8(ascii: "'") {
                return (i, "strings must use double quotes")
            } else if b == UInt8(ascii: "-") || isDigit(b) || isLetter(b) {
                let start = i
                while i < n && (isDigit(bytes[i]) || isLetter(bytes[i])
                    || bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")
                    || bytes[i] == UInt8(ascii: "."))
                {
                    i += 1
                }
                if let reason = numberProblem(bytes[start..<i]) { return (start, reason) }
            } else {
                i += 1
            }
        }
        return nil
    }

    /// `\u0000` at `i` (the backslash). The hex digits are all "0", so case does not matter.
    private static func isNULEscape(_ bytes: [UInt8], at i: Int) -> Bool {
        guard i + 5 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else { return false }
        return bytes[(i + 2)...(i + 5)].allSatisfy { $0 == UInt8(ascii: "0") }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    private static func numberProblem(_ token: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: token, as: UTF8.self)
        if text == "true" || text == "false" || text == "null" { return nil }
        guard let first = token.first(where: { $0 != UInt8(ascii: "-") }), isDigit(first) else {
            return "unexpected literal \"\(text)\""
        }
        let isInteger = !token.contains { $0 == UInt8(ascii: ".") || ($0 | 0x20) == UInt8(ascii: "e") }
        if isInteger {
            if Int64(text) != nil || UInt64(text) != nil { return nil }
            return "integer \(text) is outside the 64-bit range"
        }
        if let d = Double(text), d.isFinite { return nil }
        return "number \(text) is outside the range of a double"
    }
}
