/// process.execCPUAffinity (config.md, runtime-spec 1.2): the CPUs an exec'd process runs on
/// before (`initial`) and after (`final`) it joins the container's cgroup. Not applicable to
/// the init (the spec's words); checked wherever it appears, applied by exec.
public enum CPUAffinityRules {
    /// The kernel's largest NR_CPUS (8192): a list naming more is not a CPU list.
    public static let maxCPU = 8191

    /// The CPUs of each non-empty field, by field name, in order initial, final.
    public static func check(_ a: CPUAffinity?, path: String = "process.execCPUAffinity") throws(RuntimeError) -> (initial: [Int], final: [Int]) {
        guard let a else { return ([], []) }
        return (try cpus(a.initial, path: path + ".initial"), try cpus(a.final, path: path + ".final"))
    }

    static func cpus(_ list: String?, path: String) throws(RuntimeError) -> [Int] {
        guard let list, !list.isEmpty else { return [] }
        return try NumberList.parse(list, max: maxCPU, noun: "CPU", path: path)
    }
}
