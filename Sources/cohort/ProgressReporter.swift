import Foundation

/// Progress on standard error: a bar with rate and ETA on a terminal, a plain line every few seconds otherwise.
final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastPrint = -Double.infinity
    private var drewBar = false

    init(label: String) { self.label = label }

    /// Reports `done` of `total` items (and bytes, when known) after `elapsed` seconds.
    func update(done: Int, total: Int, bytes: Int64 = 0, elapsed: Double, detail: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        let interval = isTerminal ? 0.1 : 5
        guard elapsed - lastPrint >= interval || done == total else { return }
        lastPrint = elapsed
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let megabytes = elapsed > 0 ? Double(bytes) / 1e6 / elapsed : 0
        let stats = detail.map { String(format: "%d/%d  %@  ETA %@", done, total, $0, Self.duration(remaining)) }
            ?? String(format: "%d/%d  %.1f files/s  %.1f MB/s  ETA %@", done, total, rate, megabytes, Self.duration(remaining))
        if isTerminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(stats)\u{1B}[K".utf8))
            drewBar = true
        } else {
            FileHandle.standardError.write(Data("\(label): \(stats)\n".utf8))
        }
    }

    /// Ends the bar's line.
    func finish() {
        if drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
        drewBar = false
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
