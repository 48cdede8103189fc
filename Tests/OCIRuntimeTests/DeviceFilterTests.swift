import XCTest
@testable import OCIRuntime
import Spec

/// The generated program is checked by running it: a small interpreter for exactly the
/// instructions the generator emits (anything else fails the test), compared with a plain
/// evaluation of the rules for every device and access combination of interest.
final class DeviceFilterTests: XCTestCase {
    struct Request: CustomStringConvertible {
        var type: UInt32    // 1 block, 2 char
        var access: UInt32  // 1 mknod, 2 read, 4 write
        var major: UInt32
        var minor: UInt32
        var description: String { "\(type == 1 ? "b" : "c") \(major):\(minor) access \(access)" }
    }

    /// Executes the program on the context struct bpf_cgroup_dev_ctx; nil on anything the
    /// kernel would also reject (unknown opcode, bad register, jump out of the program).
    static func run(_ prog: [BPFInstruction], _ req: Request) -> UInt64? {
        run(bytes: prog.flatMap(\.bytes), req)
    }

    /// Decodes the bytes the kernel gets, not the Swift structs.
    static func run(bytes: [UInt8], _ req: Request) -> UInt64? {
        let count = bytes.count / 8
        let ctx = [req.type | (req.access << 16), req.major, req.minor]
        var reg = [UInt64](repeating: 0, count: 11)
        var initialized = [Bool](repeating: false, count: 11)
        initialized[1] = true
        var pc = 0
        var steps = 0
        while pc >= 0 && pc < count && steps < 10_000 {
            steps += 1
            let b = Array(bytes[(pc * 8)..<(pc * 8 + 8)])
            let code = b[0], dst = Int(b[1] & 0xf), src = Int(b[1] >> 4)
            let off = Int(Int16(bitPattern: UInt16(b[2]) | UInt16(b[3]) << 8))
            let imm = Int32(bitPattern: UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24)
            let immU64 = UInt64(bitPattern: Int64(imm))
            guard dst <= 10, src <= 10 else { return nil }
            pc += 1
            switch code {
            case 0x61:  // ldx w [src+off]; only r1 is the context
                guard src == 1, off >= 0, off % 4 == 0, off / 4 < ctx.count, dst != 10 else { return nil }
                reg[dst] = UInt64(ctx[off / 4]); initialized[dst] = true
            case 0xb7: reg[dst] = immU64; initialized[dst] = true
            case 0xbf: guard initialized[src] else { return nil }; reg[dst] = reg[src]; initialized[dst] = true
            case 0x57: guard initialized[dst] else { return nil }; reg[dst] &= immU64
            case 0x77: guard initialized[dst], imm >= 0, imm < 64 else { return nil }; reg[dst] >>= UInt64(imm)
            case 0x16, 0x56:
                guard initialized[dst] else { return nil }
                let equal = UInt32(truncatingIfNeeded: reg[dst]) == UInt32(bitPattern: imm)
                if equal == (code == 0x16) { pc += off }
            case 0x95:
                guard initialized[0] else { return nil }
                return reg[0]
            default:
                return nil
            }
        }
        return nil
    }

    /// The rules' meaning, written the plain way: each requested bit is decided by the last
    /// rule matching the device that names it; everything unnamed is denied.
    static func reference(_ rules: [DeviceRule], _ req: Request) -> Bool {
        for bit: UInt32 in [1, 2, 4] where req.access & bit != 0 {
            var allowed = false
            for r in rules {
                let typeOK = r.type == nil || (r.type == "b" ? 1 : 2) == req.type
                guard typeOK, r.major == nil || r.major == req.major, r.minor == nil || r.minor == req.minor,
                      UInt32(r.access) & bit != 0 else { continue }
                allowed = r.allow
            }
            if !allowed { return false }
        }
        return true
    }

    static let majors: [UInt32] = [0, 1, 5, 8, 10, 136, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]
    static let minors: [UInt32] = [0, 2, 3, 5, 200, 0x8000_0000, 0xffff_ffff]

    static let allRequests: [Request] = {
        var out: [Request] = []
        for t: UInt32 in [1, 2] { for a: UInt32 in 1...7 { for ma in majors { for mi in minors {
            out.append(Request(type: t, access: a, major: ma, minor: mi))
        } } } }
        return out
    }()

    func check(_ config: [LinuxDeviceCgroup], file: StaticString = #filePath, line: UInt = #line) throws {
        let rules = try DeviceRule.parse(config)
        let bytes = DeviceFilterProgram.instructions(rules).flatMap(\.bytes)
        var mismatches = 0
        for req in Self.allRequests {
            let got = Self.run(bytes: bytes, req)
            let want = Self.reference(rules, req)
            if got != (want ? 1 : 0) {
                mismatches += 1
                if mismatches <= 5 {
                    XCTFail("\(req): program \(got.map(String.init) ?? "invalid"), rules say \(want)", file: file, line: line)
                }
            }
        }
        XCTAssertEqual(mismatches, 0, file: file, line: line)
    }

    func allowed(_ config: [LinuxDeviceCgroup], _ type: UInt32, _ major: UInt32, _ minor: UInt32, _ access: UInt32) throws -> Bool {
        let prog = DeviceFilterProgram.instructions(try DeviceRule.parse(config))
        return Self.run(prog, Request(type: type, access: access, major: major, minor: minor)) == 1
    }

