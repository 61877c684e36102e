@testable import CohortReport
import CohortTestSupport
import Foundation
import XCTest

final class EscapingTests: XCTestCase {
    func testHostileStringsAreEscapedInHTMLAndNeutralisedInCSV() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("evil.csv")
        try """
            id,label,score
            a,"<script>alert(1)</script>",0.9
            b,=HYPERLINK(""http://x""),0.1
            c,"<script>alert(1)</script>",0.8
            d,=HYPERLINK(""http://x""),0.3
            """.write(toFile: path, atomically: true, encoding: .utf8)
        var columns = PredictionColumns()
        columns.score = "score"
        columns.positive = "<script>alert(1)</script>"
        let model = ModelEvaluation(try Predictions.load(csv: path, name: "@SUM(1+1) & \"quotes\"", columns: columns), resamples: 0)
        let files = try ReportRenderer(EvaluationReport(title: "<i>t</i>", models: [model], provenance: Provenance(facts: []))).files()
        let html = files.first { $0.path == "report.html" }!.content
        XCTAssertFalse(html.contains("<script>"), "markup from data never reaches the page")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertFalse(html.contains("<i>t</i>"))
        for svg in files where svg.path.hasSuffix(".svg") { XCTAssertFalse(svg.content.contains("<script>"), svg.path) }
        for csv in files where csv.path.hasSuffix(".csv") {
            for line in csv.content.split(separator: "\n") {
                for field in line.split(separator: ",") {
                    let f = field.hasPrefix("\"") ? field.dropFirst() : field
                    XCTAssertFalse(f.hasPrefix("=") || f.hasPrefix("@") || f.hasPrefix("+"), "\(csv.path): \(line)")
                }
            }
        }
        let tex = files.first { $0.path == "tables.tex" }!.content
        XCTAssertTrue(tex.contains("@SUM(1+1) \\& \"quotes\""), "LaTeX specials are escaped")
    }

    func testCSVQuotingFollowsRFC4180() {
        XCTAssertEqual(Escaping.csvText("plain"), "plain")
        XCTAssertEqual(Escaping.csvText("a,b"), "\"a,b\"")
        XCTAssertEqual(Escaping.csvText("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(Escaping.csvText("-2+3"), "'-2+3")
        XCTAssertEqual(Escaping.latex("50% of a_b & {c}"), "50\\% of a\\_b \\& \\{c\\}")
    }

    func testFixedFormattingIsExactAndLocaleFree() {
        XCTAssertEqual(Format.fixed(0.12345, 3), "0.123")
        XCTAssertEqual(Format.fixed(0.9995, 3), "1.000")
        XCTAssertEqual(Format.fixed(-0.0004, 3), "0.000")
        XCTAssertEqual(Format.fixed(-1.25, 1), "-1.3")
        XCTAssertEqual(Format.fixed(12, 0), "12")
        XCTAssertEqual(Format.fixed(.nan), "n/a")
    }
}
