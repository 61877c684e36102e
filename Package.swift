// swift-tools-version:6.0
// Cohort: medical images from the scanner's files to a paper's results table.
// Layers (STYLE.md section 1): C targets -> CohortCore -> CohortImageIO -> cohort (CLI).
import PackageDescription

let dcmtkLibraries = ["dcmimage", "dcmimgle", "dcmjpeg", "dcmjpls", "dcmdata", "oflog", "ofstd"]

let package = Package(
    name: "Cohort",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cohort", targets: ["cohort"]),
        .library(name: "CohortCore", targets: ["CohortCore"]),
        .library(name: "CohortImageIO", targets: ["CohortImageIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // DCMTK wrapped in C++ behind a plain C header (opaque handles, status codes).
        .target(
            name: "CDCMTKShim",
            cxxSettings: [.unsafeFlags(["-std=c++17"])],
            linkerSettings: dcmtkLibraries.map { .linkedLibrary($0) }
        ),
        .systemLibrary(name: "COpenJPEG"),
        .systemLibrary(name: "CPNG"),
        .systemLibrary(name: "CTIFF"),
        // SHA-256 block compression in C (x86 SHA extensions when the CPU has them).
        .target(name: "CCohortHash"),
        .target(name: "CohortCore", dependencies: ["CCohortHash"]),
        .target(
            name: "CohortImageIO",
            dependencies: ["CohortCore", "CDCMTKShim", "COpenJPEG", "CPNG", "CTIFF"]
        ),
        .executableTarget(
            name: "cohort",
            dependencies: [
                "CohortCore", "CohortImageIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "CohortTestSupport", dependencies: ["CohortCore"]),
        .testTarget(name: "CohortCoreTests", dependencies: ["CohortCore", "CCohortHash", "CohortTestSupport"]),
        .testTarget(
            name: "CohortImageIOTests",
            dependencies: ["CohortImageIO", "CohortCore", "CohortTestSupport"]
        ),
        .testTarget(name: "cohortTests", dependencies: ["CohortTestSupport"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
