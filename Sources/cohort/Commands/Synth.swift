import ArgumentParser
import CohortData
import Foundation

/// `cohort synth`: a synthetic mammography study set as DICOM, for demos and tests.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic mammography study set as DICOM (breast phantoms, some with masses) and a label CSV.",
        discussion: """
            Every patient has one study with one or both breasts, CC and usually MLO views. A breast holds a \
            mass-like lesion with probability --abnormal-rate, seen in all its views. Manufacturers differ in \
            photometric interpretation (MONOCHROME1 and 2) and files cycle through transfer syntaxes (explicit and \
            implicit little endian, RLE, JPEG lossless, JPEG-LS lossless). FOLDER/labels.csv has the columns path, \
            patient_id, laterality, view and finding (mass or normal). The same seed gives the same files.

            Example:
              cohort synth catalogs/demo/studies --patients 60 --seed 1
              cohort import catalogs/demo/studies && cohort labels import catalogs/demo/studies/labels.csv \\
                  --task finding --value-column finding --path-column path
            """
    )

    @Argument(help: "Output folder (created).") var folder: String
    @Option(help: "Number of patients.") var patients = 40
    @Option(help: "Seed of shapes, lesions and noise.") var seed: UInt64 = 1
    @Option(help: "Image size as ROWSxCOLUMNS.") var size = "320x240"
    @Option(help: "Probability that a breast holds a mass.") var abnormalRate = 0.4
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ (64...4096).contains($0) }) else {
            throw ValidationError("--size is ROWSxCOLUMNS between 64 and 4096, e.g. 320x240; got \(size)")
        }
        guard patients >= 1 else { throw ValidationError("--patients must be at least 1") }
        guard (0...1).contains(abnormalRate) else { throw ValidationError("--abnormal-rate is a probability between 0 and 1") }
        var set = SyntheticStudies()
        (set.patients, set.seed, set.rows, set.columns, set.abnormalRate) = (patients, seed, parts[0], parts[1], abnormalRate)
        let bar = ProgressReporter(label: "synth")
        let start = Date()
        let quiet = quiet
        let images = try set.write(to: folder) { done, total in
            if !quiet { bar.update(done: done, total: total, elapsed: Date().timeIntervalSince(start)) }
        }
        bar.finish()
        let masses = images.filter { $0.finding == "mass" }.count
        let inverted = images.filter { $0.photometric == .monochrome1 }.count
        print("wrote \(images.count) DICOM image(s) of \(patients) patient(s) to \(folder)/: \(masses) with a mass, \(images.count - masses) normal; \(inverted) MONOCHROME1")
        print("labels: \(folder)/labels.csv")
    }
}
