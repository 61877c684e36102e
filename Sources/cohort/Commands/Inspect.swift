import ArgumentParser
import CohortCore
import CohortImageIO
import Foundation

/// `cohort inspect`: one line per file, or full metadata as JSON, or pixel digests.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what image files hold: format, geometry, encoding, mammography fields.",
        discussion: """
            Folders are walked recursively; files that are not DICOM, PNG or TIFF are skipped there (named \
            files are always reported). Every file is reported before the exit status says whether any failed.

            Examples:
              cohort inspect scans/                      one line per image
              cohort inspect --json image.dcm            all metadata, the display chain and warnings
              cohort inspect --pixels-sha256 image.dcm   digest of stored values, comparable with pydicom's
            """
    )

    @Argument(help: "Files or folders to inspect.")
    var paths: [String]

    @Flag(help: "Print full metadata as JSON (one object per line).")
    var json = false

    @Flag(name: .customLong("pixels-sha256"),
          help: "Print the SHA-256 of the decoded stored values laid out as pydicom's pixel_array (C order, little-endian).")
    var pixelsSHA256 = false

    @Flag(name: .customLong("header-only"), help: "Do not decode pixels (fast; geometry and metadata only).")
    var headerOnly = false

    func run() throws {
        let files = try FileWalker.imageFiles(in: paths)
        var failures = 0
        for file in files {
            do {
                var options = ReadOptions()
                options.readPixels = !headerOnly || pixelsSHA256
                let image = try ImageFiles.read(path: file, options: options)
                print(try describe(image, path: file))
            } catch let error as ImageIOError {
                failures += 1
                printError("error: \(error)")
            }
        }
        if failures > 0 {
            printError("\(failures) of \(files.count) file(s) failed")
            throw ExitCode(1)
        }
    }

    private func describe(_ image: MedicalImage, path: String) throws -> String {
        if pixelsSHA256 {
            return "\(SHA256.hex(image.pixels?.bytes ?? []))  \(path)"
        }
        if json { return try InspectJSON.line(image, path: path) }
        return InspectLine.text(image, path: path)
    }
}

/// The one-line summary of an image.
enum InspectLine {
    static func text(_ image: MedicalImage, path: String) -> String {
        let m = image.metadata
        var parts = [path, m.format.rawValue.uppercased()]
        if let modality = m.modality { parts.append(modality) }
        parts.append("\(m.columns)x\(m.rows)" + (m.frames > 1 ? "x\(m.frames)" : ""))
        parts.append("\(m.bitsStored)/\(m.bitsAllocated)-bit\(m.isSigned ? " signed" : "")")
        parts.append(m.photometricInFile ?? image.photometric.rawValue)
        if let encoding = m.encoding { parts.append(TransferSyntaxNames.name(encoding)) }
        if let side = m.laterality { parts.append("laterality=\(side)") }
        if let view = m.view { parts.append("view=\(view)") }
        if let intent = m.presentationIntent { parts.append(intent) }
        if !image.warnings.isEmpty { parts.append("warnings=\(image.warnings.count)") }
        return parts.joined(separator: "  ")
    }
}

/// Full JSON for one image.
enum InspectJSON {
    struct Document: Encodable {
        var path: String
        var metadata: ImageMetadata
        var photometric: String
        var pixels: PixelsSummary?
        var grayscale: GrayscaleTransforms
        var warnings: [ImageWarning]
    }

    struct PixelsSummary: Encodable {
        var dtype: String
        var shape: [Int]
        var min: Double, max: Double, mean: Double
    }

    static func line(_ image: MedicalImage, path: String) throws -> String {
        var summary: PixelsSummary?
        if let pixels = image.pixels, let stats = pixels.statistics() {
            summary = PixelsSummary(dtype: pixels.format.numpyName, shape: pixels.pydicomShape,
                                    min: stats.min, max: stats.max, mean: stats.mean)
        }
        let document = Document(path: path, metadata: image.metadata, photometric: image.photometric.rawValue,
                                pixels: summary, grayscale: image.grayscale, warnings: image.warnings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
