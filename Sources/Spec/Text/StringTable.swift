/// A few String → String entries in insertion order, found by linear search. Where a
/// [String: String] would do for a handful of entries, this avoids what the first
/// String-keyed dictionary of a process costs: the Swift runtime's scan of every protocol
/// conformance in the binary for String: Hashable (~0.1 ms per create, measured in bench/).
public struct StringTable: Equatable, Sendable {
    public private(set) var keys: [String] = []
    public private(set) var values: [String] = []

    public init() {}

    public init(keys: [String], values: [String]) {
        precondition(keys.count == values.count, "StringTable: keys and values differ in count")
        self.keys = keys
        self.values = values
    }

    public var isEmpty: Bool { keys.isEmpty }
    public var count: Int { keys.count }

    /// Setting a key again replaces its value, as a dictionary would.
    public subscript(key: String) -> String? {
        get { keys.firstIndex(of: key).map { values[$0] } }
        set {
            let i = keys.firstIndex(of: key)
            switch (i, newValue) {
            case let (i?, v?): values[i] = v
            case let (i?, nil): keys.remove(at: i); values.remove(at: i)
            case let (nil, v?): keys.append(key); values.append(v)
            case (nil, nil): break
            }
        }
    }
}

/// For tests and fixed tables; a literal builds an array of tuples, so the create path uses
/// the subscript instead.
extension StringTable: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (k, v) in elements { self[k] = v }
    }
}

extension StringTable {
    /// The entries ordered by key, as Go's encoding/json writes a map (runc's state output).
    public func sortedByKey() -> StringTable {
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        return StringTable(keys: order.map { keys[$0] }, values: order.map { values[$0] })
    }

    /// `{"key": "value", ...}` in the table's order.
    public var jsonObject: JSONValue {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(keys.count)
        for i in keys.indices { members.append((keys[i], .string(values[i]))) }
        return .object(members)
    }
}

extension StringTable: JSONEncodable {
    public var jsonValue: JSONValue { jsonObject }
}

extension StringTable: JSONDecodable {
    /// An object of strings (annotations): a repeated key keeps its last value.
    init(json: JSONValue, path: String) throws(RuntimeError) {
        guard case let .object(members) = json else { throw mismatch(expected: "an object", json, path) }
        self.init()
        for (k, v) in members { self[k] = try String(json: v, path: JSONPath.key(path, k)) }
    }
}
