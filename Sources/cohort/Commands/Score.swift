import ArgumentParser
import CohortCatalog
import CohortCore
import CohortData
import CohortReport
import CohortTraining
import Foundation

/// `cohort score`: probabilities for a catalog partition or a folder of studies.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score images with a trained checkpoint and write per-image probabilities (and per breast and study) to CSV.",
        discussion: """
            Either a folder (no catalog needed; DICOM, PNG and TIFF found by content) or a catalog split partition \
            (--split, --partition; predictions are also stored in the catalog). Preprocessing is the one recorded in \
            the checkpoint. Unreadable files are listed in OUT.failures.csv and skipped; images are decoded in worker \
            processes, so a decoder that crashes or hangs on one file costs that file only. With --shard I/N only every \
            N-th image from the I-th is scored; without it the shard comes from Slurm (SLURM_ARRAY_TASK_ID and \
            SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX and COHORT_SHARD_COUNT). \
            `cohort merge` joins shard outputs.

            A segmentation checkpoint (unet, deeplabv3) also writes each predicted mask at the original image's size \
            as 8-bit PNG into --masks (binary 0/255 at --mask-threshold, or the lesion probability with \
            --probability-masks) and, for a DICOM source, as a DICOM Segmentation NAME.seg.dcm that references \
            it; scores it against the image's masks in the catalog (Dice, IoU, pixel sensitivity \
            and precision, HD95 and average surface distance in mm when the header gives the pixel spacing, in \
            pixels otherwise) into OUT.masks.csv and the catalog, and gives each image one score from its mask \
            (--mask-score max: the highest lesion probability; area: the predicted lesion fraction) so that it can \
            enter the same ROC comparison as the classifiers; the image's truth is then whether its reference \
            mask has a lesion.

            Examples:
              cohort score exams/ --model runs/cnn/best.safetensors --out scores.csv --tta
              cohort score --catalog c.sqlite --split main --partition test --model best.safetensors --out test.csv
            """
    )

    @Argument(help: "Folder of images to score (omit with --split).") var folder: String?
    @Option(name: .customLong("model"), help: ArgumentHelp("Checkpoint written by cohort train.", valueName: "checkpoint")) var checkpoint: String
    @Option(help: "Output CSV.") var out: String
    @Option(help: "Catalog split to score (with --partition).") var split: String?
    @Option(help: "Partition of the split.") var partition = "test"
    @Option(help: "Catalog file (only with --split).") var catalog: String = Catalog.defaultPath
    @Flag(help: "Test-time augmentation: average with the horizontally flipped image.") var tta = false
    @Option(help: "Aggregate per breast and per study by max or mean.") var aggregate = "max"
    @Option(help: ArgumentHelp("Score shard I of N (0-based), e.g. 2/8.", valueName: "I/N")) var shard: String?
    @Option(help: "Images per batch.") var batchSize = 16
    @Option(help: ArgumentHelp("Name of the scoring run in the catalog (default: TRAINING-RUN/PARTITION); `cohort evaluate --run NAME` reads it.", valueName: "name"))
    var name: String?
    @Flag(help: "No progress output.") var quiet = false
    @OptionGroup var isolation: IsolationOptions
    @OptionGroup var masks: MaskScoringOptions

    /// What the catalog records about this scoring run: checkpoint and its SHA-256, the training run, classes, options.
    func configurationJSON(_ scorer: Scorer) throws -> String {
        let digest = FileManager.default.contents(atPath: checkpoint).map { SHA256.hex([UInt8]($0)) } ?? ""
        var object: [String: Any] = ["checkpoint": checkpoint, "checkpoint_sha256": digest, "classes": scorer.classes,
                                     "tta": tta, "partition": partition, "aggregate": aggregate]
        if scorer.isSegmentation {
            object["mask_folder"] = URL(fileURLWithPath: masks.folder(out: out)).standardizedFileURL.path
            object["mask_score"] = masks.maskScore.rawValue
        }
        for key in ["run_name", "run_id", "architecture", "epoch", "seed", "split", "task_output"] { object["training_" + key] = scorer.metadata[key] }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The longest folder holding every entry (where catalog paths are shown from).
    func commonRoot(_ entries: [DatasetEntry]) -> String? {
        guard var root = entries.first.map({ ($0.path as NSString).deletingLastPathComponent }) else { return nil }
        for e in entries { while !root.isEmpty && !e.path.hasPrefix(root + "/") { root = (root as NSString).deletingLastPathComponent } }
        return root.isEmpty ? nil : root
    }

    func run() throws {
        guard (folder == nil) != (split == nil) else { throw ValidationError("give a folder to score, or --split (and --partition) of a catalog") }
        guard ["max", "mean"].contains(aggregate) else { throw ValidationError("--aggregate is max or mean") }
        let (index, count) = try ShardSpec.resolve(shard)  // a bad shard is refused before any work
        let scorer = try Scorer(checkpoint: checkpoint)
        let pool = try isolation.pool(threads: ProcessInfo.processInfo.activeProcessorCount)
        var entries: [DatasetEntry]
        var labels: [String] = []
        var store: (Catalog, Int64)?
        if let split {
            let c = try Catalog(path: catalog)
            // Labelled by the task the model was trained on (empty: the split's own).
            let task = scorer.metadata["task"].flatMap { $0.isEmpty ? nil : $0 }
            let all = try CatalogDataset.load(catalog: c, split: split, partition: partition, task: task)
            let dataset = scorer.isSegmentation ? all : all.withoutMasks()
            entries = dataset.entries
            labels = dataset.classes
            let run = try RunStore(catalog: c).begin(name: name ?? (scorer.metadata["run_name"] ?? "score") + "/" + partition, kind: "score",
                                                     configuration: try configurationJSON(scorer), split: split, task: nil,
                                                     model: scorer.metadata["architecture"], seed: nil, inputHash: nil, folder: nil)
            store = (c, run)
        } else {
            entries = Scorer.entries(folder: folder!, isolation: pool)
        }
        entries = Scorer.shard(entries, index: index, count: count)
        let outFolder = (out as NSString).deletingLastPathComponent
        if !outFolder.isEmpty { try FileManager.default.createDirectory(atPath: outFolder, withIntermediateDirectories: true) }
        let bar = ProgressReporter(label: "score")
        let start = Date()
        let writer = try scorer.isSegmentation ? masks.writer(out: out, scorer: scorer, root: folder ?? commonRoot(entries), catalog: split != nil) : nil
        var (scored, failures) = scorer.score(entries, batchSize: batchSize, flipAugmentation: tta, isolation: pool, maskScore: masks.maskScore,
                                              onMask: writer.map { w in { try w.handle($0, $1) } }) { done, total in
            if !quiet { bar.update(done: done, total: total, elapsed: Date().timeIntervalSince(start)) }
        }
        bar.finish()
        if let writer {
            (scored, labels) = MaskScoringOptions.lesionTruth(scored, writer.outcomes)
            try masks.finish(writer, out: out, catalog: store)
        }
        try ScoreCSV.write(scored, classes: scorer.classes, labels: labels, failures: failures, aggregate: aggregate, to: out)
        if let (c, run) = store {
            try RunStore(catalog: c).storePredictions(run: run, scored.map { s in
                (s.entry.imageId, s.entry.label.flatMap { labels.indices.contains($0) ? labels[$0] : nil }, s.probabilities)
            })
            try RunStore(catalog: c).finish(run: run, status: "finished", bestEpoch: nil)
        }
        print("scored \(scored.count) image(s)\(count > 1 ? " (shard \(index)/\(count))" : ""); \(failures.count) unreadable (listed in \(ScoreCSV.sibling(out, "failures")))")
        print("wrote \(out)")
    }
}

