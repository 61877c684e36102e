// swift-tools-version:6.0
// Cohort: medical images from the scanner's files to a paper's results table.
// Layers (STYLE.md section 1): C targets -> CohortCore -> CohortImageIO -> CohortCatalog -> cohort (CLI).
import PackageDescription

let dcmtkLibraries = ["dcmseg", "dcmfg", "dcmiod", "dcmimage", "dcmimgle", "dcmjpeg", "dcmjpls", "dcmdata", "oflog", "ofstd"]

let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "Cohort",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cohort", targets: ["cohort"]),
        .library(name: "CohortCore", targets: ["CohortCore"]),
        .library(name: "CohortImageIO", targets: ["CohortImageIO"]),
        .library(name: "CohortCatalog", targets: ["CohortCatalog"]),
        .library(name: "CohortData", targets: ["CohortData"]),
        .library(name: "CohortMetrics", targets: ["CohortMetrics"]),
        .library(name: "CohortReport", targets: ["CohortReport"]),
        .library(name: "CohortNN", targets: ["CohortNN"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
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
        // Byte kernels in C: SHA-256 blocks (x86 SHA extensions when present), non-zero counts, the JPEG-LS decoder,
        // the PNG fast path (inflate by libdeflate, which libtiff already pulls in).
        // Optimised and errno-free maths in every configuration, so that loops with square roots vectorise.
        .target(name: "CCohortKernels", cSettings: [.unsafeFlags(["-O2", "-fno-math-errno"])], linkerSettings: [.linkedLibrary("deflate")]),
        .target(name: "CohortCore", dependencies: ["CCohortKernels"]),
        // Worker processes that run decoders which might crash or hang, so a bad file costs one request.
        // A worker's crash handler (C): reports the signal and the libraries on the crashing stack.
        .target(name: "CCrashReport"),
        .target(name: "CohortIsolation", dependencies: ["CCrashReport"]),
        // Mutation fuzzing of the readers, run in isolated workers (`cohort fuzz`).
        .target(name: "CohortFuzzing", dependencies: ["CohortCore", "CohortImageIO", "CohortIsolation"]),
        .target(
            name: "CohortImageIO",
            dependencies: ["CohortCore", "CCohortKernels", "CDCMTKShim", "COpenJPEG", "CPNG", "CTIFF"]
        ),
        .target(
            name: "CohortCatalog",
            dependencies: ["CohortCore", "CohortImageIO", "CohortIsolation", "CCohortKernels", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        .target(name: "CohortMetrics", dependencies: ["CohortCore"]),
        // Compute targets are optimised in every configuration: their reference loops are ~100x slower at -Onone.
        // oneDNN (libdnnl-dev 2.6) behind typed C wrappers: the fast CPU primitives.
        .systemLibrary(name: "CDNNL"),
        .target(name: "CohortTensor", dependencies: ["CDNNL"], swiftSettings: optimized),
        .target(name: "CohortNN", dependencies: ["CohortTensor", "CCohortKernels"], swiftSettings: optimized),
        // The same engine sources in float64 (symbolic links), for parity checks against PyTorch's float64 references.
        .target(name: "CohortTensor64", swiftSettings: optimized + [.define("COHORT_DOUBLE")]),
        .target(name: "CohortNN64", dependencies: ["CohortTensor64"], swiftSettings: optimized + [.define("COHORT_DOUBLE")]),
        .target(name: "CohortTraining", dependencies: ["CohortNN", "CohortTensor", "CohortData", "CohortCatalog", "CohortMetrics", "CohortCore", "CohortIsolation", "Yams"]),
        .target(name: "CohortReport", dependencies: ["CohortMetrics", "CohortCore", "CohortCatalog"]),
        .target(
            name: "CohortData",
            dependencies: ["CohortCore", "CCohortKernels", "CohortImageIO", "CohortCatalog", "CohortIsolation", "Yams"]
        ),
        .executableTarget(
            name: "cohort",
            dependencies: [
                "CohortCore", "CohortImageIO", "CohortCatalog", "CohortData", "CohortMetrics", "CohortReport", "CohortTraining", "CohortNN", "CohortTensor", "CohortIsolation", "CohortFuzzing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "CohortTestSupport", dependencies: ["CohortCore"]),
        .testTarget(name: "CohortFuzzingTests", dependencies: ["CohortFuzzing", "CohortTestSupport"]),
        .testTarget(name: "CohortIsolationTests", dependencies: ["CohortIsolation", "CohortTestSupport"]),
        .testTarget(name: "CohortCoreTests", dependencies: ["CohortCore", "CCohortKernels", "CohortTestSupport"]),
        .testTarget(
            name: "CohortImageIOTests",
            dependencies: ["CohortImageIO", "CohortCore", "CCohortKernels", "CohortTestSupport"]
        ),
        .testTarget(
            name: "CohortCatalogTests",
            dependencies: ["CohortCatalog", "CohortCore", "CohortImageIO", "CohortTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "CohortDataTests",
            dependencies: ["CohortData", "CohortCatalog", "CohortCore", "CohortImageIO", "CohortTestSupport"]
        ),
        .testTarget(name: "CohortMetricsTests", dependencies: ["CohortMetrics", "CohortCore", "CohortTestSupport"]),
        .testTarget(name: "CohortReportTests", dependencies: ["CohortReport", "CohortMetrics", "CohortTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "CohortNN64Tests", dependencies: ["CohortNN64", "CohortTensor64", "CohortTestSupport"],
                    swiftSettings: [.define("COHORT_DOUBLE")]),
        .testTarget(name: "CohortNNTests", dependencies: ["CohortNN", "CohortTensor", "CohortTestSupport"]),
        .testTarget(name: "CohortTrainingTests", dependencies: ["CohortTraining", "CohortNN", "CohortData", "CohortCatalog", "CohortCore", "CohortImageIO", "CohortTestSupport", "CohortTensor", "CohortMetrics"]),
        .testTarget(name: "cohortTests", dependencies: ["CohortTestSupport", "CohortImageIO", "CohortCore", "CohortNN"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
