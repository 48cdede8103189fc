import XCTest
@testable import OCIRuntime

final class NetDevicesTests: XCTestCase {
    func testTemplateNamesFitOnlyDigitsInPlaceOfPercentD() {
        XCTAssertTrue(NetDevices.fits("eth0", "eth0"))
        XCTAssertFalse(NetDevices.fits("eth1", "eth0"))
        XCTAssertTrue(NetDevices.fits("net0", "net%d"))
        XCTAssertTrue(NetDevices.fits("net12", "net%d"))
        XCTAssertTrue(NetDevices.fits("a7b", "a%db"))
        XCTAssertFalse(NetDevices.fits("net", "net%d"))
        XCTAssertFalse(NetDevices.fits("netx", "net%d"))
        XCTAssertFalse(NetDevices.fits("net1b", "net%d"))
        XCTAssertFalse(NetDevices.fits("xnet1", "net%d"))
    }

    /// Kernel answers are parsed with every length checked: truncated or lying input ends the
    /// list instead of trapping.
    func testAttributesOfTruncatedOrLyingInput() {
        var b = [UInt8]()
        NetlinkBytes.attribute(3, string: "eth0", to: &b)
        NetlinkBytes.attribute(28, u32: 7, to: &b)
        let all = NetlinkBytes.attributes(b, from: 0)
        XCTAssertEqual(all.map(\.0), [3, 28])
        XCTAssertEqual(all[0].1, Array("eth0".utf8) + [0])
        XCTAssertEqual(NetlinkBytes.u32(all[1].1, 0), 7)
        for cut in 0..<b.count {
            let some = NetlinkBytes.attributes(Array(b.prefix(cut)), from: 0)
            XCTAssertLessThanOrEqual(some.count, 2)
        }
        // A length that claims more than there is, one shorter than the header, a start past the end.
        XCTAssertTrue(NetlinkBytes.attributes([0xFF, 0x00, 0x01, 0x00, 0x41], from: 0).isEmpty)
        XCTAssertTrue(NetlinkBytes.attributes([0x02, 0x00, 0x01, 0x00], from: 0).isEmpty)
        XCTAssertTrue(NetlinkBytes.attributes(b, from: 1000).isEmpty)
        XCTAssertEqual(NetlinkBytes.u32([1, 2], 0), 0)
        XCTAssertEqual(NetlinkBytes.u16([1], -1), 0)
    }

    func testExtendedAckMessageIsQuoted() {
        var payload = [UInt8]()
        NetlinkBytes.append(Int32(-17), to: &payload)
        payload += [UInt8](repeating: 0, count: RouteNetlink.headerSize)
        NetlinkBytes.attribute(1, string: "Device name exists", to: &payload)
        XCTAssertEqual(RouteNetlink.extendedAck(payload, flags: RouteNetlink.NLM_F_ACK_TLVS), " (kernel: Device name exists)")
        XCTAssertEqual(RouteNetlink.extendedAck(payload, flags: 0), "")
        XCTAssertEqual(RouteNetlink.extendedAck(Array(payload.prefix(6)), flags: RouteNetlink.NLM_F_ACK_TLVS), "")
    }
}