    static let r: UInt32 = 2, w: UInt32 = 4, m: UInt32 = 1, char: UInt32 = 2, block: UInt32 = 1
    static func rule(_ allow: Bool, _ type: String? = nil, _ major: Int64? = nil, _ minor: Int64? = nil,
                     _ access: String = "rwm") -> LinuxDeviceCgroup {
        LinuxDeviceCgroup(allow: allow, type: type, major: major, minor: minor, access: access)
    }

    func testEncodingIsTheKernelsLayout() {
        let i = BPFInstruction(code: 0x56, dst: 4, src: 1, off: -2, imm: -3)
        XCTAssertEqual(i.bytes, [0x56, 0x14, 0xfe, 0xff, 0xfd, 0xff, 0xff, 0xff])
    }

    func testRuncDefaultsAfterDenyAll() throws {
        let config = DeviceRules.effective(spec: DeviceRulesTests.spec(rules: [Self.rule(false)]))
        try check(config)
        let (r, w, m, c, b) = (Self.r, Self.w, Self.m, Self.char, Self.block)
        XCTAssertTrue(try allowed(config, c, 1, 3, r | w))
        XCTAssertTrue(try allowed(config, c, 136, 7, r | w))
        XCTAssertTrue(try allowed(config, b, 8, 0, m))
        XCTAssertFalse(try allowed(config, b, 8, 0, r))
        XCTAssertFalse(try allowed(config, c, 1, 1, r))   // /dev/mem
        XCTAssertFalse(try allowed(config, c, 1, 1, m | r))
        XCTAssertTrue(try allowed(config, c, 1, 1, m))
    }

    func testAllowAllThenDenies() throws {
        let config = [Self.rule(true), Self.rule(false, "c", 1, 3, "rwm"), Self.rule(false, "b", -1, -1, "w")]
        try check(config)
        XCTAssertFalse(try allowed(config, Self.char, 1, 3, Self.r))
        XCTAssertTrue(try allowed(config, Self.char, 1, 5, Self.r | Self.w))
        XCTAssertTrue(try allowed(config, Self.block, 8, 0, Self.r))
        XCTAssertFalse(try allowed(config, Self.block, 8, 0, Self.r | Self.w))
    }

    func testPartialAccessAndHoles() throws {
        let config = [Self.rule(false), Self.rule(true, "c", -1, -1, "m"), Self.rule(true, "c", 1, -1, "rw"),
                      Self.rule(false, "c", 1, 3, "w"), Self.rule(true, "b", 8, 0, "r")]
        try check(config)
        XCTAssertTrue(try allowed(config, Self.char, 1, 3, Self.r | Self.m))
        XCTAssertFalse(try allowed(config, Self.char, 1, 3, Self.w))
        XCTAssertTrue(try allowed(config, Self.char, 1, 4, Self.w))
        XCTAssertFalse(try allowed(config, Self.block, 8, 0, Self.m))   // "r" does not grant "m"
        XCTAssertFalse(try allowed(config, Self.block, 8, 0, Self.r | Self.w))
        XCTAssertTrue(try allowed(config, Self.block, 8, 0, Self.r))
    }

    func testEmptyDeniesEverythingAndALaterARuleResets() throws {
        try check([])
        XCTAssertFalse(try allowed([], Self.char, 1, 3, Self.r))
        let config = [Self.rule(false, "c", 1, 3), Self.rule(true), Self.rule(false), Self.rule(true, "c", 1, -1, "r")]
        try check(config)
        XCTAssertTrue(try allowed(config, Self.char, 1, 3, Self.r))
        XCTAssertFalse(try allowed(config, Self.char, 1, 3, Self.w))
        XCTAssertEqual(DeviceFilterProgram.instructions(try DeviceRule.parse(config)).count,
                       DeviceFilterProgram.instructions(try DeviceRule.parse(Array(config.suffix(2)))).count)
    }

    func testLargeNumbersCompareAsUnsigned32Bit() throws {
        let config = [Self.rule(false), Self.rule(true, "c", 4_294_967_295, 2_147_483_648, "r"),
                      Self.rule(true, "b", 2_147_483_648, -1, "rw")]
        try check(config)
        XCTAssertTrue(try allowed(config, Self.char, 0xffff_ffff, 0x8000_0000, Self.r))
        XCTAssertFalse(try allowed(config, Self.char, 0x7fff_ffff, 0x8000_0000, Self.r))
    }

    func testRandomRuleLists() throws {
        var rng = SplitMix(seed: 0x5eed)
        let types: [String?] = [nil, "a", "b", "c", "c"]
        let majors: [Int64?] = [nil, -1, 1, 8, 136, 4_294_967_295]
        let minors: [Int64?] = [nil, -1, 0, 3, 2_147_483_648]
        let accesses = ["r", "w", "m", "rw", "rm", "wm", "rwm"]
        for _ in 0..<120 {
            var config: [LinuxDeviceCgroup] = []
            for _ in 0..<rng.next(8) {
                config.append(LinuxDeviceCgroup(allow: rng.next(2) == 0, type: types[rng.next(types.count)],
                                                major: majors[rng.next(majors.count)],
                                                minor: minors[rng.next(minors.count)],
                                                access: accesses[rng.next(accesses.count)]))
            }
            try check(config)
        }
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }
}
