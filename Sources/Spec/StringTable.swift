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
