import CohortCore
import CohortImageIO
import Foundation

/// Writes a synthetic mammography study set as DICOM: patients with one or both breasts, CC and MLO views,
/// masses in some breasts (seen in every view of that breast), mixed MONOCHROME1/2, manufacturers and transfer
/// syntaxes, plus `labels.csv` (path, patient, laterality, view, finding). Deterministic for a seed.
public struct SyntheticStudies: Sendable {
    public var patients = 40
    public var seed: UInt64 = 1
    public var rows = 320, columns = 240
    /// Probability that a breast holds a mass.
    public var abnormalRate = 0.4

    public init() {}

    /// One written image.
    public struct Image: Sendable {
        public var path: String, patient: String, laterality: String, view: String, finding: String
        public var photometric: Photometric, syntax: DicomWriter.Syntax
        /// 1-based patient number and the phantom manufacturer (which decides the photometric interpretation).
        public var patientNumber: Int, manufacturer: String
    }

    static let manufacturers: [(String, Photometric)] = [("Cohort Phantom A", .monochrome2), ("Cohort Phantom B", .monochrome1),
                                                          ("Cohort Phantom C", .monochrome2)]

    /// The images this set holds, without writing anything.
    public func plan() -> [(Image, MammographyPhantom)] {
        var plan: [(Image, MammographyPhantom)] = []
        var syntaxIndex = 0
        for p in 0..<patients {
            var random = SeededGenerator(seed: seed, stream: 0x5E, UInt64(p))
            let patient = String(format: "PHANTOM-%04d", p + 1)
            let (manufacturer, photometric) = Self.manufacturers[p % Self.manufacturers.count]
            let sides = random.nextUnit() < 0.7 ? ["L", "R"] : [random.nextUnit() < 0.5 ? "L" : "R"]
            let views = random.nextUnit() < 0.8 ? ["CC", "MLO"] : ["CC"]
            for side in sides {
                let abnormal = random.nextUnit() < abnormalRate
                let breastSeed = random.next()
                let site = MammographyPhantom.lesionSite(rows: rows, columns: columns, random: &random)
                let radius = random.uniform(0.055...0.09) * Double(columns)
                let contrast = random.uniform(0.18...0.3)
                for view in views {
                    let lesion = abnormal ? MammographyPhantom.Lesion(x: site.x + (view == "MLO" ? random.uniform(-6...6) : 0),
                                                                      y: site.y + (view == "MLO" ? random.uniform(-10...10) : 0),
                                                                      radius: radius, contrast: contrast) : nil
                    let phantom = MammographyPhantom(rows: rows, columns: columns, mlo: view == "MLO", lesion: lesion,
                                                     breastSeed: breastSeed, viewSeed: random.next())
                    let syntax = DicomWriter.Syntax.allCases[syntaxIndex % DicomWriter.Syntax.allCases.count]
                    syntaxIndex += 1
                    let image = Image(path: "\(patient)/\(side)_\(view).dcm", patient: patient, laterality: side, view: view,
                                      finding: abnormal ? "mass" : "normal", photometric: photometric, syntax: syntax,
                                      patientNumber: p + 1, manufacturer: manufacturer)
                    plan.append((image, phantom))
                }
            }
        }
        return plan
    }

    /// Writes every image under `folder` (on `threads` cores) and `folder/labels.csv`; returns the images.
    public func write(to folder: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                      progress: @Sendable (Int, Int) -> Void = { _, _ in }) throws -> [Image] {
        let plan = plan()
        for patient in Set(plan.map(\.0.patient)) {
            try FileManager.default.createDirectory(atPath: folder + "/" + patient, withIntermediateDirectories: true)
        }
        let done = Counter()
        let results = ParallelMap.map(plan, threads: threads) { (image, phantom) -> Error? in
            defer { progress(done.increment(), plan.count) }
            do { try write(image, phantom, to: folder + "/" + image.path); return nil } catch { return error }
        }
        if let error = results.compactMap({ $0 }).first { throw error }
        var csv = "path,patient_id,laterality,view,finding\n"
        for (image, _) in plan { csv += "\(image.path),\(image.patient),\(image.laterality),\(image.view),\(image.finding)\n" }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: folder + "/labels.csv"), options: .atomic)
        return plan.map(\.0)
    }

    private func write(_ image: Image, _ phantom: MammographyPhantom, to path: String) throws {
        let attenuation = phantom.render()
        let inverted = image.photometric == .monochrome1
        var pixels = [UInt16](repeating: 0, count: rows * columns)
        for y in 0..<rows {
            for x in 0..<columns {
                let source = image.laterality == "R" ? columns - 1 - x : x  // right breasts face the other way
                let value = UInt16(200 + 3600 * Double(attenuation[y * columns + source]))
                pixels[y * columns + x] = inverted ? 4095 - value : value
            }
        }
        let patientIndex = image.patientNumber
        func uid(_ parts: String...) -> String { "2.25.\(stableHash("\(seed)/" + parts.joined(separator: "/")))" }
        let study = uid(image.patient, "study")
        let attributes: [(tag: UInt32, value: String)] = [
            (0x0008_0016, "1.2.840.10008.5.1.4.1.1.1.2"),  // Digital Mammography X-Ray Image Storage - For Presentation
            (0x0008_0018, uid(image.path)), (0x0008_0020, String(format: "2025%02d%02d", 1 + patientIndex % 12, 1 + patientIndex % 28)),
            (0x0008_0050, String(format: "ACC%06d", patientIndex)), (0x0008_0060, "MG"), (0x0008_0068, "FOR PRESENTATION"),
            (0x0008_0070, image.manufacturer), (0x0008_1090, "Synthetic"),
            (0x0010_0010, "PHANTOM^\(image.patient.suffix(4))"), (0x0010_0020, image.patient), (0x0010_0030, "19700101"), (0x0010_0040, "F"),
            (0x0018_0015, "BREAST"), (0x0018_1164, "0.2\\0.2"), (0x0018_5101, image.view),
            (0x0020_000D, study), (0x0020_000E, uid(image.patient, image.laterality, image.view)), (0x0020_0011, "1"), (0x0020_0013, "1"),
            (0x0020_0020, image.laterality == "L" ? "A\\R" : "P\\L"), (0x0020_0062, image.laterality),
            (0x0028_1050, inverted ? "1995" : "2100"), (0x0028_1051, "2600"),
        ]
        try DicomWriter.writeGray16(pixels, rows: rows, columns: columns, bitsStored: 12, photometric: image.photometric,
                                    attributes: attributes, syntax: image.syntax, to: path)
    }
}

/// A thread-safe counter for progress from parallel work.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
