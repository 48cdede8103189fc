// swift-tools-version:6.0
import PackageDescription

// Start-up matters (engines call the runtime thousands of times a day): no target links full
// Foundation, and the release binary is built with --static-swift-stdlib (see README, bench/).
// The release link also drops what the dynamic loader would otherwise do at every start
// (measured in bench/README.md, "Start-up"): a non-PIE executable has no relative relocations
// to apply (38k of them, each dirtying a page), and libstdc++/libgcc_s linked statically are
// two shared objects fewer to map and bind. linker/ holds the scripts that make -lstdc++,
// -ljson-c and -lseccomp static; for the last two, scripts/build-release.sh points pkg-config
// at linker/pkgconfig (the system's .pc files would put /usr/lib/x86_64-linux-gnu, with the
// shared libraries, first on the link line).
let releaseLink: [LinkerSetting] = [
    .unsafeFlags(["-L\(Context.packageDirectory)/linker",
                  "-Xclang-linker", "-no-pie", "-Xclang-linker", "-static-libgcc",
                  "-Xlinker", "--no-export-dynamic"],
                 .when(configuration: .release)),
]
// Neither _StringProcessing (Regex, and the string algorithms firstRange(of:), ranges(of:),
// split(separator: String)...) nor _Concurrency is imported implicitly by the CLI: using one
// links the whole library and its Unicode tables (_StringProcessing and _RegexParser: 1.3 MB
// of the binary for one firstRange(of:), bench/README.md "Binary size"). Only on the
// executable: unsafe flags on the library targets would keep an engine from depending on
// OCIRuntime by version. scripts/build-release.sh fails if either library (or Foundation)
// is linked into the release binary all the same.
let lean: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import",
                  "-Xfrontend", "-disable-implicit-concurrency-module-import"]),
]
let package = Package(
    name: "swrun",
    products: [
        .executable(name: "swrun", targets: ["swrun"]),
        .library(name: "OCIRuntime", targets: ["OCIRuntime"]),
    ],
    targets: [
        .systemLibrary(name: "CJSONC", path: "Sources/CJSONC", pkgConfig: "json-c",
                       providers: [.apt(["libjson-c-dev"])]),
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .target(name: "CSyscalls", path: "Sources/CSyscalls"),
        .target(name: "Spec", dependencies: ["CJSONC"], path: "Sources/Spec"),
        .target(name: "Hooks", dependencies: ["Spec", "CSyscalls"], path: "Sources/Hooks"),
        .target(name: "OCIRuntime", dependencies: ["Spec", "Hooks", "CSyscalls", "CSeccomp"],
                path: "Sources/OCIRuntime"),
        .executableTarget(name: "swrun", dependencies: ["OCIRuntime", "Spec"], path: "Sources/swrun", swiftSettings: lean, linkerSettings: releaseLink),
        .testTarget(name: "SpecTests", dependencies: ["Spec"], path: "Tests/SpecTests"),
        .testTarget(name: "HooksTests", dependencies: ["Hooks", "Spec"], path: "Tests/HooksTests"),
        .testTarget(name: "OCIRuntimeTests", dependencies: ["OCIRuntime", "Spec"],
                    path: "Tests/OCIRuntimeTests"),
    ]
)
