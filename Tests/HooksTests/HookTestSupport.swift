#if canImport(Glibc)
import Glibc
#endif
import XCTest
import Spec

/// A temp directory under /tmp, removed by `remove()`.
struct TempDir {
    let path: String

    init() {
        var template = Array("/tmp/swrun-hooks-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        path = String(cString: p!)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func read(_ name: String) -> String? {
        guard let f = fopen(file(name), "r") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    func write(_ name: String, _ text: String, mode: mode_t = 0o644) {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_TRUNC, mode)
        precondition(fd >= 0)
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        chmod(file(name), mode)
    }

    func remove() {
        _ = "rm -rf '\(path)'".withCString { system($0) }
    }
}

/// The thrown RuntimeError, or a test failure when there was none.
func expectError(_ body: () throws(RuntimeError) -> Void, file: StaticString = #filePath,
                 line: UInt = #line) -> RuntimeError? {
    do {
        try body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A /bin/sh hook running `script`; $0 is "sh".
func shHook(_ script: String, env: [String]? = nil, timeout: Int? = nil) -> Hook {
    Hook(path: "/bin/sh", args: ["sh", "-c", script], env: env, timeout: timeout)
}

let sampleState: JSONValue = [
    "ociVersion": "1.2.0", "id": "hooked", "status": "creating", "pid": 4242,
    "bundle": "/tmp/bundle with space", "annotations": ["a": "b\"q\"\n"],
]
