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

/// delete --force without a record finds cgroups by name: exact names only.
final class OrphanCleanupNameTests: XCTestCase {
    func testOnlyTheContainersOwnNamesMatch() {
        for name in ["1", "swrun-1.scope", "libpod-1", "libpod-1.scope", "cri-containerd-1.scope", "runc-1.scope"] {
            XCTAssertTrue(OrphanCleanup.namesContainer(name, "1"), name)
        }
        for name in ["web-1", "web-1.scope", "11", "a1", "libpod-11", "1.scope.x", "swrun-web-1.scope"] {
            XCTAssertFalse(OrphanCleanup.namesContainer(name, "1"), name)
        }
    }
}
