import XCTest
@testable import Spec

final class SpecLoadingTests: XCTestCase {
    func testLoadReadsDecodesAndValidates() throws {
        let bundle = TempBundle()
        bundle.write("config.json", Spec.defaultConfig(rootless: false).serialized(pretty: true))
        let spec = try Spec.load(bundle: bundle.path)
        XCTAssertEqual(spec, Spec.defaultSpec(rootless: false))
    }

    func testLoadValidates() {
        let bundle = TempBundle()
        var json = Spec.defaultSpec(rootless: false)
        json.process?.cwd = "relative"
        bundle.write("config.json", json.toJSON().serialized())
        let err = expectError { () throws(RuntimeError) in try Spec.load(bundle: bundle.path) }
        XCTAssertEqual(err?.jsonPath, "process.cwd")
    }

    func testLoadReportsBadJSONWithPosition() {
        let bundle = TempBundle()
        bundle.write("config.json", "{\n  \"ociVersion\": \"1.0.0\"\n  \"root\": {}\n}")
        let err = expectError { () throws(RuntimeError) in try Spec.load(bundle: bundle.path) }
        XCTAssertEqual(err?.jsonPath, "")
        XCTAssertTrue(err?.message.hasPrefix("not valid JSON at line 3, column 3:") ?? false, "\(String(describing: err))")
    }

    func testLoadMissingConfigIsASyscallError() {
        let bundle = TempBundle()
        let err = expectError { () throws(RuntimeError) in try Spec.load(bundle: bundle.path) }
        XCTAssertEqual(err?.syscall, "open")
        XCTAssertEqual(err?.errno, ENOENT)
        XCTAssertTrue(err?.message.contains(bundle.path + "/config.json") ?? false)
    }

    func testBundlePathResolution() {
        XCTAssertEqual(Spec.bundlePath("/b", "rootfs"), "/b/rootfs")
        XCTAssertEqual(Spec.bundlePath("/b/", "rootfs"), "/b/rootfs")
        XCTAssertEqual(Spec.bundlePath("/b", "/abs"), "/abs")
    }
}
