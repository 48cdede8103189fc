#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSyscalls
import Spec

/// The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
/// container's cgroup (v2 has no devices.allow files).
public enum DeviceFilter {
    static let allowMulti: UInt32 = 2   // BPF_F_ALLOW_MULTI

    /// Loads the program for `rules` and attaches it to the cgroup directory. Called again on
    /// the same cgroup (update), it attaches the new program before detaching the old ones,
    /// so the cgroup is never without a filter.
    public static func apply(cgroupDirectory: String, rules: [LinuxDeviceCgroup]) throws(RuntimeError) {
        let program = DeviceFilterProgram.instructions(try DeviceRule.parse(rules))
        let prog = try load(program)
        defer { close(prog) }
        let dir = try Sys.check("open", "open cgroup \(cgroupDirectory)") {
            open(cgroupDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { close(dir) }
        let (flags, old) = try attached(dir, cgroupDirectory)
        if !old.isEmpty && flags & allowMulti == 0 {
            // Attached by someone else without BPF_F_ALLOW_MULTI: attaching with the same
            // flags replaces that program in one step.
            try Sys.check("bpf", "replace the device filter of \(cgroupDirectory)") {
                sw_bpf_attach_device_prog(dir, prog, flags)
            }
            return
        }
        try Sys.check("bpf", "attach the device filter to \(cgroupDirectory)") {
            sw_bpf_attach_device_prog(dir, prog, allowMulti)
        }
        for id in old {
            let fd = sw_bpf_prog_fd_by_id(id)
            if fd < 0 {
                let e = errno
                if e == ENOENT { continue }  // already gone
                throw RuntimeError.sys("bpf", "open the old device filter \(id) of \(cgroupDirectory)", errno: e)
            }
            defer { close(fd) }
            if sw_bpf_detach_device_prog(dir, fd) != 0 {
                let e = errno
                if e != ENOENT {
                    throw RuntimeError.sys("bpf", "detach the old device filter \(id) of \(cgroupDirectory)", errno: e)
                }
            }
        }
    }

    /// The device programs attached to the cgroup directory fd, and their attach flags.
    static func attached(_ dir: Int32, _ path: String) throws(RuntimeError) -> (UInt32, [UInt32]) {
        var ids = [UInt32](repeating: 0, count: 16)
        while true {
            var flags: UInt32 = 0
            var count = UInt32(ids.count)
            let rc = ids.withUnsafeMutableBufferPointer { sw_bpf_query_device_progs(dir, &flags, $0.baseAddress, &count) }
            if rc == 0 { return (flags, Array(ids.prefix(Int(count)))) }
            let e = errno
            if e == ENOSPC && Int(count) > ids.count {
                ids = [UInt32](repeating: 0, count: Int(count))
                continue
            }
            throw RuntimeError.sys("bpf", "query the device filters of \(path)", errno: e)
        }
    }

    /// Loads without a log first (a level-1 log of a long program can overflow the buffer and
    /// fail a good load); on failure loads again to get the verifier's reason.
    static func load(_ program: [BPFInstruction]) throws(RuntimeError) -> Int32 {
        let bytes = program.flatMap(\.bytes)
        let count = UInt32(program.count)
        let fd = bytes.withUnsafeBytes { sw_bpf_load_device_prog($0.baseAddress, count, nil, 0) }
        if fd >= 0 { return fd }
        let e = errno
        var log = [CChar](repeating: 0, count: 1 << 16)
        let again = bytes.withUnsafeBytes { b in
            log.withUnsafeMutableBufferPointer { sw_bpf_load_device_prog(b.baseAddress, count, $0.baseAddress, UInt32($0.count)) }
        }
        if again >= 0 { return again }
        let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw RuntimeError.sys("bpf", "load the device cgroup program (\(program.count) instructions)", errno: e,
                               hint: text.isEmpty ? nil : "verifier: " + text.trimmingCharacters(in: " \n"))
    }
}
