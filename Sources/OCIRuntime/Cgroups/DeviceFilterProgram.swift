/// One eBPF instruction as the kernel reads it (struct bpf_insn, 8 bytes).
struct BPFInstruction: Equatable {
    var code: UInt8
    var dst: UInt8 = 0
    var src: UInt8 = 0
    var off: Int16 = 0
    var imm: Int32 = 0

    // The opcodes the device filter uses (linux/bpf.h, linux/bpf_common.h).
    static let ldxMemW: UInt8 = 0x61    // BPF_LDX | BPF_MEM | BPF_W
    static let movK: UInt8 = 0xb7       // BPF_ALU64 | BPF_MOV | BPF_K
    static let movX: UInt8 = 0xbf       // BPF_ALU64 | BPF_MOV | BPF_X
    static let andK: UInt8 = 0x57       // BPF_ALU64 | BPF_AND | BPF_K
    static let rshK: UInt8 = 0x77       // BPF_ALU64 | BPF_RSH | BPF_K
    // 32-bit compares: majors and minors are u32, and a 64-bit compare would sign-extend imm.
    static let jeq32K: UInt8 = 0x16     // BPF_JMP32 | BPF_JEQ | BPF_K
    static let jne32K: UInt8 = 0x56     // BPF_JMP32 | BPF_JNE | BPF_K
    static let exit: UInt8 = 0x95       // BPF_JMP | BPF_EXIT

    var bytes: [UInt8] {
        let o = UInt16(bitPattern: off), i = UInt32(bitPattern: imm)
        return [code, dst | (src << 4), UInt8(o & 0xff), UInt8(o >> 8),
                UInt8(i & 0xff), UInt8((i >> 8) & 0xff), UInt8((i >> 16) & 0xff), UInt8(i >> 24)]
    }
}

/// The BPF_PROG_TYPE_CGROUP_DEVICE program for a rule list. Semantics: each requested access
/// bit is decided by the last rule that matches the device and names that bit; the request is
/// allowed when every bit is; a bit no rule names is denied. An "a" rule matches everything
/// with all access, so only the last one and the rules after it matter: it sets the default.
/// The rules are checked from last to first, each one returning as soon as it decides.
enum DeviceFilterProgram {
    // Registers: r1 context, then scratch; r2 device type; r3 access bits not yet decided;
    // r4 major; r5 minor.
    static func instructions(_ rules: [DeviceRule]) -> [BPFInstruction] {
        var tail = rules[...]
        var defaultAllow = false
        if let last = rules.lastIndex(where: { $0.type == nil }) {
            defaultAllow = rules[last].allow
            tail = rules[(last + 1)...]
        }
        // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type
        // holding the type (BPF_DEVCG_DEV_BLOCK 1, _CHAR 2) low and the access bits high.
        var p: [BPFInstruction] = [
            BPFInstruction(code: BPFInstruction.ldxMemW, dst: 2, src: 1, off: 0),
            BPFInstruction(code: BPFInstruction.movX, dst: 3, src: 2),
            BPFInstruction(code: BPFInstruction.andK, dst: 2, imm: 0xffff),
            BPFInstruction(code: BPFInstruction.rshK, dst: 3, imm: 16),
            BPFInstruction(code: BPFInstruction.ldxMemW, dst: 4, src: 1, off: 4),
            BPFInstruction(code: BPFInstruction.ldxMemW, dst: 5, src: 1, off: 8),
        ]
        for rule in tail.reversed() { p += block(rule) }
        p += [BPFInstruction(code: BPFInstruction.movK, dst: 0, imm: defaultAllow ? 1 : 0),
              BPFInstruction(code: BPFInstruction.exit)]
        return p
    }

    /// Jumps with off = -1 mean "to the next rule"; they are resolved once the block's length
    /// is known.
    private static func block(_ r: DeviceRule) -> [BPFInstruction] {
        var b: [BPFInstruction] = []
        let next: Int16 = -1
        if let t = r.type { b.append(BPFInstruction(code: BPFInstruction.jne32K, dst: 2, off: next, imm: t == "b" ? 1 : 2)) }
        if let m = r.major { b.append(BPFInstruction(code: BPFInstruction.jne32K, dst: 4, off: next, imm: Int32(bitPattern: m))) }
        if let m = r.minor { b.append(BPFInstruction(code: BPFInstruction.jne32K, dst: 5, off: next, imm: Int32(bitPattern: m))) }
        b += [BPFInstruction(code: BPFInstruction.movX, dst: 1, src: 3),
              BPFInstruction(code: BPFInstruction.andK, dst: 1, imm: Int32(r.access)),
              BPFInstruction(code: BPFInstruction.jeq32K, dst: 1, off: next, imm: 0)]
        if r.allow {
            // The bits this rule names are allowed; the rest are left to earlier rules.
            b += [BPFInstruction(code: BPFInstruction.andK, dst: 3, imm: Int32(DeviceRule.all & ~r.access)),
                  BPFInstruction(code: BPFInstruction.jne32K, dst: 3, off: next, imm: 0),
                  BPFInstruction(code: BPFInstruction.movK, dst: 0, imm: 1),
                  BPFInstruction(code: BPFInstruction.exit)]
        } else {
            b += [BPFInstruction(code: BPFInstruction.movK, dst: 0, imm: 0),
                  BPFInstruction(code: BPFInstruction.exit)]
        }
        for i in b.indices where b[i].off == next { b[i].off = Int16(b.count - i - 1) }
        return b
    }
}
