import ArgumentParser
import CohortFuzzing
import CohortImageIO
import CohortIsolation
import Foundation

/// `cohort fuzz`: mutation fuzzing of the DICOM, PNG and TIFF readers in worker processes.
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz the DICOM, PNG and TIFF readers with mutants of seed files; crashes and hangs are saved.",
        discussion: """
            Seeds are the image files (up to --max-seed-kb each) under the given files and folders, except known \
            crashers inside libraries Cohort cannot change (crash_contained_*). Each mutant \
            (bit flips, length and size values that break parsers, inserted, deleted, duplicated and spliced \
            ranges, truncation) is read in a worker process: header alone, pixels, then the display image. A \
            clean error is a pass; a crash, an input slower than --hang-seconds, or worker memory growing by \
            more than --max-growth-mb between the first and last tenth of inputs is a finding. Findings are \
            saved to --out; the exit status is 1 when there are any. Same --seed, same mutants.

            Examples:
              cohort fuzz fixtures ../shared/data --minutes 10 --out fuzz-findings
              cohort fuzz fixtures/dicom --inputs 500 --out /tmp/f
              cohort fuzz --replay fuzz-findings/crash-0123abcd.bin
            """
    )

    @Argument(help: "Seed files or folders.") var seeds: [String]
    @Option(help: "Minutes to run.") var minutes = 1.0
    @Option(help: "Stop after this many inputs (with --minutes, whichever comes first).") var inputs: Int?
    @Option(help: "Folder for crashing and hanging inputs.") var out = "fuzz-findings"
    @Option(help: "Seed of the mutations.") var seed: UInt64 = 1
    @Option(help: "An input taking longer than this many seconds is a hang.") var hangSeconds = 1.0
    @Option(help: "Largest seed file in KiB (bigger files are skipped).") var maxSeedKb = 1024
    @Option(help: "Data-segment limit of each worker in MiB: reading an input may not need more.") var memoryLimitMb = 1024
    @Option(help: "Allowed growth of worker memory (MiB) from the first to the last tenth of inputs.") var maxGrowthMb = 64
    @Option(help: "Parallel workers (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "No progress output.") var quiet = false
    @Flag(help: "Run the readers on the given files in this process, as the fuzzer does, and print each outcome (to triage a saved finding: a crash shows its backtrace).")
    var replay = false

    func run() throws {
        if replay {
            for path in seeds { print("\(path): \(FuzzTarget.exercise(path: path))") }
            return
        }
        // Known crashers inside libraries we cannot change (fixtures/fuzz/crash_contained_*) would drown the
        // campaign in mutants that crash the same way: they are regression inputs, not seeds.
        let files = try FileWalker.imageFiles(in: seeds).filter { path in
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return size > 0 && size <= maxSeedKb * 1024 && !(path as NSString).lastPathComponent.hasPrefix("crash_contained_")
        }
        guard !files.isEmpty else { throw ValidationError("no DICOM, PNG or TIFF file of at most \(maxSeedKb) KiB under \(seeds.joined(separator: ", "))") }
        let seedBytes = try files.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
        var settings = FuzzSettings(seeds: seedBytes, seconds: minutes * 60, findingsFolder: out,
                                    scratchFolder: NSTemporaryDirectory() + "cohort-fuzz-\(getpid())")
        (settings.maximumInputs, settings.seed, settings.hangSeconds, settings.threads) = (inputs, seed, hangSeconds, threads)
        let pool = try WorkerPool(executable: WorkerPool.currentExecutable,
                                  arguments: ["worker", "--memory-limit-mb", String(memoryLimitMb)], size: threads)
        print("fuzz: \(files.count) seed file(s), \(String(format: "%.1f", Double(seedBytes.map(\.count).reduce(0, +)) / 1e6)) MB; " +
              "\(threads) worker(s), hang limit \(hangSeconds) s, memory limit \(memoryLimitMb) MiB")
        let report = try FuzzCampaign(settings: settings, pool: pool).run { r in
            if !quiet { FileHandle.standardError.write(Data((Self.line(r) + "\n").utf8)) }
        }
        print(Self.line(report))
        for (outcome, count) in report.outcomes.sorted(by: { $0.key < $1.key }) { print("  \(outcome): \(count)") }
        print(String(format: "  slowest input %.3f s; worker memory: peak %.0f MB, median %.0f MB in the first tenth, %.0f MB in the last",
                     report.slowestSeconds, Double(report.peakResidentBytes) / 1e6, Double(report.earlyResidentBytes) / 1e6,
                     Double(report.lateResidentBytes) / 1e6))
        if !report.crashPlaces.isEmpty {
            print("  crashes by the library they died in: " + report.crashPlaces.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        var seen = Set<String>()
        let distinct = report.findings.filter { seen.insert($0.path).inserted }
        for finding in distinct.prefix(12) { print("  \(finding.kind): \(finding.path) (\(finding.detail))") }
        if distinct.count > 12 { print("  ... \(distinct.count - 12) more distinct input(s) in \(out)") }
        let grew = report.lateResidentBytes - report.earlyResidentBytes > maxGrowthMb << 20
        if grew { print("  memory grew by more than \(maxGrowthMb) MiB: a leak?") }
        if !report.findings.isEmpty || grew { throw ExitCode(1) }
        print("no crash, no hang, memory bounded")
    }

    static func line(_ r: FuzzReport) -> String {
        String(format: "fuzz: %d input(s) in %.0f s (%.0f/s), %d crash(es), %d hang(s)", r.inputs, r.seconds,
               r.seconds > 0 ? Double(r.inputs) / r.seconds : 0, r.outcomes["crash"] ?? 0, r.outcomes["hang"] ?? 0)
    }
}
