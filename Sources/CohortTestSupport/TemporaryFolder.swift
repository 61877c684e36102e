import Foundation

/// A fresh folder under the system's temporary directory, removed when the value is released.
public final class TemporaryFolder {
    /// Absolute path of the folder.
    public let path: String

    /// Creates the folder (named after `prefix` and a random suffix).
    public init(prefix: String = "cohort-test") throws {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/sub`, creating the parent folders of `sub`.
    public func file(_ sub: String) -> String {
        let full = (path as NSString).appendingPathComponent(sub)
        try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        return full
    }

    /// Copies `source` to `sub` inside the folder and returns the new path.
    @discardableResult
    public func copy(_ source: String, to sub: String) throws -> String {
        let target = file(sub)
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        return target
    }
}
