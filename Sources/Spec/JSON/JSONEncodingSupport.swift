/// Encoding of the spec types back to JSON, so a decoded (and possibly amended) config can
/// be stored next to the container state and re-read by later commands.
public protocol JSONEncodable {
    var jsonValue: JSONValue { get }
}

/// Builds an object in a fixed member order; absent (nil) values are left out, like Go's
/// `omitempty` on pointers, so absent and empty stay distinguishable after a round trip.
struct ObjectBuilder {
    var members: [(String, JSONValue)] = []

    mutating func add<T: JSONEncodable>(_ key: String, _ value: T?) {
        if let value { members.append((key, value.jsonValue)) }
    }

    var value: JSONValue { .object(members) }
}

extension String: JSONEncodable { public var jsonValue: JSONValue { .string(self) } }
extension Bool: JSONEncodable { public var jsonValue: JSONValue { .bool(self) } }
extension Int: JSONEncodable { public var jsonValue: JSONValue { .int(Int64(self)) } }
extension Int64: JSONEncodable { public var jsonValue: JSONValue { .int(self) } }
extension Int32: JSONEncodable { public var jsonValue: JSONValue { .int(Int64(self)) } }
extension UInt32: JSONEncodable { public var jsonValue: JSONValue { .int(Int64(self)) } }
extension UInt16: JSONEncodable { public var jsonValue: JSONValue { .int(Int64(self)) } }
extension UInt: JSONEncodable {
    public var jsonValue: JSONValue { UInt64(self).jsonValue }
}
extension UInt64: JSONEncodable {
    public var jsonValue: JSONValue {
        self > UInt64(Int64.max) ? .uint(self) : .int(Int64(self))
    }
}
extension JSONValue: JSONEncodable { public var jsonValue: JSONValue { self } }

extension Array: JSONEncodable where Element: JSONEncodable {
    public var jsonValue: JSONValue { .array(map(\.jsonValue)) }
}

extension Dictionary: JSONEncodable where Key == String, Value: JSONEncodable {
    /// Sorted keys: dictionaries have no order and output should be reproducible.
    public var jsonValue: JSONValue {
        .object(sorted { $0.key < $1.key }.map { ($0.key, $0.value.jsonValue) })
    }
}
