import XCTest
@testable import Spec

final class JSONValueTests: XCTestCase {
    func testParsesAllTypesKeepingMemberOrder() throws {
        let v = try JSONValue.parse(#"{"z":null,"a":[true,false],"m":-5,"d":2.5,"s":"x\u00e9\n"}"#)
        guard case let .object(members) = v else { return XCTFail("not an object: \(v)") }
        XCTAssertEqual(members.map(\.0), ["z", "a", "m", "d", "s"])
        XCTAssertEqual(v["z"], .null)
        XCTAssertEqual(v["a"], .array([.bool(true), .bool(false)]))
        XCTAssertEqual(v["m"]?.intValue, -5)
        XCTAssertEqual(v["d"]?.doubleValue, 2.5)
        XCTAssertEqual(v["s"]?.stringValue, "xé\n")
        XCTAssertNil(v["missing"])
    }

    func testLargeUnsignedIntegersAreKept() throws {
        let v = try JSONValue.parse("[18446744073709551615, 9223372036854775807, 9223372036854775808]")
        XCTAssertEqual(v[0], .uint(UInt64.max))
        XCTAssertEqual(v[1], .int(Int64.max))
        XCTAssertEqual(v[2], .uint(UInt64(Int64.max) + 1))
        XCTAssertEqual(v[0]?.uintValue, UInt64.max)
        XCTAssertNil(v[0]?.intValue)
        XCTAssertEqual(v.serialized(), "[18446744073709551615,9223372036854775807,9223372036854775808]")
    }

    func testIntegersBeyond64BitsAreRejectedNotClamped() {
        let err = expectError { () throws(RuntimeError) in try JSONValue.parse("{\"a\":\n 18446744073709551616}") }
        XCTAssertEqual(err?.jsonPath, "")
        XCTAssertEqual(err?.message, "not valid JSON at line 2, column 2: integer 18446744073709551616 is outside the 64-bit range")
        XCTAssertNotNil(expectError { () throws(RuntimeError) in try JSONValue.parse("-9223372036854775809") })
        XCTAssertNotNil(expectError { () throws(RuntimeError) in try JSONValue.parse("1e400") })
    }

    func testNotJSONReportsLineAndColumn() {
        let text = "{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {path: 1}\n}"
        let err = expectError { () throws(RuntimeError) in try JSONValue.parse(text) }
        XCTAssertEqual(err?.jsonPath, "")
        XCTAssertTrue(err?.message.hasPrefix("not valid JSON at line 3, column 12: ") ?? false, "\(String(describing: err))")
        XCTAssertTrue(err?.description.hasPrefix("config.json: not valid JSON at line 3") ?? false)
    }

    func testColumnCountsCharactersNotBytes() {
        let err = expectError { () throws(RuntimeError) in try JSONValue.parse("[\"ééé\", x]") }
        XCTAssertTrue(err?.message.hasPrefix("not valid JSON at line 1, column 9:") ?? false, "\(String(describing: err))")
    }

    func testRejectsNonStandardJSON() {
        for text in ["", "   ", "{'a': 1}", "[1,]", "NaN", "[Infinity]", "/* c */ {}", "{} {}", "{\"a\":1", "[1]\u{0}x", "TRUE"] {
            let err = expectError { () throws(RuntimeError) in try JSONValue.parse(text) }
            XCTAssertTrue(err?.message.hasPrefix("not valid JSON at line 1, column ") ?? false,
                          "\(text.debugDescription): \(String(describing: err))")
        }
    }

    func testTruncatedInputSaysEndOfInput() {
        let err = expectError { () throws(RuntimeError) in try JSONValue.parse("{\"a\": [1,\n2") }
        XCTAssertEqual(err?.message, "not valid JSON at line 2, column 2: unexpected end of input")
    }

    func testDeepNestingBeyondJSONCDefaultParses() throws {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertNotNil(try JSONValue.parse(text).arrayValue)
    }

    func testSerializationEscapes() {
        let s = JSONValue.string("q\"b\\s/\n\r\t\u{8}\u{c}\u{0}\u{1}\u{1f}é😀")
        XCTAssertEqual(s.serialized(), #""q\"b\\s/\n\r\t\b\f\u0000\u0001\u001fé😀""#)
        XCTAssertEqual(JSONValue.object([("k\"", .null)]).serialized(), #"{"k\"":null}"#)
    }

    func testSerializationRoundTripsEveryCase() throws {
        let v: JSONValue = .object([
            ("n", .null), ("b", .bool(false)), ("i", .int(-42)), ("u", .uint(UInt64.max)),
            ("d", .double(0.125)), ("s", .string("\u{1}\"\\")), ("a", .array([.int(1), .array([]), .object([])])),
            ("o", .object([("y", .int(1)), ("x", .int(2))])),
        ])
        let text = v.serialized()
        XCTAssertEqual(text, #"{"n":null,"b":false,"i":-42,"u":18446744073709551615,"d":0.125,"s":"\u0001\"\\","a":[1,[],{}],"o":{"y":1,"x":2}}"#)
        XCTAssertEqual(try JSONValue.parse(text), v)
        XCTAssertEqual(try JSONValue.parse(v.serialized(pretty: true)), v)
    }

    func testPrettyOutputIsIndentedWithTabs() {
        let v: JSONValue = ["a": [1, 2], "b": [:]]
        XCTAssertEqual(v.serialized(pretty: true), "{\n\t\"a\": [\n\t\t1,\n\t\t2\n\t],\n\t\"b\": {}\n}")
    }

    func testNonFiniteDoublesSerializeAsNull() {
        XCTAssertEqual(JSONValue.array([.double(.infinity), .double(.nan)]).serialized(), "[null,null]")
    }

    func testEqualityIsOrderSensitiveForObjectsAndMixesIntKinds() {
        let ab: JSONValue = ["a": 1, "b": 2]
        let ba: JSONValue = ["b": 2, "a": 1]
        XCTAssertNotEqual(ab, ba)
        XCTAssertEqual(ab, ["a": 1, "b": 2])
        XCTAssertEqual(JSONValue.int(5), JSONValue.uint(5))
        XCTAssertNotEqual(JSONValue.int(-1), JSONValue.uint(UInt64.max))
        XCTAssertNotEqual(JSONValue.int(1), JSONValue.double(1))
    }

    func testRepeatedKeyLastWins() throws {
        XCTAssertEqual(try JSONValue.parse(#"{"a":1,"a":2}"#)["a"], .int(2))
    }

    func testAccessorsRejectWrongKinds() {
        XCTAssertNil(JSONValue.string("1").intValue)
        XCTAssertNil(JSONValue.double(1.5).intValue)
        XCTAssertEqual(JSONValue.double(3).intValue, 3)
        XCTAssertNil(JSONValue.int(-1).uintValue)
        XCTAssertNil(JSONValue.int(1).stringValue)
        XCTAssertNil(JSONValue.array([]).boolValue)
        XCTAssertNil(JSONValue.int(1)["a"])
    }
}
