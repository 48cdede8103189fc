import CSeccomp
import Spec

/// linux.seccomp through libseccomp (never hand-written BPF). Loaded last before exec.
enum SeccompFilter {
    static func load(_ config: LinuxSeccomp?) throws(RuntimeError) {
        guard config != nil else { return }
        throw RuntimeError.config("linux.seccomp", "seccomp is not supported yet")
    }
}
