#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import OCIRuntime
import Spec

final class SignalsTests: XCTestCase {
    func testNamesWithAndWithoutSIGInAnyCase() throws {
        for text in ["TERM", "SIGTERM", "term", "sigterm", "SigTerm", "15"] {
            XCTAssertEqual(try Signals.parse(text), SIGTERM, text)
        }
        XCTAssertEqual(try Signals.parse("KILL"), 9)
        XCTAssertEqual(try Signals.parse("sighup"), 1)
        XCTAssertEqual(try Signals.parse("USR1"), SIGUSR1)
        XCTAssertEqual(try Signals.parse("WINCH"), 28)
        XCTAssertEqual(try Signals.parse("CLD"), SIGCHLD)
        XCTAssertEqual(try Signals.parse("IOT"), SIGABRT)
    }

    func testEveryTableEntryParsesToItsNumber() throws {
        for (name, number) in Signals.byName {
            XCTAssertEqual(try Signals.parse("SIG" + name), number, name)
            XCTAssertEqual(try Signals.parse(name.lowercased()), number, name)
        }
    }

    func testNumbersInRange() throws {
        XCTAssertEqual(try Signals.parse("0"), 0, "signal 0: the liveness probe runc accepts")
        XCTAssertEqual(try Signals.parse("1"), 1)
        XCTAssertEqual(try Signals.parse("64"), 64)
        XCTAssertEqual(try Signals.parse("37"), 37)
    }

    func testRealtimeSignals() throws {
        XCTAssertEqual(try Signals.parse("RTMIN"), 34)
        XCTAssertEqual(try Signals.parse("RTMIN+3"), 37)
        XCTAssertEqual(try Signals.parse("sigrtmin+3"), 37)
        XCTAssertEqual(try Signals.parse("SIGRTMIN+30"), 64)
        XCTAssertEqual(try Signals.parse("RTMAX"), 64)
        XCTAssertEqual(try Signals.parse("RTMAX-1"), 63)
        XCTAssertEqual(try Signals.parse("RTMAX-30"), 34)
    }

    func testOutOfRangeNumbers() {
        for text in ["65", "-1", "1000"] {
            let err = expectError { () throws(RuntimeError) in try Signals.parse(text) }
            XCTAssertEqual(err?.message, "invalid signal \"\(text)\": out of range 0-64", text)
        }
    }

    func testInvalidNames() {
        for text in ["", "SIG", "FOO", "SIGFOO", "RTMIN+31", "RTMIN+-1", "RTMIN+", "RTMAX-31", "TERM ", " 9", "9x", "99999999999999999999"] {
            let err = expectError { () throws(RuntimeError) in try Signals.parse(text) }
            XCTAssertEqual(err?.message, "invalid signal \"\(text)\"", text)
        }
    }
}
