import CohortCore
import Foundation

enum CohortVersionText { static let value = CohortVersion.string }

extension ReportRenderer {
    /// The self-contained HTML page: no scripts, no external assets; every string from data escaped.
    func html(tables: [(name: String, table: Table)], figures: [(name: String, svg: String)]) -> String {
        let r = report
        func figure(_ name: String) -> String { figures.first { $0.name == name }.map { "<figure>\($0.svg)</figure>" } ?? "" }
        func table(_ name: String) -> String {
            tables.first { $0.name == name }.map { "<h3>\(Escaping.html($0.table.title))</h3>\n\($0.table.html)\n<p class=\"file\">CSV: \(Escaping.html(name))</p>" } ?? ""
        }
        var body = "<h1>\(Escaping.html(r.title))</h1>\n"
        let splits = tables.filter { $0.name.hasPrefix("split-") }.map { table($0.name) }.joined(separator: "\n")
        body += "<section><h2>Dataset</h2>\n\(table("dataset.csv"))\(splits.isEmpty ? "" : "\n" + splits)</section>\n"
        body += "<section><h2>Discrimination</h2>\n\(table("summary.csv"))\n<div class=\"row\">\(figure("roc.svg"))\(figure("pr.svg"))</div>\n"
        body += "<p class=\"note\">ROC bands: pointwise 95% bootstrap bands (\(bandResamples) stratified resamples, seed \(seed)). AUC intervals: DeLong et al. (1988) and percentile bootstrap.</p></section>\n"
        if tables.contains(where: { $0.name == "comparisons.csv" }) {
            body += "<section><h2>Model comparison</h2>\n\(table("comparisons.csv"))</section>\n"
        }
        body += "<section><h2>Classification</h2>\n"
        if tables.contains(where: { $0.name == "intervals.csv" }) {
            body += "\(table("intervals.csv"))\n<p class=\"note\">Intervals: percentile bootstrap over the evaluated samples, resampled within each true class (the AUC bootstrap's resamples and seed); binary decisions at the model's threshold, multi-class by the highest score.</p>\n"
        }
        body += "\(table("per_class.csv"))\n\(table("operating_points.csv"))\n<div class=\"row\">"
        body += figures.filter { $0.name.hasPrefix("confusion-") }.map { "<figure>\($0.svg)</figure>" }.joined() + "</div></section>\n"
        if figures.contains(where: { $0.name == "calibration.svg" }) {
            body += "<section><h2>Calibration</h2>\n<div class=\"row\">\(figure("calibration.svg"))</div></section>\n"
        }
        if !r.segmentations.isEmpty {
            body += "<section><h2>Segmentation</h2>\n\(table("segmentation.csv"))\n<div class=\"row\">\(figure("dice.svg"))</div>\n"
            body += "<p class=\"note\">Per image: Dice, IoU, pixel sensitivity and precision, 95th percentile Hausdorff distance and average symmetric surface distance (MONAI's definitions; distances in mm when the image gives its pixel spacing). Empty reference and empty prediction: Dice and IoU 1, distances 0; only one empty: Dice and IoU 0, distances undefined (left out of means and counted). Rows per class: the images of each class of the split's task, and of each mask label when the masks have several, every image with a reference. Intervals: percentile bootstrap over images.</p></section>\n"
        }
        for (g, gallery) in r.galleries.enumerated() {
            body += "<section><h2>\(Escaping.html(gallery.title))</h2>\n"
            if !gallery.note.isEmpty { body += "<p class=\"note\">\(Escaping.html(gallery.note))</p>\n" }
            body += "<div class=\"row\">"
            for (k, picture) in gallery.pictures.enumerated() {
                body += "<figure class=\"picture\"><img alt=\"\(Escaping.html(picture.caption))\" src=\"data:image/png;base64,\(Data(picture.png).base64EncodedString())\">"
                body += "<figcaption>\(Escaping.html(picture.caption))<br><span class=\"file\">\(Self.picturePath(gallery: g, picture: k))</span></figcaption></figure>"
            }
            body += "</div></section>\n"
        }
        if !r.histories.isEmpty {
            body += "<section><h2>Training</h2>\n<div class=\"row\">\(figure("loss.svg"))\(figure("accuracy.svg"))</div></section>\n"
        }
        body += "<section><h2>Provenance</h2>\n<table><tbody>\n"
        for (name, value) in r.provenance.facts + [("software", CohortReportVersion.string)] {
            body += "<tr><th>\(Escaping.html(name))</th><td><code>\(Escaping.html(value))</code></td></tr>\n"
        }
        body += "</tbody></table></section>\n"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(Escaping.html(r.title))</title>
            <style>
            body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
            h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
            h3 { font-size: 1em; margin-bottom: 0.3em; }
            table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
            th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            .row { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; }
            .note, .file { color: #666; font-size: 0.85em; }
            figure.picture img { width: 250px; height: auto; display: block; } figure.picture figcaption { font-size: 0.8em; max-width: 250px; }
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }
}
