import CohortCore
import CohortImageIO
import CohortIsolation
import Foundation

/// glibc's `malloc_trim` (malloc.h is not part of the Glibc module).
@_silgen_name("malloc_trim") private func mallocTrim(_ pad: Int) -> Int32

/// What the fuzzed readers do with one input, inside a worker: detect the format, read the header alone, read
/// the pixels, then build the display image of the first and last frames (modality LUT, VOI, inversion).
///
/// Any thrown error is a clean rejection; only a crash, a hang or runaway memory is a finding.
public enum FuzzTarget {
    /// The request kind of a fuzz input (the body is the input file's path).
    public static let kind: UInt8 = 0x46  // "F"

    /// The worker's answer for one input.
    public struct Result: Codable, Sendable {
        /// `decoded`, `rejected:<code>` (an error the reader raised) or `ignored` (no known format).
        public var outcome: String
        /// The worker's resident memory after the input, in bytes.
        public var residentBytes: Int
    }

    /// Answers one fuzz request inside a worker. Free heap is handed back to the system before memory is measured,
    /// so the figure is what the readers still hold (a leak grows it), not the heap's high-water mark.
    public static func handle(_ body: [UInt8]) -> [UInt8] {
        let outcome = exercise(path: String(decoding: body, as: UTF8.self))
        _ = mallocTrim(0)
        let result = Result(outcome: outcome, residentBytes: WorkerLoop.residentBytes())
        return Array((try? JSONEncoder().encode(result)) ?? Data())
    }

    /// Runs the readers on `path` in this process; the outcome in words.
    public static func exercise(path: String) -> String {
        guard let format = ImageFiles.detectFormat(path: path) else { return "ignored" }
        do {
            _ = try ImageFiles.read(path: path, format: format, options: .headerOnly)
            let image = try ImageFiles.read(path: path, format: format)
            if let pixels = image.pixels {
                for frame in Set([0, pixels.frames - 1]) { _ = try image.display(frame: frame) }
            }
            return "decoded"
        } catch let error as ImageIOError {
            return "rejected:" + error.code.rawValue
        } catch let error as ImageError {
            return "rejected:display-" + error.code.rawValue
        } catch {
            return "rejected:other"
        }
    }
}
