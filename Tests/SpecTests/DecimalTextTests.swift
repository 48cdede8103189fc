import XCTest
@testable import Spec

/// DecimalText replaces the standard library's integer formatting through String.init and
/// interpolation overloads; its text must be exactly `description`'s (which it does not
/// overload) for every width, at the edges and for values generated from a fixed seed.
final class DecimalTextTests: XCTestCase {
    private func check<T: FixedWidthInteger>(_ v: T, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(DecimalText.of(v), v.description, file: file, line: line)
    }

    private func edges<T: FixedWidthInteger>(_: T.Type) {
        for v in [T.min, T.max, 0, 1, 9, 10, 99, 100, T.max - 1, T.min + 1] { check(v) }
        if T.isSigned { for v in [-1, -9, -10, -11] as [T] { check(v) } }
    }

    func testEdgesOfEveryWidth() {
        edges(Int.self); edges(Int8.self); edges(Int16.self); edges(Int32.self); edges(Int64.self)
        edges(UInt.self); edges(UInt8.self); edges(UInt16.self); edges(UInt32.self); edges(UInt64.self)
    }

    /// The overloads callers reach with concrete types (a generic T would reach the standard
    /// library's own).
    func testStringInitAndInterpolationOfConcreteTypes() {
        XCTAssertEqual(String(Int.min), "-9223372036854775808")
        XCTAssertEqual(String(UInt64.max), "18446744073709551615")
        XCTAssertEqual(String(Int32(-2_147_483_648)), "-2147483648")
        XCTAssertEqual(String(UInt8(255)), "255")
        XCTAssertEqual(String(Int8(-128)), "-128")
        XCTAssertEqual(String(0), "0")
        let pid: Int32 = 4_194_304, dev: UInt32 = 0, off: Int64 = -1, n = 42
        XCTAssertEqual("/proc/\(pid)/fd/\(dev) \(off)\(n)", "/proc/4194304/fd/0 -142")
    }

    func testGeneratedValuesMatchTheStandardLibrary() {
        var state: UInt64 = 0x5eed_d3c1_4a17  // fixed seed: a failure reproduces
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407  // LCG (Knuth MMIX)
            let bits = Int(truncatingIfNeeded: state >> 58)  // 0...63: spread over magnitudes
            let v = state >> UInt64(63 - bits % 64)
            check(v); check(Int64(bitPattern: v)); check(Int(truncatingIfNeeded: v))
            check(Int32(truncatingIfNeeded: v)); check(UInt32(truncatingIfNeeded: v))
            check(Int16(truncatingIfNeeded: v)); check(UInt8(truncatingIfNeeded: v))
        }
    }
}
