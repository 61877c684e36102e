import CohortCore
import CohortIsolation
import Foundation

/// Settings of a fuzzing campaign.
public struct FuzzSettings: Sendable {
    /// Seed files (already read).
    public var seeds: [[UInt8]]
    /// Wall-clock budget in seconds, and an optional cap on inputs (whichever comes first).
    public var seconds: Double
    public var maximumInputs: Int?
    /// Seed of the mutations.
    public var seed: UInt64 = 1
    /// An input that takes longer than this (seconds) is a hang.
    public var hangSeconds: Double = 1
    /// Parallel workers.
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Folder for crashing and hanging inputs (created when something is found).
    public var findingsFolder: String
    /// Folder for the mutant files handed to workers.
    public var scratchFolder: String

    /// Creates settings.
    public init(seeds: [[UInt8]], seconds: Double, findingsFolder: String, scratchFolder: String) {
        (self.seeds, self.seconds, self.findingsFolder, self.scratchFolder) = (seeds, seconds, findingsFolder, scratchFolder)
    }
}

/// One input that crashed or hung a worker, saved to the findings folder.
public struct FuzzFinding: Sendable {
    /// `crash` or `hang`.
    public var kind: String
    /// How the worker ended ("killed by SIGSEGV"), or the time limit.
    public var detail: String
    /// The saved input.
    public var path: String

    /// The innermost library on a crashed worker's stack ("libopenjp2.so.7", "cohort"), from its crash report.
    /// It says where the process died, not whose fault it was: a misused library dies inside itself.
    public static func place(of description: String) -> String {
        guard let range = description.range(of: " in ") else { return "unknown" }
        return String(description[range.upperBound...].prefix { $0 != " " })
    }
}

/// What a campaign did.
public struct FuzzReport: Sendable {
    public var inputs = 0
    /// Inputs by outcome (`decoded`, `rejected:<code>`, `ignored`, `crash`, `hang`).
    public var outcomes: [String: Int] = [:]
    public var findings: [FuzzFinding] = []
    /// Crashes by the innermost library on the crashing stack (see ``FuzzFinding/place(of:)``).
    public var crashPlaces: [String: Int] = [:]
    /// Slowest input that was not a hang, in seconds.
    public var slowestSeconds = 0.0
    /// Largest worker resident memory seen, and the median over the first and the last tenth of inputs (bytes).
    public var peakResidentBytes = 0
    public var earlyResidentBytes = 0, lateResidentBytes = 0
    public var seconds = 0.0
}

/// Feeds mutants of the seeds to the readers in worker processes (``FuzzTarget``), so that a crash or hang is
/// recorded, saved and survived rather than ending the campaign.
public struct FuzzCampaign {
    let settings: FuzzSettings
    let pool: WorkerPool

    /// `pool` must answer ``FuzzTarget/kind`` (`cohort worker`); its own time limit is ignored.
    public init(settings: FuzzSettings, pool: WorkerPool) {
        self.settings = settings
        self.pool = pool
    }

    /// Runs until the budget is spent; `progress` is called about every `interval` seconds from one thread.
    public func run(interval: Double = 5, progress: (FuzzReport) -> Void = { _ in }) throws -> FuzzReport {
        try FileManager.default.createDirectory(atPath: settings.scratchFolder, withIntermediateDirectories: true)
        let state = CampaignState()
        let start = Date()
        let threads = max(1, settings.threads)
        let lanes = Prefetch { [settings] in
            DispatchQueue.concurrentPerform(iterations: threads) { lane in
                var mutator = Mutator(seeds: settings.seeds, seed: SeededGenerator.mix(settings.seed &+ UInt64(lane)))
                let scratch = settings.scratchFolder + "/input-\(lane)"
                while Date().timeIntervalSince(start) < settings.seconds, state.claim(limit: settings.maximumInputs) {
                    record(mutator.next().bytes, scratch: scratch, into: state)
                }
            }
            state.finish()
        }
        var reported = 0.0
        while !state.finished {
            Thread.sleep(forTimeInterval: 0.2)
            let now = Date().timeIntervalSince(start)
            if now - reported >= interval {
                reported = now
                progress(state.snapshot(seconds: now))
            }
        }
        lanes.value()
        try? FileManager.default.removeItem(atPath: settings.scratchFolder)
        return state.snapshot(seconds: Date().timeIntervalSince(start))
    }

