import XCTest
@testable import OCIRuntime
import Spec

final class SystemdDeviceAllowTests: XCTestCase {
    typealias E = SystemdDeviceAllow.Entry
    let reset = SystemdProperty("DeviceAllow", .deviceAllow([]))
    let strict = SystemdProperty("DevicePolicy", .string("strict"))

    static let defaults = [
        E(path: "block-*", perms: "m"), E(path: "char-*", perms: "m"),
        E(path: "/dev/char/1:3", perms: "rwm"), E(path: "/dev/char/1:5", perms: "rwm"),
        E(path: "/dev/char/1:7", perms: "rwm"), E(path: "/dev/char/1:8", perms: "rwm"),
        E(path: "/dev/char/1:9", perms: "rwm"), E(path: "/dev/char/5:0", perms: "rwm"),
        E(path: "/dev/char/5:2", perms: "rwm"), E(path: "/dev/char/10:200", perms: "rwm"),
        E(path: "char-136", perms: "rwm"),
    ]

    func props(_ rules: [LinuxDeviceCgroup]?, devices: [LinuxDevice]? = nil) -> [SystemdProperty] {
        do { return try SystemdDeviceAllow.properties(DeviceRules.effective(rules: rules, devices: devices)) } catch {
            XCTFail("\(error)"); return []
        }
    }

    func testNoRulesGivesRuncsDefaultList() {
        XCTAssertEqual(props(nil), [reset, strict, SystemdProperty("DeviceAllow", .deviceAllow(Self.defaults))])
    }

    func testEngineRulesAreFoldedWithTheDefaults() {
        // What podman and docker send: deny all, then a few allows.
        let rules = [LinuxDeviceCgroup(allow: false, access: "rwm"),
                     LinuxDeviceCgroup(allow: true, type: "b", major: 8, minor: 0, access: "r"),
                     LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "w"),
                     LinuxDeviceCgroup(allow: true, type: "c", major: 4, access: "rw")]
        var expected = Self.defaults
        expected.insert(E(path: "char-4", perms: "rw"), at: 7)
        expected.insert(E(path: "/dev/block/8:0", perms: "r"), at: 10)
        XCTAssertEqual(props(rules), [reset, strict, SystemdProperty("DeviceAllow", .deviceAllow(expected))])
    }

    func testADenyAfterAllowsRemovesPermissions() {
        let rules = [LinuxDeviceCgroup(allow: true, type: "c", major: 7, minor: 1, access: "rwm"),
                     LinuxDeviceCgroup(allow: false, type: "c", major: 7, minor: 1, access: "w")]
        guard case .deviceAllow(let list)? = props(rules).last?.value else { return XCTFail() }
        XCTAssertTrue(list.contains(E(path: "/dev/char/7:1", perms: "rm")))
    }

    func testLinuxDeviceWithADefaultPathDropsThatDefaultRule() {
        let dev = LinuxDevice(path: "/dev/null", type: "c", major: 1, minor: 3)
        guard case .deviceAllow(let list)? = props(nil, devices: [dev]).last?.value else { return XCTFail() }
        XCTAssertFalse(list.contains { $0.path == "/dev/char/1:3" })
        XCTAssertEqual(list.count, Self.defaults.count - 1)
    }

    func testAllowAllIsPolicyAuto() {
        // The defaults are appended after the config's rules, as allows; an allow-all at the end
        // of the config still leaves the default (allow) mode with no exceptions.
        XCTAssertEqual(props([LinuxDeviceCgroup(allow: true, access: "rwm")]),
                       [reset, SystemdProperty("DevicePolicy", .string("auto"))])
    }

    func testDenyRulesOnAllowAllCannotBeExpressedAndFallBackToStrict() {
        let rules = [LinuxDeviceCgroup(allow: true, access: "rwm"),
                     LinuxDeviceCgroup(allow: false, type: "c", major: 10, minor: 229, access: "rwm")]
        XCTAssertEqual(props(rules), [reset, strict])
    }

    func testWildcardMajorWithAMinorIsSkipped() {
        let rules = [LinuxDeviceCgroup(allow: true, type: "c", minor: 3, access: "r")]
        guard case .deviceAllow(let list)? = props(rules).last?.value else { return XCTFail() }
        XCTAssertEqual(list, Self.defaults)
    }

    func testBadRulesNameTheirPath() {
        for (rule, field) in [(LinuxDeviceCgroup(allow: true, type: "x", access: "r"), "type"),
                              (LinuxDeviceCgroup(allow: true, type: "c", access: "rx"), "access"),
                              (LinuxDeviceCgroup(allow: true, type: "c", access: ""), "access")] {
            let e = expectError({ () throws(RuntimeError) in try SystemdDeviceAllow.properties([rule]) })
            XCTAssertEqual(e?.jsonPath, "linux.resources.devices[0].\(field)")
        }
    }

    func testPunchingAHoleInAWildcardIsRefused() {
        let rules = [LinuxDeviceCgroup(allow: true, type: "c", major: 4, access: "rw"),
                     LinuxDeviceCgroup(allow: false, type: "c", major: 4, minor: 1, access: "w")]
        let e = expectError({ () throws(RuntimeError) in try SystemdDeviceAllow.properties(rules) })
        XCTAssertEqual(e?.jsonPath, "linux.resources.devices")
    }
}
