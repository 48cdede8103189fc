import CJSONC

/// Parsing goes through json-c (already linked for its speed and small footprint) and is
/// converted at once into `JSONValue`, so nothing outside this file touches json-c objects.
extension JSONValue {
    /// Nesting deeper than this is rejected; json-c's default (32) is too tight for
    /// generated seccomp profiles wrapped in messages.
    static let maxDepth: Int32 = 256

    /// Parses one JSON document (RFC 8259, strict: no comments, no trailing commas, no
    /// trailing garbage, valid UTF-8). Errors carry jsonPath "" and a line/column; a string
    /// with a NUL is named by its path below `path`, where the caller places the document
    /// ("process" for `exec --process`).
    public static func parse(_ bytes: [UInt8], path: String = "") throws(RuntimeError) -> JSONValue {
        guard bytes.count < Int(Int32.max) else {
            throw RuntimeError.config("", "not valid JSON: document larger than 2 GiB")
        }
        guard let tok = json_tokener_new_ex(maxDepth) else {
            throw RuntimeError.config("", "not valid JSON: cannot allocate a parser")
        }
        defer { json_tokener_free(tok) }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8)

        // json-c needs the terminating NUL to know a trailing number has ended.
        var input = bytes
        input.append(0)
        let object: OpaquePointer? = input.withUnsafeBufferPointer { buf in
            buf.baseAddress?.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                json_tokener_parse_ex(tok, $0, Int32(clamping: buf.count))
            }
        }
        let err = json_tokener_get_error(tok)
        let end = json_tokener_get_parse_end(tok)
        guard err == json_tokener_success else {
            if object != nil { json_object_put(object) }
            let reason: String
            if err == json_tokener_continue || err == json_tokener_error_parse_eof {
                reason = "unexpected end of input"
            } else {
                reason = String(cString: json_tokener_error_desc(err))
            }
            throw invalid(bytes, at: min(end, bytes.count), reason)
        }
        defer { if object != nil { json_object_put(object) } }
        // A NUL inside the data ends json-c's parse early; anything after it is garbage.
        if end < bytes.count {
            throw invalid(bytes, at: end, "unexpected data after the JSON value")
        }
        var firstNUL: Int?
        if let (offset, reason) = firstNonStandardToken(bytes, firstNUL: &firstNUL) {
            throw invalid(bytes, at: offset, reason)
        }
        // A NUL byte (issue 12, class 8) ends the string at every C boundary: a mount
        // destination "/\u0000dev/shm" became "/" for mount(2), a cgroupsPath with one made
        // cleanup recurse until the runtime crashed, and json-c cuts a member name at it (so
        // {"a\u0000b": 1} would read as {"a": 1}). No field of any document swrun reads has a
        // use for it, so the document is refused here, once for every string, by JSON path.
        if let at = firstNUL {
            throw RuntimeError.config(JSONPathAtOffset.path(bytes, stringAt: at, under: path),
                                      "contains a NUL byte (\\u0000), which the kernel would read as the end of the string")
        }
        return convert(object)  // nil is the literal `null`
    }

    /// Parses a UTF-8 string; convenient for messages and tests.
    public static func parse(_ text: String) throws(RuntimeError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private static func invalid(_ bytes: [UInt8], at offset: Int, _ reason: String) -> RuntimeError {
        let (line, column) = lineAndColumn(bytes, offset)
        return RuntimeError.config("", "not valid JSON at line \(line), column \(column): \(reason)")
    }

    /// 1-based line and column of a byte offset; the column counts characters, not bytes,
    /// so it matches what an editor shows.
    static func lineAndColumn(_ bytes: [UInt8], _ offset: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for b in bytes[..<min(offset, bytes.count)] {
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    private static func convert(_ obj: OpaquePointer?) -> JSONValue {
        guard let obj else { return .null }
        let type = json_object_get_type(obj)
        if type == json_type_string {
            let len = Int(json_object_get_string_len(obj))
            guard let p = json_object_get_string(obj) else { return .string("") }
            return .string(p.withMemoryRebound(to: UInt8.self, capacity: len) {
                String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
            })
        }
        if type == json_type_object {
            var members: [(String, JSONValue)] = []
            var it = json_object_iter_begin(obj)
            var end = json_object_iter_end(obj)
            while json_object_iter_equal(&it, &end) == 0 {
                let name = String(cString: json_object_iter_peek_name(&it))
                members.append((name, convert(json_object_iter_peek_value(&it))))
                json_object_iter_next(&it)
            }
            return .object(members)
        }
        if type == json_type_array {
            let n = json_object_array_length(obj)
            var items: [JSONValue] = []
            items.reserveCapacity(n)
            for i in 0..<n { items.append(convert(json_object_array_get_idx(obj, i))) }
            return .array(items)
        }
        if type == json_type_int {
            let i = json_object_get_int64(obj)
            // json-c keeps values above Int64.max as uint64 and clamps get_int64.
            if i == Int64.max {
                let u = json_object_get_uint64(obj)
                if u > UInt64(Int64.max) { return .uint(u) }
            }
            return .int(i)
        }
        if type == json_type_double { return .double(json_object_get_double(obj)) }
        if type == json_type_boolean { return .bool(json_object_get_boolean(obj) != 0) }
        return .null
    }
}
