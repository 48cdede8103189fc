/// Integers as decimal text, written here rather than by the standard library's
/// `BinaryInteger.description`: that generic path (`_description(radix:uppercase:)`, the
/// `Numeric` witnesses it calls) lies in three places of libswiftCore's 1.6 MB of text, and
/// every start that formats a pid, an index or a device number would fault them in,
/// 64 KB each (bench/README.md, "The standard library's text"). The text is the same: an optional minus sign and
/// the digits, no padding.
public enum DecimalText {
    public static func of(magnitude: UInt64, negative: Bool) -> String {
        // 20 digits hold UInt64.max; one more for the sign.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { buf in
            var i = buf.count
            var m = magnitude
            repeat {
                i -= 1
                buf[i] = UInt8(truncatingIfNeeded: m % 10) &+ 0x30
                m /= 10
            } while m != 0
            if negative {
                i -= 1
                buf[i] = 0x2D
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[i...]), as: UTF8.self)
        }
    }

    public static func of<T: FixedWidthInteger>(_ v: T) -> String {
        // magnitude is the unsigned type of the same width: Int64.min's is 2^63, which fits.
        of(magnitude: UInt64(truncatingIfNeeded: v.magnitude), negative: v < 0)
    }
}

/// `String(n)` and string interpolation of the fixed-width integers, through DecimalText.
/// Concrete overloads are preferred to the standard library's generic ones wherever Spec is
/// imported, so no call site has to remember them.
extension String {
    public init(_ v: Int) { self = DecimalText.of(v) }
    public init(_ v: Int8) { self = DecimalText.of(v) }
    public init(_ v: Int16) { self = DecimalText.of(v) }
    public init(_ v: Int32) { self = DecimalText.of(v) }
    public init(_ v: Int64) { self = DecimalText.of(v) }
    public init(_ v: UInt) { self = DecimalText.of(v) }
    public init(_ v: UInt8) { self = DecimalText.of(v) }
    public init(_ v: UInt16) { self = DecimalText.of(v) }
    public init(_ v: UInt32) { self = DecimalText.of(v) }
    public init(_ v: UInt64) { self = DecimalText.of(v) }
}

extension DefaultStringInterpolation {
    public mutating func appendInterpolation(_ v: Int) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: Int8) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: Int16) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: Int32) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: Int64) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: UInt) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: UInt8) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: UInt16) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: UInt32) { appendLiteral(DecimalText.of(v)) }
    public mutating func appendInterpolation(_ v: UInt64) { appendLiteral(DecimalText.of(v)) }
}
