#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// A connection to systemd's manager over sd-bus (libsystemd is loaded on the first connect,
/// never on swrun's other paths). Jobs are waited for: a method returns when systemd is done.
final class SystemdBus {
    private let handle: OpaquePointer
    /// How long a start or stop job may take, as runc waits.
    static let jobTimeoutUsec: UInt64 = 30_000_000

    private init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { sw_sdbus_close(handle) }

    /// user: the caller's own systemd (`systemd --user`), as rootless containers use it.
    static func connect(user: Bool = false) throws(RuntimeError) -> SystemdBus {
        var err = [CChar](repeating: 0, count: 512)
        guard let h = sw_sdbus_open(user ? 1 : 0, &err, err.count) else {
            throw RuntimeError(text(err), hint: user
                ? "rootless --systemd-cgroup needs the user's systemd instance and its session bus (a login session or `loginctl enable-linger`)"
                : "the systemd cgroup driver needs systemd's D-Bus API")
        }
        return SystemdBus(h)
    }

    /// The manager's own cgroup ("/user.slice/user-1000.slice/user@1000.service" for a user's
    /// manager): its slices live below it.
    func controlGroup() throws(RuntimeError) -> String {
        var out: UnsafeMutablePointer<CChar>?
        guard sw_sdbus_manager_string(handle, "ControlGroup", &out) == 0, let out else {
            throw RuntimeError("cannot find the systemd manager's cgroup: \(lastError)")
        }
        defer { free(out) }
        return String(cString: out)
    }

    private var lastError: String { String(cString: sw_sdbus_error(handle)) }
    private var lastErrorName: String { String(cString: sw_sdbus_error_name(handle)) }

    /// systemd's version number, or 0 when it cannot be read (then only the properties every
    /// systemd with delegation knows are sent).
    func version() -> Int {
        let v = sw_sdbus_version(handle)
        if v < 0 { Log.warn("cannot read systemd's version: \(lastError)") }
        return max(Int(v), 0)
    }

    /// StartTransientUnit in "replace" mode, then the wait for its job. A leftover failed unit
    /// of the same name is reset and the start tried once more (runc does the same).
    func startTransientUnit(_ unit: String, properties: [SystemdProperty]) throws(RuntimeError) {
        for attempt in 0..<2 {
            sw_sdbus_begin_start(handle, unit, "replace")
            add(properties)
            var result = [CChar](repeating: 0, count: 32)
            let r = sw_sdbus_commit(handle, Self.jobTimeoutUsec, &result, result.count)
            if r < 0 {
                if attempt == 0 && lastErrorName == "org.freedesktop.systemd1.UnitExists" {
                    resetFailedUnit(unit)
                    continue
                }
                let error = RuntimeError("cannot start the systemd unit \(unit): \(lastError)")
                // A job that did not finish in time leaves a unit of ours behind: stop it.
                if r == -ETIMEDOUT { try? stopUnit(unit) } else { resetFailedUnit(unit) }
                throw error
            }
            let outcome = text(result)
            if outcome != "done" {
                resetFailedUnit(unit)
                throw RuntimeError("systemd could not start the unit \(unit): its job ended \"\(outcome)\"",
                                   hint: "see journalctl -u \(unit)")
            }
            return
        }
    }

    /// SetUnitProperties for the running unit (runtime only, as runc sets them).
    func setUnitProperties(_ unit: String, properties: [SystemdProperty]) throws(RuntimeError) {
        sw_sdbus_begin_set(handle, unit, 1)
        add(properties)
        var none = [CChar](repeating: 0, count: 1)
        if sw_sdbus_commit(handle, Self.jobTimeoutUsec, &none, none.count) < 0 {
            throw RuntimeError("cannot set the properties of the systemd unit \(unit): \(lastError)")
        }
    }

    /// StopUnit and the wait for its job; a unit systemd no longer knows is already stopped.
    /// The unit is then reset so that a failed one does not stay behind.
    func stopUnit(_ unit: String) throws(RuntimeError) {
        var result = [CChar](repeating: 0, count: 32)
        if sw_sdbus_stop_unit(handle, unit, Self.jobTimeoutUsec, &result, result.count) < 0 {
            if lastErrorName != "org.freedesktop.systemd1.NoSuchUnit" {
                throw RuntimeError("cannot stop the systemd unit \(unit): \(lastError)")
            }
        } else if text(result) != "done" {
            Log.warn("stopping the systemd unit \(unit) ended \"\(text(result))\"")
        }
        resetFailedUnit(unit)
    }

    /// The manager moves the process into the unit's cgroup. A user's manager asks the system's
    /// to do it when the process sits outside its subtree (a login session's scope).
    func attach(pid: Int32, to unit: String) throws(RuntimeError) {
        guard let p = UInt32(exactly: pid), sw_sdbus_attach(handle, unit, p) == 0 else {
            throw RuntimeError("cannot move process \(pid) into the systemd unit \(unit): \(lastError)")
        }
    }

    /// Forgets a failed unit; nothing to do for one that did not fail.
    func resetFailedUnit(_ unit: String) {
        _ = sw_sdbus_reset_failed_unit(handle, unit)
    }

    private func add(_ properties: [SystemdProperty]) {
        for p in properties {
            switch p.value {
            case .string(let s): sw_sdbus_add_string(handle, p.name, s)
            case .bool(let b): sw_sdbus_add_bool(handle, p.name, b ? 1 : 0)
            case .uint64(let n): sw_sdbus_add_u64(handle, p.name, n)
            case .bytes(let bytes): sw_sdbus_add_bytes(handle, p.name, bytes, bytes.count)
            case .uint32s(let list):
                sw_sdbus_array_begin(handle, p.name, "u")
                for v in list { sw_sdbus_array_u32(handle, v) }
                sw_sdbus_array_end(handle)
            case .strings(let list):
                sw_sdbus_array_begin(handle, p.name, "s")
                for v in list { sw_sdbus_array_string(handle, v) }
                sw_sdbus_array_end(handle)
            case .deviceAllow(let entries):
                sw_sdbus_array_begin(handle, p.name, "(ss)")
                for e in entries { sw_sdbus_array_pair(handle, e.path, e.perms) }
                sw_sdbus_array_end(handle)
            }
        }
    }
}

/// A NUL-terminated C buffer as a String.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
