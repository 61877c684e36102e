import ArgumentParser
import CohortCore
import Foundation

/// The `cohort` command: medical images from the scanner's files to a paper's results table.
@main
struct Cohort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohort",
        abstract: "Medical images from the scanner's files to a paper's results table.",
        discussion: """
            Reads DICOM (every transfer syntax DCMTK decodes, plus JPEG 2000), PNG and TIFF exactly.
            Start with `cohort inspect FOLDER` to see what a folder holds.
            """,
        version: CohortVersion.string,
        subcommands: [Inspect.self, Convert.self, Synth.self, Import.self, Labels.self, Masks.self, Stats.self, Show.self, Failures.self, Split.self, Augment.self, Train.self, Score.self, Merge.self, Explain.self, Evaluate.self, Report.self, Pipeline.self, Bench.self, Fuzz.self, Worker.self]
    )

    static func main() {
        ProcessTuning.apply()
        // Line-buffered output: `cohort pipeline > log` shows each step as it happens, not at exit.
        setvbuf(Glibc.stdout, nil, Int32(_IOLBF), 0)
        // Workers start once per thread for every import and scoring run: skip parsing the whole command tree.
        if CommandLine.arguments.dropFirst().first == "worker", let worker = WorkerServer.fromArguments(Array(CommandLine.arguments.dropFirst(2))) {
            worker.serve()
            return
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
