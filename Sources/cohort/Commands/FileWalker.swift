import ArgumentParser
import CohortImageIO
import Foundation

/// Expands command-line paths: files as given, folders recursively (image files only, sorted).
enum FileWalker {
    static func imageFiles(in paths: [String]) throws -> [String] {
        var out: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("\(path): no such file or folder")
            }
            if !isDirectory.boolValue {
                out.append(path)
                continue
            }
            let base = URL(fileURLWithPath: path)
            let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey])
            var found: [String] = []
            while let url = enumerator?.nextObject() as? URL {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
                let relative = String(url.path.dropFirst(base.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                let full = (path as NSString).appendingPathComponent(relative)
                if ImageFiles.detectFormat(path: full) != nil { found.append(full) }
            }
            out += found.sorted()
        }
        return out
    }
}

/// Short names for transfer syntax UIDs in one-line output.
enum TransferSyntaxNames {
    static let names: [String: String] = [
        "1.2.840.10008.1.2": "implicit-LE", "1.2.840.10008.1.2.1": "explicit-LE", "1.2.840.10008.1.2.2": "explicit-BE",
        "1.2.840.10008.1.2.1.99": "deflated", "1.2.840.10008.1.2.4.50": "JPEG-baseline",
        "1.2.840.10008.1.2.4.51": "JPEG-extended", "1.2.840.10008.1.2.4.57": "JPEG-lossless",
        "1.2.840.10008.1.2.4.70": "JPEG-lossless-SV1", "1.2.840.10008.1.2.4.80": "JPEG-LS-lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS-near-lossless", "1.2.840.10008.1.2.4.90": "JPEG2000-lossless",
        "1.2.840.10008.1.2.4.91": "JPEG2000", "1.2.840.10008.1.2.5": "RLE",
        "1.2.840.10008.1.2.4.201": "HTJ2K-lossless", "1.2.840.10008.1.2.4.202": "HTJ2K-lossless-RPCL",
        "1.2.840.10008.1.2.4.203": "HTJ2K",
    ]

    static func name(_ uid: String) -> String { names[uid] ?? uid }
}
