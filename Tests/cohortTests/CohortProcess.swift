import CohortCore
import CohortTestSupport
import Foundation
import XCTest

/// Runs the built `cohort` binary and collects its exit status and output (skips the test when it is not built).
func runCohort(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws
    -> (status: Int32, out: String, err: String) {
    guard let binary = TestPaths.cohortBinary else { throw XCTSkip("cohort binary not built (run swift build)") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    (process.standardOutput, process.standardError) = (out, err)
    try process.run()
    // stderr is drained on another thread so that a chatty command cannot fill one pipe while we wait on the other.
    let errText = Prefetch { err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = errText.value()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
