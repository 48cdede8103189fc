/// The JSON path of a string token, found from its byte offset in a document json-c has
/// already accepted. Used only to name where a refused string is (a NUL byte), so it walks the
/// raw bytes instead of the parsed tree: json-c cuts member names at a NUL, so the tree no
/// longer holds the name to point at.
enum JSONPathAtOffset {
    /// One open object or array on the way to the offset.
    private struct Frame {
        var isObject: Bool
        /// Arrays: the index of the element being read.
        var index = 0
        /// Objects: the byte range of the current member's name (quotes included).
        var nameStart = 0
        var nameEnd = 0
        /// Objects: a member name is expected next (after "{" or ",").
        var expectingName = true
    }

    /// `stringAt`: the offset of the string's opening quote. A member name is shown quoted
    /// (`linux.sysctl["a\u0000b"]`), exactly as written in the document.
    static func path(_ bytes: [UInt8], stringAt target: Int, under base: String) -> String {
        var stack: [Frame] = []
        var i = 0
        while i < bytes.count && i <= target {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "{"): stack.append(Frame(isObject: true))
            case UInt8(ascii: "["): stack.append(Frame(isObject: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","):
                if let last = stack.indices.last {
                    if stack[last].isObject { stack[last].expectingName = true } else { stack[last].index += 1 }
                }
            case UInt8(ascii: ":"):
                if let last = stack.indices.last { stack[last].expectingName = false }
            case UInt8(ascii: "\""):
                let end = stringEnd(bytes, from: i)
                if let last = stack.indices.last, stack[last].isObject, stack[last].expectingName {
                    stack[last].nameStart = i
                    stack[last].nameEnd = end
                    if i == target { return render(bytes, stack, quotingLast: true, under: base) }
                }
                if i == target { return render(bytes, stack, quotingLast: false, under: base) }
                i = end
                continue
            default: break
            }
            i += 1
        }
        return base
    }

    /// The offset just past the closing quote of the string opening at `start`.
    private static func stringEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var i = start + 1
        while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
            i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
        }
        return min(i + 1, bytes.count)
    }

    /// Members with plain names as `a.b`, others (dots, escapes) quoted as map keys are in
    /// the decoders' errors: `annotations["org.example"]`.
    private static func render(_ bytes: [UInt8], _ stack: [Frame], quotingLast: Bool, under base: String) -> String {
        var path = base
        for (n, f) in stack.enumerated() {
            guard f.isObject else {
                path = JSONPath.index(path, f.index)
                continue
            }
            let raw = bytes[f.nameStart..<f.nameEnd]
            let isLast = n == stack.count - 1
            if isLast && quotingLast {
                return path + "[" + String(decoding: raw, as: UTF8.self) + "]"
            }
            let inner = raw.dropFirst().dropLast()
            let plain = !inner.isEmpty && inner.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || $0 == UInt8(ascii: "_")
            }
            if plain {
                path = JSONPath.member(path, String(decoding: inner, as: UTF8.self))
            } else {
                path += "[" + String(decoding: raw, as: UTF8.self) + "]"
            }
        }
        return path
    }
}
