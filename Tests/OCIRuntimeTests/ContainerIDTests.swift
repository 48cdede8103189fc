import XCTest
@testable import OCIRuntime
import Spec

final class ContainerIDTests: XCTestCase {
    func testValidIDs() throws {
        for id in ["a", "abc123", "A-Z_0+9", "my.container", "...", "x..y",
                   String(repeating: "z", count: ContainerID.maxLength)] {
            XCTAssertNoThrow(try ContainerID.validate(id), id)
        }
    }

    func testEmptyIsRejected() {
        XCTAssertEqual(expectError { () throws(RuntimeError) in try ContainerID.validate("") }?.message,
                       "container id must not be empty")
    }

    func testDotAndDotDotAreNotNames() {
        for id in [".", ".."] {
            let err = expectError { () throws(RuntimeError) in try ContainerID.validate(id) }
            XCTAssertEqual(err?.message, "invalid container id \"\(id)\": not a name")
        }
    }

    func testPathSeparatorsAndOtherCharactersAreRejected() {
        for id in ["a/b", "/a", "../x", "a b", "a\tb", "a\nb", "a:b", "a*", "a\u{0}b", "-\\-", "a@b", "a=b"] {
            let err = expectError { () throws(RuntimeError) in try ContainerID.validate(id) }
            XCTAssertEqual(err?.message,
                           "invalid container id \"\(id)\": only letters, digits, '_', '-', '.' and '+' are allowed", id)
            XCTAssertNil(err?.jsonPath)
        }
    }

    func testNonASCIIIsRejected() {
        for id in ["café", "容器", "a\u{301}", "🐳"] {
            XCTAssertNotNil(expectError { () throws(RuntimeError) in try ContainerID.validate(id) }, id)
        }
    }

    func testLengthIsCountedInBytes() {
        let tooLong = String(repeating: "a", count: ContainerID.maxLength + 1)
        XCTAssertEqual(expectError { () throws(RuntimeError) in try ContainerID.validate(tooLong) }?.message,
                       "invalid container id: longer than 1024 bytes")
        // 512 two-byte characters plus one: 1025 bytes, fewer than 1024 characters.
        let wide = String(repeating: "é", count: 512) + "a"
        XCTAssertEqual(expectError { () throws(RuntimeError) in try ContainerID.validate(wide) }?.message,
                       "invalid container id: longer than 1024 bytes")
    }
}
