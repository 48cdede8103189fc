import XCTest
import Spec

/// The thrown RuntimeError, or a test failure when there was none.
func expectError<T>(_ body: () throws(RuntimeError) -> T, file: StaticString = #filePath,
                    line: UInt = #line) -> RuntimeError? {
    do {
        _ = try body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch {
        return error
    }
}
