import XCTest
@testable import Spec

final class SemverTests: XCTestCase {
    func testMajorOfValidVersions() {
        let valid: [(String, String)] = [
            ("1.0.0", "1"), ("1.2.1", "1"), ("10.20.30", "10"), ("0.0.0", "0"),
            ("1.0.0-rc.1", "1"), ("1.0.0-rc-2+build.5", "1"), ("1.0.0+20130313144700", "1"),
            ("1.2.3-alpha.Beta-9.0", "1"), ("2.0.0+x-y.Z", "2"),
        ]
        for (v, major) in valid { XCTAssertEqual(Spec.semverMajor(v), major, v) }
    }

    func testInvalidVersionsHaveNoMajor() {
        let invalid = ["", "1", "1.0", "1.0.0.0", "01.0.0", "1.00.0", "1.0.0-", "1.0.0+", "1.0.0-a..b",
                       "1.0.0+a.", "1..0", "a.b.c", "1.0.0-ä", "1.0.0 ", " 1.0.0", "1.0.0-a_b", "1.0.0+a+b",
                       "١.0.0", "1.0.0-@", "1.0.0-[", "v1.0.0", "-1.0.0"]
        for v in invalid { XCTAssertNil(Spec.semverMajor(v), v) }
    }
}
