import XCTest
@testable import OCIRuntime
import Spec

final class DeviceRulesTests: XCTestCase {
    static func spec(rules: [LinuxDeviceCgroup]?, devices: [LinuxDevice]? = nil) -> Spec {
        Spec(ociVersion: "1.2.0", linux: Linux(resources: LinuxResources(devices: rules), devices: devices))
    }

    static let defaultLines = ["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
                               "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm"]

    func lines(_ rules: [LinuxDeviceCgroup]) throws -> [String] {
        try DeviceRule.parse(rules).map { ($0.allow ? "+" : "-") + $0.v1Line }
    }

    func testEffectiveIsTheConfigThenRuncsDefaults() throws {
        let spec = Self.spec(rules: [LinuxDeviceCgroup(allow: false, access: "rwm"),
                                     LinuxDeviceCgroup(allow: true, type: "c", major: 10, minor: 229, access: "rw")],
                             devices: [LinuxDevice(path: "/dev/fuse", type: "c", major: 10, minor: 229)])
        XCTAssertEqual(try lines(DeviceRules.effective(spec: spec)),
                       ["-a", "+c 10:229 rw"] + Self.defaultLines.map { "+" + $0 })
    }

    func testNoConfigGivesTheDefaultsOnly() throws {
        XCTAssertEqual(try lines(DeviceRules.effective(spec: Spec(ociVersion: "1.2.0"))), Self.defaultLines.map { "+" + $0 })
    }

