import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Spec

final class ErrnoTextTests: XCTestCase {
    func testStrerrorTextsAsRuncPrintsThem() {
        XCTAssertEqual(RuntimeError.errnoText(ENOENT), "no such file or directory")
        XCTAssertEqual(RuntimeError.errnoText(EACCES), "permission denied")
        XCTAssertEqual(RuntimeError.errnoText(EIO), "input/output error")
        XCTAssertEqual(RuntimeError.lowercasingFirstWord("I/O error"), "I/O error")
        XCTAssertEqual(RuntimeError.lowercasingFirstWord("ELF bad"), "ELF bad")
        XCTAssertEqual(RuntimeError.lowercasingFirstWord("A"), "a")
        XCTAssertEqual(RuntimeError.lowercasingFirstWord(""), "")
        XCTAssertEqual(RuntimeError.lowercasingFirstWord("Éclair"), "éclair")
    }

    /// The byte path against the Character-based reading it replaced (kept here as the oracle),
    /// on strings generated from a fixed seed: ASCII capitals, small letters and signs, with
    /// non-ASCII letters, combining marks, CR LF and emoji mixed in where the bytes and the
    /// Characters could disagree.
    func testBytePathAgreesWithTheCharacterReading() {
        func reference(_ text: String) -> String {
            guard let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase ?? true else { return text }
            return first.lowercased() + text.dropFirst()
        }
        let pieces = ["A", "Z", "N", "a", "z", "o", "0", "/", " ", "-", "É", "é", "ß", "İ", "ǅ", "\u{301}",
                      "\u{200D}", "\r\n", "\r", "\n", "👍", "Σ", "ς", "ı", "ﬃ", "@", "[", "`", "{"]
        var state: UInt64 = 0x5eed_e770  // fixed seed: a failure reproduces
        var lowered = 0
        for _ in 0..<20_000 {
            func pick() -> String {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return pieces[Int(truncatingIfNeeded: state >> 33) % pieces.count]
            }
            var s = ""
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(truncatingIfNeeded: state >> 60) { s += pick() }
            let want = reference(s)
            XCTAssertEqual(RuntimeError.lowercasingFirstWord(s), want, s.debugDescription)
            if want != s { lowered += 1 }
        }
        XCTAssertGreaterThan(lowered, 1000, "the generator must reach texts that change")
    }
}
