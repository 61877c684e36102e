import CohortImageIO
import CohortTestSupport
import Foundation
import XCTest

/// The HTML report opened in headless Chromium (Debian's `chromium`), when it is installed.
final class ReportBrowserTests: XCTestCase {
    private func chromium() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testTheReportLoadsInChromiumAndItsChartsHaveSize() throws {
        guard let browser = chromium() else { throw XCTSkip("chromium is not installed (apt install chromium); skipping the browser check") }
        guard let cohort = TestPaths.cohortBinary else { throw XCTSkip("cohort binary not built") }
        let folder = try TemporaryFolder()
        let (status, _, err) = try run(cohort, ["report", "a=" + TestPaths.fixture("reports/model_a.csv"), "b=" + TestPaths.fixture("reports/model_b.csv"),
                                                "--score-column", "p_malignant", "--positive", "malignant", "--resamples", "100",
                                                "--history", "a=" + TestPaths.fixture("reports/history.csv"), "--out", folder.path])
        XCTAssertEqual(status, 0, err)
        let page = URL(fileURLWithPath: folder.path + "/report.html").absoluteString
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + folder.file("profile")]
        let (domStatus, dom, domErr) = try run(browser, flags + ["--dump-dom", page])
        XCTAssertEqual(domStatus, 0, domErr)
        XCTAssertFalse(domErr.contains("ERR_FILE_NOT_FOUND") || domErr.contains("Uncaught"), domErr)
        XCTAssertEqual(dom.components(separatedBy: "<svg ").count - 1, 7, "every chart is in the loaded DOM")
        // Charts have size: the rendered page is not blank where the ROC and PR charts are drawn.
        let shot = folder.file("page.png")
        let (shotStatus, _, shotErr) = try run(browser, flags + ["--window-size=1200,1600", "--screenshot=" + shot, page])
        XCTAssertEqual(shotStatus, 0, shotErr)
        let image = try ImageFiles.read(path: shot)
        let pixels = try XCTUnwrap(image.pixels)
        XCTAssertEqual(pixels.columns, 1200)
        // Text is gray; only the charts (curves, bands, heatmap cells) are coloured.
        let c = pixels.samplesPerPixel
        var coloured = 0
        for p in stride(from: 0, to: pixels.bytes.count - 2, by: c) {
            let r = Int(pixels.bytes[p]), g = Int(pixels.bytes[p + 1]), b = Int(pixels.bytes[p + 2])
            if abs(r - g) > 40 || abs(g - b) > 40 { coloured += 1 }
        }
        XCTAssertGreaterThan(coloured, 5_000, "the charts were drawn with size")
    }
}
