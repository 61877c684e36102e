import ArgumentParser
import CohortCore
import CohortData
import CohortImageIO
import CohortReport
import CohortTraining
import Foundation

/// `cohort explain`: Grad-CAM heat maps of a classifier's decisions.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw where a classifier looked: Grad-CAM heat maps over the images, as PNG.",
        discussion: """
            For each image (files, or folders searched for DICOM, PNG and TIFF by content), the checkpoint's \
            preprocessing is applied, the model predicts, and the gradient of the predicted class's score (or of \
            --class) with respect to a layer's activations weights those activations (Grad-CAM, Selvaraju et al. \
            2017). The map is drawn over the original image (crop, orientation flip and padding undone) in \
            OUT/NAME.gradcam.png; OUT/explanations.csv lists image, class, probability and the hottest point. \
            The default layer is the model's last convolutional block (features, layer4...); --layer names \
            another, nested ones with dots (features.3). Where a fully connected layer reads the maps position by \
            position (simple-cnn, mammo-cnn, paper-cnn) a channel's mean gradient can point away from the \
            evidence, so --method auto then weights element-wise (HiResCAM, Draelos & Carin 2020); after global \
            average pooling the two are the same map.

            Example:
              cohort explain --model runs/cnn/best.safetensors exams/ --out explain/ --class malignant
            """
    )

    @Argument(help: "Image files or folders.") var images: [String]
    @Option(name: .customLong("model"), help: ArgumentHelp("Classifier checkpoint written by cohort train.", valueName: "checkpoint"))
    var checkpoint: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "Target layer (default: the last convolutional block).") var layer: String?
    @Option(name: .customLong("class"), help: "Class to explain (default: the predicted one).") var className: String?
    @Option(help: "auto (HiResCAM when a fully connected layer reads the maps, Grad-CAM after global pooling), gradcam or hirescam.")
    var method: GradCAM.Method = .automatic
    @Option(help: "Largest opacity of the heat colours over the image.") var opacity: Float = 0.6

    func run() throws {
        guard !images.isEmpty else { throw ValidationError("give image files or folders to explain") }
        let explainer = try Explainer(checkpoint: checkpoint, layer: layer, method: method)
        var entries: [DatasetEntry] = []
        for path in images {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw ValidationError("\(path): no such file or folder") }
            if isFolder.boolValue {
                entries += Scorer.entries(folder: path)
            } else {
                let facts = IsolatedSamples.headerFacts(path: path)
                guard facts.isImage else { throw ValidationError("\(path): not a DICOM, PNG or TIFF image") }
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                entries.append(DatasetEntry(imageId: Int64(entries.count), path: absolute, label: nil, laterality: facts.laterality,
                                            maskPaths: [], contentKey: "file:" + absolute))
            }
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var rows = ["path,class,probability,layer,peak_row,peak_column,picture"], failures = 0, used = Set<String>()
        for entry in entries {
            do {
                let e = try explainer.explain(entry, className: className)
                var name = ((entry.path as NSString).lastPathComponent as NSString).deletingPathExtension
                while !used.insert(name).inserted { name += "_" }
                try PNGWriter.write(Overlay.heatmap(e.display, e.heat, opacity: opacity), to: out + "/" + name + ".gradcam.png")
                let peak = e.heat.values.indices.max { e.heat.values[$0] < e.heat.values[$1] } ?? 0
                rows.append([Escaping.csvText(entry.path), Escaping.csvText(e.className), String(format: "%.6f", e.probability),
                             Escaping.csvText(explainer.gradCAM.layer), String(peak / e.heat.width), String(peak % e.heat.width),
                             Escaping.csvText(name + ".gradcam.png")].joined(separator: ","))
                print(String(format: "%@: %@ %.3f", entry.path, e.className, e.probability))
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("\(entry.path): \(error)\n".utf8))
            }
        }
        try (rows.joined(separator: "\n") + "\n").write(toFile: out + "/explanations.csv", atomically: true, encoding: .utf8)
        print("explained \(rows.count - 1) image(s) at layer \(explainer.gradCAM.layer) (\(explainer.gradCAM.method.rawValue))\(failures > 0 ? "; \(failures) failed (above)" : ""); wrote \(out)/")
        if failures > 0 && rows.count == 1 { throw ExitCode.failure }
    }
}

extension GradCAM.Method: ExpressibleByArgument {}
