import ArgumentParser
import CohortCore
import CohortImageIO
import Foundation

/// `cohort bench`: throughput measurements that scripts under bench/ set against peers in the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (used by the scripts in bench/).",
        subcommands: [Decode.self]
    )

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode files repeatedly and print the median images/s.",
            discussion: "Each repetition reads the file from disk and decodes all of its pixels, in this process."
        )

        @Argument(help: "Files to decode.") var files: [String]
        @Option(help: "Repetitions per file (the median is reported).") var repeats = 7

        func run() throws {
            for file in files {
                var seconds: [Double] = []
                for _ in 0..<max(repeats, 1) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let image = try ImageFiles.read(path: file)
                    precondition(image.pixels != nil)
                    seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                let median = seconds.sorted()[seconds.count / 2]
                print(String(format: "%@\t%.4f\t%.2f", file, median, 1 / median))
            }
        }
    }
}
