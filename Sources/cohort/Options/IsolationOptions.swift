import ArgumentParser
import CohortIsolation

/// Where images are decoded: in worker processes (the default) or in this process.
struct IsolationOptions: ParsableArguments {
    @Flag(help: "Decode in this process instead of worker processes: starts faster, but a decoder crash ends the whole job.")
    var inProcess = false
    @Option(help: ArgumentHelp("Seconds one file may take to decode before its worker is stopped and the file skipped.", valueName: "seconds"))
    var decodeTimeout = 600.0
    /// Test hook: workers abort on any request that names a file containing this text.
    @Option(help: .hidden) var debugCrashOn: String?

    func validate() throws {
        if decodeTimeout <= 0 { throw ValidationError("--decode-timeout must be positive, e.g. 600") }
    }

    /// The worker pool (nil with --in-process): `threads` `cohort worker` processes of this same binary, started
    /// here or (`startNow` false) when the job first needs one.
    func pool(threads: Int, startNow: Bool = true) throws -> WorkerPool? {
        guard !inProcess else { return nil }
        let arguments = ["worker"] + (debugCrashOn.map { ["--crash-on", $0] } ?? [])
        return try WorkerPool(executable: WorkerPool.currentExecutable, arguments: arguments, timeoutSeconds: decodeTimeout,
                              size: threads, startNow: startNow)
    }
}
