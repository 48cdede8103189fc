import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Spec

/// Runs `body` and returns the RuntimeError it throws, failing the test if it does not throw.
func expectError<T>(_ body: () throws(RuntimeError) -> T,
                    file: StaticString = #filePath, line: UInt = #line) -> RuntimeError? {
    do {
        let value = try body()
        XCTFail("expected an error, got \(value)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// Asserts that decoding `json` fails at `path` with a message containing `message`.
func assertDecodeError(_ json: String, path: String, message: String,
                       file: StaticString = #filePath, line: UInt = #line) {
    guard let err = expectError({ () throws(RuntimeError) in try Spec.parse(Array(json.utf8)) },
                                file: file, line: line) else { return }
    XCTAssertEqual(err.jsonPath, path, "\(err)", file: file, line: line)
    XCTAssertTrue(err.message.contains(message), "message was: \(err.message)", file: file, line: line)
}

/// A bundle directory with an empty `rootfs`, removed when the test ends.
final class TempBundle {
    let path: String

    init() {
        var template = Array("/tmp/swrun-spec-test-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        path = String(cString: p!)
        precondition(mkdir(path + "/rootfs", 0o755) == 0)
    }

    func write(_ name: String, _ text: String) {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0)
        let bytes = Array(text.utf8)
        precondition(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)
    }

    deinit {
        unlink(path + "/config.json")
        unlink(path + "/afile")
        rmdir(path + "/rootfs")
        rmdir(path)
    }
}
