#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Hooks
import Spec

/// startContainer hooks, run by `start` before it releases the init: in a child that joins
/// the container's cgroups and namespaces, so each hook runs in the container namespace as
/// config.md asks, and its path resolves inside the container.
///
/// Not by the init itself: the init waits for `start` as the sealed exec stub (SealedExec),
/// never as the host's swrun binary a process of the container could reach (CVE-2019-5736).
enum StartContainerHooks {
    static func run(_ c: Container) throws(RuntimeError) {
        guard let json = c.record.hooks, let hooks = try? Hooks.parse(json),
              let list = hooks.startContainer, !list.isEmpty else { return }
        let plan = try NamespacePlan.joining(c.record.pid)
        defer { plan.closeJoins() }
        let state = c.record.publicState(status: .created)
        let (parentEnd, childEnd) = try SyncChannel.pair()
        defer { parentEnd.close() }
        try Fork.ensureSingleThreaded()
        let pid = sw_fork()
        if pid < 0 {
            let e = errno
            childEnd.close()
            throw RuntimeError.sys("fork", "run the startContainer hooks", errno: e)
        }
        if pid == 0 {
            parentEnd.close()
            _ = sw_prctl(InitProcess.PR_SET_PDEATHSIG, UInt(SIGKILL), 0, 0, 0)
            _ = sw_prctl(InitProcess.PR_SET_DUMPABLE, 0, 0, 0, 0)
            sw_scrub_environment()
            do throws(RuntimeError) {
                try ExecCgroupJoin.joinSelf(paths: c.record.cgroupPaths, initPid: c.record.pid)
                try plan.enterJoined()
                // Each hook's env was filled in at create (LifecycleHooks.recorded); this
                // process's own environment is scrubbed.
                try HookRunner.runAll(list, phase: .startContainer, state: state, inherited: [])
                _exit(0)
            } catch {
                try? childEnd.send(.failure(error))
                _exit(1)
            }
        }
        childEnd.close()
        let reply = Result { () throws(RuntimeError) in try parentEnd.receive() }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if case .success(.failure(let e)) = reply { throw e }
        if case .failure(let e) = reply { throw e }
        if !(sw_wifexited(status) != 0 && sw_wexitstatus(status) == 0) {
            throw RuntimeError("the startContainer hooks' process failed (wait status \(status))", jsonPath: "hooks.startContainer")
        }
    }
}