/// Shard selection from the flag or the batch system's environment.
enum ShardSpec {
    static func resolve(_ flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (Int, Int) {
        if let flag {
            let parts = flag.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]) else {
                throw ValidationError("--shard is I/N with 0 <= I < N, e.g. 0/4; got \(flag)")
            }
            return (parts[0], parts[1])
        }
        if let i = environment["SLURM_ARRAY_TASK_ID"].flatMap(Int.init), let n = environment["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) {
            let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
            return (i - minimum, n)
        }
        if let i = environment["JOB_COMPLETION_INDEX"].flatMap(Int.init) {
            guard let n = environment["COHORT_SHARD_COUNT"].flatMap(Int.init) else {
                throw ValidationError("JOB_COMPLETION_INDEX is set: also set COHORT_SHARD_COUNT to the Job's completions")
            }
            return (i, n)
        }
        return (0, 1)
    }
}

/// Score CSVs: per image, per breast and per study.
enum ScoreCSV {
    static func sibling(_ path: String, _ suffix: String) -> String { (path as NSString).deletingPathExtension + "." + suffix + ".csv" }

    static func field(_ text: String) -> String { Escaping.csvText(text) }

    static func write(_ scored: [ScoredImage], classes: [String], labels: [String], failures: [(path: String, message: String)],
                      aggregate: String, to path: String) throws {
        let header = (["path", "label"] + classes.map { "p_" + $0 }).map(field).joined(separator: ",")
        let rows = scored.sorted { $0.entry.path < $1.entry.path }.map { s -> String in
            let label = s.entry.label.flatMap { labels.indices.contains($0) ? labels[$0] : nil } ?? ""
            return ([field(s.entry.path), field(label)] + s.probabilities.map { String(format: "%.6f", $0) }).joined(separator: ",")
        }
        try (([header] + rows).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        func grouped(_ key: (ScoredImage) -> String?) -> [String] {
            var groups: [String: [[Double]]] = [:]
            for s in scored { if let k = key(s) { groups[k, default: []].append(s.probabilities) } }
            return groups.keys.sorted().map { k in
                let rows = groups[k]!
                let combined = classes.indices.map { c in aggregate == "max" ? rows.map { $0[c] }.max()! : rows.map { $0[c] }.reduce(0, +) / Double(rows.count) }
                return ([field(k), String(rows.count)] + combined.map { String(format: "%.6f", $0) }).joined(separator: ",")
            }
        }
        let groupHeader = (["group", "images"] + classes.map { "p_" + $0 }).map(field).joined(separator: ",")
        let breasts = grouped { s in s.entry.study.flatMap { study in s.entry.laterality.map { "\(study) \($0)" } } }
        let studies = grouped { $0.entry.study }
        if !studies.isEmpty {
            try (([groupHeader] + breasts).joined(separator: "\n") + "\n").write(toFile: sibling(path, "breast"), atomically: true, encoding: .utf8)
            try (([groupHeader] + studies).joined(separator: "\n") + "\n").write(toFile: sibling(path, "study"), atomically: true, encoding: .utf8)
        }
        let failureRows = failures.map { "\(field($0.path)),\(field($0.message))" }
        try ((["path,error"] + failureRows).joined(separator: "\n") + "\n").write(toFile: sibling(path, "failures"), atomically: true, encoding: .utf8)
    }
}

/// `cohort merge`: joins shard outputs of `cohort score`.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Join the CSV outputs of score shards into one file (same header; rows sorted; duplicates refused).")

    @Argument(help: "Shard CSV files.") var inputs: [String]
    @Option(help: "Merged CSV.") var out: String

    func run() throws {
        var header: String?, rows: [String] = [], seen = Set<String>()
        for input in inputs {
            guard let text = try? String(contentsOfFile: input, encoding: .utf8) else { throw ValidationError("\(input): cannot read") }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            guard !lines.isEmpty else { continue }
            let h = lines.removeFirst()
            if let header, header != h { throw ValidationError("\(input): its header differs from the first file's (were the shards scored with the same model?)") }
            header = h
            for line in lines {
                let key = String(line.split(separator: ",", maxSplits: 1).first ?? "")
                guard seen.insert(key).inserted else { throw ValidationError("\(input): \(key) appears in two shards") }
                rows.append(line)
            }
        }
        guard let header else { throw ValidationError("no rows in the inputs") }
        try (([header] + rows.sorted()).joined(separator: "\n") + "\n").write(toFile: out, atomically: true, encoding: .utf8)
        print("merged \(rows.count) row(s) from \(inputs.count) file(s) into \(out)")
    }
}
