/// A parsed JSON document. Objects keep their members in document order (a list, not a
/// dictionary) so that state files and messages serialize stably and config paths can be
/// reported in the order the user wrote them.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// Only for integers above Int64.max (e.g. 18446744073709551615 for an unlimited rlimit);
    /// everything that fits in Int64 is `.int`, so each number has one representation.
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.uint(a), .uint(b)): return a == b
        case let (.int(a), .uint(b)), let (.uint(b), .int(a)): return a >= 0 && UInt64(a) == b
        case let (.double(a), .double(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            for i in a.indices where a[i].0 != b[i].0 || a[i].1 != b[i].1 { return false }
            return true
        default: return false
        }
    }

    /// The last member with that key (JSON parsers conventionally let a repeated key win).
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        for member in members.reversed() where member.0 == key { return member.1 }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        guard case let .array(items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var boolValue: Bool? { if case let .bool(b) = self { return b } else { return nil } }

    public var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }

    /// Integral numbers only: a double counts when it has no fractional part and fits.
    public var intValue: Int64? {
        switch self {
        case let .int(i): return i
        case let .double(d): return Int64(exactly: d)
        default: return nil
        }
    }

    public var uintValue: UInt64? {
        switch self {
        case let .int(i): return i >= 0 ? UInt64(i) : nil
        case let .uint(u): return u
        case let .double(d): return UInt64(exactly: d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .uint(u): return Double(u)
        case let .double(d): return d
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? { if case let .array(a) = self { return a } else { return nil } }

    public var objectValue: [(String, JSONValue)]? {
        if case let .object(o) = self { return o } else { return nil }
    }

    /// The JSON type name used in error messages ("expected an integer, got string").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .uint, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// No ExpressibleByNilLiteral: with it, `nil` in a `JSONValue?` context silently means
// `.null` instead of absent.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}
