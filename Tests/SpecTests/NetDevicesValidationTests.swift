import XCTest
@testable import Spec

extension SpecValidationTests {
    func testInterfaceNamesAsTheKernelAcceptsThem() {
        for good in ["eth0", "a", String(repeating: "x", count: 15), "net%d", "v-1_2.3", "é"] {
            XCTAssertNoThrow(try Spec.validateInterfaceName(good, path: "p"), good)
        }
        for bad in ["", ".", "..", "a/b", "a:b", "a b", "a\tb", String(repeating: "x", count: 16), "e%d%d", "e%s", "%"] {
            XCTAssertThrowsError(try Spec.validateInterfaceName(bad, path: "p"), bad)
        }
    }

    func testNetDevicesNeedANetworkNamespaceAndDistinctNames() {
        func spec(_ devices: [String: LinuxNetDevice], namespaces: [String] = ["pid", "mount", "network"]) -> Spec {
            var s = Spec.defaultSpec(rootless: false)
            s.linux?.namespaces = namespaces.map { LinuxNamespace(type: $0) }
            s.linux?.netDevices = devices
            return s
        }
        XCTAssertNoThrow(try spec(["eth1": LinuxNetDevice(name: "ctr0"), "eth2": LinuxNetDevice()]).validateNetDevices())
        XCTAssertNoThrow(try spec(["eth1": LinuxNetDevice(name: "n%d"), "eth2": LinuxNetDevice(name: "n%d")]).validateNetDevices())
        XCTAssertThrowsError(try spec(["eth1": LinuxNetDevice()], namespaces: ["pid", "mount"]).validateNetDevices())
        XCTAssertThrowsError(try spec(["eth1": LinuxNetDevice(name: "x"), "eth2": LinuxNetDevice(name: "x")]).validateNetDevices())
        XCTAssertThrowsError(try spec(["eth1": LinuxNetDevice(name: "eth2"), "eth2": LinuxNetDevice()]).validateNetDevices())
        XCTAssertThrowsError(try spec(["eth1": LinuxNetDevice(name: "lo")]).validateNetDevices())
        XCTAssertThrowsError(try spec(["eth1/x": LinuxNetDevice()]).validateNetDevices())
        do {
            try spec(["eth1": LinuxNetDevice(name: "a b")]).validateNetDevices()
            XCTFail("accepted")
        } catch {
            XCTAssertEqual(error.jsonPath, "linux.netDevices[\"eth1\"].name")
        }
    }
}
