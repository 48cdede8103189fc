// swift-tools-version:6.0
import PackageDescription

// Start-up matters (engines call the runtime thousands of times a day): no target links full
// Foundation, and the release binary is one static executable (see README, bench/): glibc,
// libm, libstdc++, json-c and libseccomp linked in, so a start maps no shared object, runs no
// dynamic loader, and applies no relocation but glibc's few IRELATIVE ones (bench/README.md,
// "Start-up" and "Memory"). lld, not gold: its --symbol-ordering-file (scripts/build-release.sh)
// can move each of libc.a's objects, where gold orders by section name only and every libc.a
// object's code is named `.text`. libsystemd stays a dlopen (Sources/CSyscalls/sdbus.c), made
// by the systemd cgroup driver only.
let releaseLink: [LinkerSetting] = [
    .unsafeFlags(["-static-executable", "-use-ld=lld"], .when(configuration: .release)),
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
