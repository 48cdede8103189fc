import CSyscalls

/// swrun's own command line.
public enum Arguments {
    /// The arguments after the program name, from startup.c's copy of argv. CommandLine.arguments
    /// would serve as well, but its lazy globals are code of their own in libswiftCore, and every
    /// start would fault in another 64 KB of the standard library's text for them
    /// (bench/README.md, "The standard library's text").
    public static func afterProgramName() -> [String] {
        var argc: Int32 = 0
        guard let argv = sw_saved_argv(&argc) else { return Array(CommandLine.arguments.dropFirst()) }
        var out: [String] = []
        var i = 1
        // Int(argc) widens an Int32 and cannot trap; a NULL entry ends the list early.
        while i < Int(argc), let arg = argv[i] {
            out.append(String(cString: arg))
            i += 1
        }
        return out
    }
}