    func testADeviceInLinuxDevicesDropsTheDefaultWithItsPath() throws {
        let spec = Self.spec(rules: [LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "rwm")],
                             devices: [LinuxDevice(path: "/dev/null", type: "c", major: 1, minor: 3),
                                       LinuxDevice(path: "/dev/zero", type: "c", major: 1, minor: 5)])
        let got = try lines(DeviceRules.effective(spec: spec))
        XCTAssertEqual(got, ["-c 1:3 rwm"] + Self.defaultLines.filter { $0 != "c 1:3 rwm" && $0 != "c 1:5 rwm" }.map { "+" + $0 })
    }

    func testRuleParsing() throws {
        let r = try DeviceRule(LinuxDeviceCgroup(allow: true, type: "b", major: 8, minor: -1, access: "mr"))
        XCTAssertEqual(r, DeviceRule(allow: true, type: "b", major: 8, minor: nil, access: DeviceRule.read | DeviceRule.mknod))
        XCTAssertEqual(r.v1Line, "b 8:* rm")
        // Absent access means all; an "a" rule covers everything whatever else it says.
        XCTAssertEqual(try DeviceRule(LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3)).v1Line, "c 1:3 rwm")
        let all = try DeviceRule(LinuxDeviceCgroup(allow: false, type: "a", major: 4, access: "r"))
        XCTAssertEqual(all, DeviceRule(allow: false, type: nil, major: nil, minor: nil, access: DeviceRule.all))
        XCTAssertEqual(all.v1Line, "a")
        XCTAssertEqual(try DeviceRule(LinuxDeviceCgroup(allow: true, type: "c", major: 4294967295, minor: 0)).v1Line,
                       "c 4294967295:0 rwm")
    }

    func testValidationNamesTheRule() {
        func path(_ r: LinuxDeviceCgroup) -> String? {
            expectError { () throws(RuntimeError) in try DeviceRules.validate(spec: Self.spec(rules: [LinuxDeviceCgroup(allow: true), r])) }?.jsonPath
        }
        XCTAssertEqual(path(LinuxDeviceCgroup(allow: true, type: "u")), "linux.resources.devices[1].type")
        XCTAssertEqual(path(LinuxDeviceCgroup(allow: true, access: "rwx")), "linux.resources.devices[1].access")
        XCTAssertEqual(path(LinuxDeviceCgroup(allow: true, access: "")), "linux.resources.devices[1].access")
        XCTAssertEqual(path(LinuxDeviceCgroup(allow: true, type: "c", major: -2)), "linux.resources.devices[1].major")
        XCTAssertEqual(path(LinuxDeviceCgroup(allow: true, type: "c", minor: 1 << 32)), "linux.resources.devices[1].minor")
        XCTAssertNoThrow(try DeviceRules.validate(spec: Self.spec(rules: [LinuxDeviceCgroup(allow: true, type: "c", major: -1)])))
    }

    // MARK: v1

    func writes(_ current: String, _ rules: [LinuxDeviceCgroup]) throws -> [String] {
        let target = try V1DeviceState(rules: try DeviceRule.parse(rules))
        let w = DeviceRules.v1Writes(from: V1DeviceState(list: current), to: target)
        return zip(w.files, w.lines).map { "\($0): \($1)" }
    }

    func testV1FreshCgroupIsResetThenAllowed() throws {
        // A new v1 cgroup under an allow-all parent starts as "a *:* rwm".
        let rules = DeviceRules.effective(spec: Self.spec(rules: [LinuxDeviceCgroup(allow: false, access: "rwm")]))
        XCTAssertEqual(try writes("a *:* rwm\n", rules),
                       ["devices.deny: a"] + Self.defaultLines.map { "devices.allow: " + $0 })
    }

    func testV1WithoutAnARuleStillStartsFromDenyAll() throws {
        XCTAssertEqual(try writes("a *:* rwm\n", [LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "r")]),
                       ["devices.deny: a", "devices.allow: c 1:3 r"])
    }

    func testV1AllowAllFirstThenDenies() throws {
        let rules = [LinuxDeviceCgroup(allow: true, access: "rwm"),
                     LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "rwm"),
                     LinuxDeviceCgroup(allow: false, type: "b", access: "w")]
        XCTAssertEqual(try writes("c 1:3 rwm\n", rules),
                       ["devices.allow: a", "devices.deny: c 1:3 rwm", "devices.deny: b *:* w"])
        // An allow-all cgroup hides its exceptions, so an update resets it too.
        XCTAssertEqual(try writes("a *:* rwm\n", rules),
                       ["devices.allow: a", "devices.deny: c 1:3 rwm", "devices.deny: b *:* w"])
    }

    func testV1UpdateWritesOnlyTheDifferenceAllowsFirst() throws {
        let current = "c 1:3 rwm\nc 5:0 rwm\nc 1:5 r\n"
        let rules = [LinuxDeviceCgroup(allow: false),
                     LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
                     LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 5, access: "rw"),
                     LinuxDeviceCgroup(allow: true, type: "c", major: 10, minor: 200, access: "rwm"),
                     LinuxDeviceCgroup(allow: false, type: "c", major: 10, minor: 200, access: "m")]
        XCTAssertEqual(try writes(current, rules),
                       ["devices.allow: c 1:5 w", "devices.allow: c 10:200 rw", "devices.deny: c 5:0 rwm"])
        // Nothing to do when the cgroup already holds the rules.
        XCTAssertEqual(try writes("c 1:3 rwm\nc 1:5 rw\nc 10:200 rw\n", rules), [])
    }

    func testV1SubtractsAccessAndMergesRulesWithOneKey() throws {
        let s = try V1DeviceState(rules: DeviceRule.parse([
            LinuxDeviceCgroup(allow: false),
            LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "r"),
            LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "w"),
            LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),
            LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 5, access: "wm"),
            LinuxDeviceCgroup(allow: false, type: "c", major: 7, access: "rwm"),  // nothing to remove
        ]))
        XCTAssertFalse(s.defaultAllow)
        XCTAssertEqual(s, V1DeviceState(list: "c 1:3 rw\nc 1:5 r\n"))
        // An "a" rule clears everything before it.
        let reset = try V1DeviceState(rules: DeviceRule.parse([LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3),
                                                              LinuxDeviceCgroup(allow: true)]))
        XCTAssertTrue(reset.defaultAllow)
        XCTAssertEqual(reset.exceptions, [:])
    }

    func testV1RefusesToPunchAHoleInAWildcard() {
        let err = expectError { () throws(RuntimeError) in
            try V1DeviceState(rules: DeviceRule.parse([
                LinuxDeviceCgroup(allow: false),
                LinuxDeviceCgroup(allow: true, type: "c", major: 1, access: "rw"),
                LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "w"),
            ]))
        }
        XCTAssertEqual(err?.jsonPath, "linux.resources.devices")
        XCTAssertTrue(err?.message.contains("c 1:*") ?? false, err?.message ?? "")
        // No overlap in access: nothing is ignored, so it is accepted.
        XCTAssertNoThrow(try V1DeviceState(rules: DeviceRule.parse([
            LinuxDeviceCgroup(allow: false), LinuxDeviceCgroup(allow: true, type: "c", access: "m"),
            LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "rw")])))
    }

    func testV1ListParsing() {
        let s = V1DeviceState(list: "c 1:3 rwm\nb *:* m\nc 136:* rw\n")
        XCTAssertFalse(s.defaultAllow)
        XCTAssertEqual(s.order.map { $0.rule(allow: true, access: s.exceptions[$0]!).v1Line },
                       ["c 1:3 rwm", "b *:* m", "c 136:* rw"])
        XCTAssertTrue(V1DeviceState(list: "a *:* rwm\n").defaultAllow)
        XCTAssertFalse(V1DeviceState(list: "").defaultAllow)
    }
}
