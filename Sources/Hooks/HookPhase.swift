/// The points in a container's lifecycle where config.json's hooks run (config.md
/// "POSIX-platform Hooks"). The raw value is the key under `hooks` in config.json.
public enum HookPhase: String, Sendable, CaseIterable {
    case prestart, createRuntime, createContainer, startContainer, poststart, poststop

    /// The config path of the phase's hook at `index` ("hooks.prestart[0]"), used in errors.
    public func jsonPath(index: Int) -> String { "hooks.\(rawValue)[\(index)]" }
}
