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

    /// Every regular file below `root` (symbolic links to files followed, to folders not), hidden entries skipped.
    /// POSIX directory reads: FileManager's enumerator took 15-25 ms for BUSI's 1,580 files, this about 3.
    private static func walk(root: String) throws -> [ImportCandidate] {
        guard let top = opendir(root) else {
            throw CatalogError(code: .notFound, message: "cannot list the folder; check permissions", path: root)
        }
        closedir(top)
        var found: [ImportCandidate] = []
        var folders = [""]
        while let folder = folders.popLast() {
            guard let directory = opendir(folder.isEmpty ? root : root + "/" + folder) else { continue }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name.hasPrefix(".") { continue }
                let relative = folder.isEmpty ? name : folder + "/" + name
                var kind = entry.pointee.d_type
                if kind == UInt8(DT_UNKNOWN) {
                    var info = Glibc.stat()
                    guard lstat(root + "/" + relative, &info) == 0 else { continue }
                    kind = (info.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : UInt8(DT_REG)
                }
                if kind == UInt8(DT_DIR) {
                    folders.append(relative)
                } else if let candidate = candidate(root: root, relative: relative) {
                    found.append(candidate)
                }
            }
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
