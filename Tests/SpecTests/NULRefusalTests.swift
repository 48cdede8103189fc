import XCTest
@testable import Spec

/// issue 12, class 8: a NUL in any string of a document is refused at parse time, by path.
final class NULRefusalTests: XCTestCase {
    func nulError(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> RuntimeError? {
        expectError({ () throws(RuntimeError) in try JSONValue.parse(json) }, file: file, line: line)
    }

    func assertNUL(_ json: String, at path: String, file: StaticString = #filePath, line: UInt = #line) {
        let err = nulError(json, file: file, line: line)
        XCTAssertEqual(err?.jsonPath, path, "\(String(describing: err))", file: file, line: line)
        XCTAssertTrue(err?.message.contains("contains a NUL byte") ?? false, file: file, line: line)
    }

    func testValuesAreNamedByPath() {
        assertNUL(#"{"mounts":[{"destination":"/dev/shm"},{"type":"tmpfs","destination":"/\u0000dev/shm"}]}"#,
                  at: "mounts[1].destination")
        assertNUL(#"{"linux":{"cgroupsPath":"/a\u0000b"}}"#, at: "linux.cgroupsPath")
        assertNUL(#"{"process":{"args":["sh","-c","x\u0000"]}}"#, at: "process.args[2]")
        assertNUL(#"{"annotations":{"org.example.a":"1","org.example.b":"\u0000"}}"#, at: #"annotations["org.example.b"]"#)
        assertNUL(#"{"a":[[1,{"b":[true,"\u0000"]}]]}"#, at: "a[0][1].b[1]")
        assertNUL(#""\u0000""#, at: "")
        assertNUL(" [ \"x\" , \"\\u0000\" ] ", at: "[1]")
    }

    /// json-c cuts a member name at the NUL, so {"a\u0000b":1} would read as {"a":1}.
    func testMemberNamesAreRefusedToo() {
        assertNUL(#"{"linux":{"sysctl":{"net.ipv4.ip_forward":"1","kernel.printk\u0000":"1"}}}"#,
                  at: #"linux.sysctl["kernel.printk\u0000"]"#)
        assertNUL(#"{"linux":{"resources":{"unified":{"cgroup.procs\u0000.max":"1"}}}}"#,
                  at: #"linux.resources.unified["cgroup.procs\u0000.max"]"#)
        assertNUL(#"{"x\"y":{"\u0000":1}}"#, at: #"["x\"y"]["\u0000"]"#)
    }

    func testAnEscapedBackslashBeforeU0000IsNotANUL() throws {
        XCTAssertEqual(try JSONValue.parse(#"{"s":"\\u0000"}"#)["s"], .string("\\u0000"))
        XCTAssertEqual(try JSONValue.parse(#"{"s":"\u00010"}"#)["s"], .string("\u{1}0"))
    }

    /// Through the config loader: the path reaches the user with config.json in front.
    func testConfigNamesThePath() {
        let err = expectError({ () throws(RuntimeError) in
            try Spec.parse(Array(#"{"ociVersion":"1.0.0","hostname":"a\u0000b"}"#.utf8))
        })
        XCTAssertEqual(err?.description.hasPrefix("config.json: hostname: contains a NUL byte"), true, "\(String(describing: err))")
    }

    func testUpdateResourcesAndProcessFilesToo() {
        let r = expectError({ () throws(RuntimeError) in try LinuxResources.parse(Array(#"{"unified":{"pids.max":"1\u0000"}}"#.utf8)) })
        XCTAssertEqual(r?.jsonPath, #"resources.unified["pids.max"]"#)
        let p = expectError({ () throws(RuntimeError) in try Process.parse(Array(#"{"cwd":"/\u0000tmp","args":["x"]}"#.utf8)) })
        XCTAssertEqual(p?.jsonPath, "process.cwd")
    }
}
