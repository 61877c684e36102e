import Foundation

/// Locations tests use: the package root, its fixtures, the shared data folder and built binaries.
public enum TestPaths {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// `fixtures/<sub>` in the package.
    public static func fixture(_ sub: String) -> String { packageRoot.appendingPathComponent("fixtures/\(sub)").path }

    /// `../shared/data` beside the checkout, or nil when it is absent (tests then skip with a message).
    public static var sharedData: URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The message tests print when they skip for lack of shared data.
    public static let sharedDataMissing = "../shared/data is absent: skipping the public-corpus conformance check"

    /// The `cohort` binary of the current build configuration, if it has been built.
    public static var cohortBinary: String? {
        for configuration in ["debug", "release"] {
            let path = packageRoot.appendingPathComponent(".build/\(configuration)/cohort").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
