import Hooks
import Spec

/// Where each hook phase runs (runtime-spec config.md "Lifecycle"): prestart and
/// createRuntime in the runtime's namespaces by `create` when the init asks, after its mounts
/// and before pivot_root; createContainer by the init at that same point; startContainer by
/// `start` in a process that joins the container (StartContainerHooks), before it releases the
/// init; poststart by `start`; poststop by `delete`.
enum LifecycleHooks {
    /// The state every hook gets on stdin.
    static func state(spec: Spec, id: String, bundle: String, pid: Int32, status: ContainerStatus) -> JSONValue {
        var o: [(String, JSONValue)] = [
            ("ociVersion", .string(spec.ociVersion)), ("id", .string(id)), ("status", .string(status.rawValue)),
            ("pid", .int(Int64(pid))), ("bundle", .string(bundle)),
        ]
        if let a = spec.annotations, !a.isEmpty {
            o.append(("annotations", a.sortedByKey().jsonObject))
        }
        return .object(o)
    }

    static func hasAny(_ h: Hooks?) -> Bool {
        guard let h else { return false }
        return [h.prestart, h.createRuntime, h.createContainer, h.startContainer].contains { !($0 ?? []).isEmpty }
    }

    /// The hooks kept in the container's record. A startContainer hook without `env` gets the
    /// container process's environment (as the createContainer ones, see InitProcess), filled
    /// in here: `start` runs it from the record, in a process whose environment is scrubbed.
    static func recorded(_ spec: Spec) -> Hooks? {
        guard var hooks = spec.hooks else { return nil }
        hooks.startContainer = hooks.startContainer?.map { hook in
            var h = hook
            if h.env == nil { h.env = spec.process?.env ?? [] }
            return h
        }
        return hooks
    }

    /// The runtime's phases during create.
    static func runtimePhases(spec: Spec, id: String, bundle: String, pid: Int32) throws(RuntimeError) {
        let st = state(spec: spec, id: id, bundle: bundle, pid: pid, status: .creating)
        try HookRunner.runAll(spec.hooks?.prestart, phase: .prestart, state: st)
        try HookRunner.runAll(spec.hooks?.createRuntime, phase: .createRuntime, state: st)
    }

    /// poststart / poststop from the hooks kept in the container's record: failures are warnings.
    static func runRecorded(_ record: ContainerRecord, phase: HookPhase, status: ContainerStatus) {
        guard let json = record.hooks, let hooks = try? Hooks.parse(json) else { return }
        let list = phase == .poststart ? hooks.poststart : hooks.poststop
        guard let list, !list.isEmpty else { return }
        var st = record.publicState(status: status)
        if case .object(var o) = st, status == .stopped {
            // poststop still gets the PID the container had.
            if let i = o.firstIndex(where: { $0.0 == "pid" }) { o[i].1 = .int(Int64(record.pid)) }
            st = .object(o)
        }
        HookRunner.runAllWarning(list, phase: phase, state: st) { Log.warn($0) }
    }
}