    private func record(_ bytes: [UInt8], scratch: String, into state: CampaignState) {
        guard FileManager.default.createFile(atPath: scratch, contents: Data(bytes)) else { return }
        state.exclusive.lockShared()
        var (reply, elapsed) = timedCall(scratch)
        state.exclusive.unlock()
        var outcomeSuffix = ""
        if case .timedOut = reply {
            // Confirmed alone: the other workers wait, so a busy machine does not turn a slow input into a hang.
            state.exclusive.lockExclusive()
            (reply, elapsed) = timedCall(scratch)
            state.exclusive.unlock()
            outcomeSuffix = " (slow only under load)"
        }
        switch reply {
        case .reply(let data):
            let result = try? JSONDecoder().decode(FuzzTarget.Result.self, from: Data(data))
            let outcome = (result?.outcome ?? "unreadable-reply") + outcomeSuffix
            state.add(outcome: outcome, seconds: elapsed, resident: result?.residentBytes ?? 0)
        case .crashed(let how):
            state.add(finding: save(bytes, kind: "crash", detail: how))
            state.count(crashPlace: FuzzFinding.place(of: how))
        case .timedOut(let limit):
            state.add(finding: save(bytes, kind: "hang", detail: String(format: "no answer within %.1f s, twice (the second time alone)", limit)))
        }
    }

    private func timedCall(_ scratch: String) -> (WorkerReply, Double) {
        let began = Date()
        let reply = pool.call(WorkerRequest(kind: FuzzTarget.kind, body: Array(scratch.utf8)).bytes, timeoutSeconds: settings.hangSeconds)
        return (reply, Date().timeIntervalSince(began))
    }

    private func save(_ bytes: [UInt8], kind: String, detail: String) -> FuzzFinding {
        try? FileManager.default.createDirectory(atPath: settings.findingsFolder, withIntermediateDirectories: true)
        let path = settings.findingsFolder + "/\(kind)-\(SHA256.hex(bytes).prefix(16)).bin"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return FuzzFinding(kind: kind, detail: detail, path: path)
    }
}

/// The campaign's shared tallies (behind a lock).
private final class CampaignState: @unchecked Sendable {
    private let lock = NSLock()
    private var report = FuzzReport()
    /// Normal inputs hold it shared; confirming a timeout holds it alone.
    let exclusive = ReadWriteLock()
    private var claimed = 0, done = false
    private var residents: [Int] = []

    var finished: Bool { lock.withLock { done } }

    func finish() { lock.withLock { done = true } }

    func claim(limit: Int?) -> Bool {
        lock.withLock {
            if let limit, claimed >= limit { return false }
            claimed += 1
            return true
        }
    }

    func add(outcome: String, seconds: Double, resident: Int) {
        lock.withLock {
            report.inputs += 1
            report.outcomes[outcome, default: 0] += 1
            report.slowestSeconds = max(report.slowestSeconds, seconds)
            report.peakResidentBytes = max(report.peakResidentBytes, resident)
            residents.append(resident)
        }
    }

    func count(crashPlace: String) {
        lock.withLock { report.crashPlaces[crashPlace, default: 0] += 1 }
    }

    func add(finding: FuzzFinding) {
        lock.withLock {
            report.inputs += 1
            report.outcomes[finding.kind, default: 0] += 1
            report.findings.append(finding)
        }
    }

    func snapshot(seconds: Double) -> FuzzReport {
        lock.withLock {
            var out = report
            out.seconds = seconds
            let tenth = max(1, residents.count / 10)
            func median(_ values: ArraySlice<Int>) -> Int { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
            out.earlyResidentBytes = median(residents.prefix(tenth))
            out.lateResidentBytes = median(residents.suffix(tenth))
            return out
        }
    }
}

/// A pthread read-write lock.
final class ReadWriteLock: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() { pthread_rwlock_init(lock, nil) }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func lockShared() { pthread_rwlock_rdlock(lock) }
    func lockExclusive() { pthread_rwlock_wrlock(lock) }
    func unlock() { pthread_rwlock_unlock(lock) }
}
