import Foundation
import XCTest

/// A Python virtual environment for cross-checks against other tools (highdicom, ...), created on first use under
/// `~/.cache/cohort-test-venv` (or `COHORT_TEST_VENV`) and reused; tests skip when it cannot be made.
public enum PythonVenv {
    /// The venv's python with `packages` importable (pip-installed when missing), or an `XCTSkip` saying why not.
    public static func python(with packages: [(module: String, requirement: String)]) throws -> String {
        let folder = ProcessInfo.processInfo.environment["COHORT_TEST_VENV"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/cohort-test-venv").path
        let python = folder + "/bin/python"
        if !FileManager.default.isExecutableFile(atPath: python) {
            guard run("/usr/bin/env", ["python3", "-m", "venv", folder], timeout: 120) == 0 else {
                throw XCTSkip("cannot create a Python venv at \(folder) (python3 -m venv failed; install python3-venv)")
            }
        }
        let missing = packages.filter { run(python, ["-c", "import \($0.module)"], timeout: 60) != 0 }
        if !missing.isEmpty {
            guard run(python, ["-m", "pip", "install", "-q"] + missing.map(\.requirement), timeout: 600) == 0 else {
                throw XCTSkip("cannot pip-install \(missing.map(\.requirement).joined(separator: ", ")) into \(folder) (offline?)")
            }
        }
        return python
    }

    /// Runs a command, returning its exit status (-1 when it could not start or ran past `timeout` seconds).
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval, output: UnsafeMutablePointer<String>? = nil) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return -1 }
        let deadline = Date().addingTimeInterval(timeout)
        var data = Data()
        let reader = DispatchQueue(label: "venv-output")
        let done = DispatchSemaphore(value: 0)
        reader.async { data = pipe.fileHandleForReading.readDataToEndOfFile(); done.signal() }
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate(); process.waitUntilExit(); return -1 }
        process.waitUntilExit()
        done.wait()
        output?.pointee = String(decoding: data, as: UTF8.self)
        return process.terminationStatus
    }
}
