import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One file found under an import root, with what `stat` says about it.
struct ImportCandidate: Sendable {
    /// Absolute, standardised import root.
    let root: String
    /// Path below the root, `/`-separated.
    let relativePath: String
    let size: Int64
    let modifiedNanos: Int64

    var absolutePath: String { root == "/" ? "/" + relativePath : root + "/" + relativePath }
}

/// Expands the paths given to `cohort import` into candidates: folders recursively (hidden entries skipped),
/// files as given (their folder becomes the root). Sorted, so runs process files in the same order.
enum ImportScan {
    static func candidates(for paths: [String]) throws -> [ImportCandidate] {
        var out: [ImportCandidate] = []
        for path in paths {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
                throw CatalogError(code: .notFound, message: "no such file or folder", path: path)
            }
            if isDirectory.boolValue {
                out += try walk(root: absolute)
            } else if let candidate = candidate(root: (absolute as NSString).deletingLastPathComponent,
                                           relative: (absolute as NSString).lastPathComponent) {
                out.append(candidate)
            }
        }
        return out
    }

    private static func walk(root: String) throws -> [ImportCandidate] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw CatalogError(code: .notFound, message: "cannot list the folder; check permissions", path: root)
        }
        var found: [ImportCandidate] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            if let candidate = candidate(root: root, relative: relative) { found.append(candidate) }
        }
        return found.sorted { $0.relativePath < $1.relativePath }
    }

    /// Regular files only (symbolic links are followed).
    static func candidate(root: String, relative: String) -> ImportCandidate? {
        var info = Glibc.stat()
        let full = root == "/" ? "/" + relative : root + "/" + relative
        guard fstatat(AT_FDCWD, full, &info, 0) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let nanos = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return ImportCandidate(root: root, relativePath: relative, size: Int64(info.st_size), modifiedNanos: nanos)
    }
}
