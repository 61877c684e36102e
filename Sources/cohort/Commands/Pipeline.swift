import ArgumentParser
import CohortCatalog
import CohortCore
import Foundation
import Yams

/// `cohort pipeline`: a whole experiment from one YAML file, reusing the steps already done.
struct Pipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a whole experiment from a YAML file: import, labels, split, train, score, evaluate, report.",
        discussion: """
            Each step is the cohort command it prints (so any step can be rerun or changed by hand), and steps \
            already done are reused: the import and labels are idempotent, an existing split with the same settings \
            is kept, a model whose settings did not change keeps its finished training run (an interrupted one is \
            resumed), and its scores are kept while its checkpoint is the same. Paths are relative to the current \
            directory. The file:

              title: Synthetic mammography demo
              catalog: catalogs/demo/demo.sqlite
              import: {paths: [catalogs/demo/studies]}          # also deidentify + key, labels_from_folders, mask_suffix
              labels: {csv: catalogs/demo/studies/labels.csv, task: finding, value_column: finding, path_column: path}
                # or a task derived from another: {derive_from: pathology, task: abnormal, map: {benign: abnormal}}
              split: {name: main, task: finding, ratios: [0.6, 0.2, 0.2], group: patient, seed: 7}
              data: {size: [96, 96], resize: pad, crop_to_foreground: true, orientation: laterality}
              training: {epochs: 12, batch_size: 16, learning_rate: 0.001}    # defaults of every model
              models:
                - {name: cnn, model: simple-cnn}
                - {name: cnn-lr3e-4, model: simple-cnn, learning_rate: 0.0003}
                # per model also: task (labels of another task on the split), include_classes, segmentation_loss
              score: {partition: test, tta: true}
              report: {out: catalogs/demo/report, positive: mass, resamples: 1000}

            Example:
              cohort pipeline examples/demo/experiment.yaml
            """
    )

    @Argument(help: "The experiment file (YAML).") var experiment: String
    @Flag(help: "Retrain and rescore every model even when a finished run with the same settings exists.") var force = false
    @Flag(help: "No progress bars.") var quiet = false

    static let sections: Set<String> = ["title", "catalog", "import", "labels", "split", "data", "training", "models", "score", "report"]
    static let modelKeys: [String: String] = [
        "model": "--model", "epochs": "--epochs", "batch_size": "--batch-size", "optimizer": "--optimizer",
        "learning_rate": "--learning-rate", "step_size": "--step-size", "patience": "--patience", "min_epochs": "--min-epochs",
        "monitor": "--monitor", "segmentation_loss": "--segmentation-loss", "task": "--task",
        "seed": "--seed", "size": "--size", "initial_weights": "--initial-weights",
    ]

    func run() throws {
        let file = try ExperimentFile(path: experiment)
        let start = Date()
        let catalogPath = file.string("catalog") ?? Catalog.defaultPath
        var step = 0
        /// Numbers and prints a step: the command it runs, or (no arguments) what it reuses.
        func announce(_ title: String, _ arguments: [String] = []) {
            step += 1
            print("\n== \(step). \(title)" + (arguments.isEmpty ? "" : "\n   cohort \(arguments.map(Self.quoted).joined(separator: " "))"))
        }
        let progress = quiet ? ["--quiet"] : []

        // 1. Import (idempotent) and labels.
        if let section = try file.section("import") {
            guard let paths = section["paths"] as? [String], !paths.isEmpty else { throw file.error("import.paths is a list of folders or files") }
            var arguments = ["import"] + paths + ["--catalog", catalogPath] + progress
            if section["deidentify"] as? Bool == true {
                guard let key = section["key"] as? String else { throw file.error("import.deidentify needs import.key (a secret key file)") }
                arguments += ["--deidentify", "--key", key]
            }
            if let task = section["labels_from_folders"] as? String { arguments += ["--labels-from-folders", task] }
            if let suffix = section["mask_suffix"] as? String { arguments += ["--mask-suffix", suffix] }
            announce("import", arguments)
            try Self.runTolerating(arguments, what: "some files could not be imported; see `cohort failures --catalog \(catalogPath)`")
        }
        if let section = try file.section("labels"), let source = section["derive_from"] as? String {
            guard let task = section["task"] as? String else { throw file.error("labels.derive_from needs labels.task (the new task's name)") }
            var arguments = ["labels", "derive", "--from", source, "--task", task, "--catalog", catalogPath]
            for (old, new) in (section["map"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                // YAML reads unquoted yes/no/on/off as booleans: a label value must stay the text written.
                guard let value = new as? String else { throw file.error("labels.map.\(old) must be text; quote it (\"\(new)\" became \(type(of: new)))") }
                arguments += ["--map", "\(old)=\(value)"]
            }
            announce("labels", arguments)
            try Self.execute(arguments)
        } else if let section = try file.section("labels") {
            guard let csv = section["csv"] as? String, let task = section["task"] as? String else { throw file.error("labels needs csv and task") }
            var arguments = ["labels", "import", csv, "--task", task, "--value-column", section["value_column"] as? String ?? task, "--catalog", catalogPath]
            for (key, flag) in [("path_column", "--path-column"), ("uid_column", "--uid-column"), ("patient_column", "--patient-column"),
                                ("laterality_column", "--laterality-column"), ("view_column", "--view-column"), ("key", "--key")] {
                if let value = section[key] as? String { arguments += [flag, value] }
            }
            if section["path_column"] == nil && section["uid_column"] == nil && section["patient_column"] == nil { arguments += ["--path-column", "path"] }
            announce("labels", arguments)
            try Self.runTolerating(arguments, what: "some label rows were not applied (listed above)")
        }

        // 2. Split: reused when it exists with the same settings.
        guard let split = try file.section("split"), let splitName = split["name"] as? String, let task = split["task"] as? String,
              let ratios = split["ratios"] as? [Any], ratios.count >= 2 else {
            throw file.error("split needs name, task and ratios (e.g. [0.6, 0.2, 0.2])")
        }
        let ratioText = ratios.map { "\($0)" }.joined(separator: ",")
        let group = split["group"] as? String ?? "patient", seed = split["seed"].map { "\($0)" } ?? "0"
        let catalog = try Catalog(path: catalogPath)
        if let existing = try? SplitStore(catalog: catalog).summary(name: splitName) {
            let same = existing.task == task && existing.grouping == group && String(existing.seed) == seed &&
                zip(existing.partitions.map(\.ratio), ratios.compactMap { Double("\($0)") }).allSatisfy { abs($0 - $1) < 1e-9 }
            guard same else {
                throw file.error("split '\(splitName)' already exists in \(catalogPath) with other settings (task \(existing.task), grouped by \(existing.grouping), seed \(existing.seed)); give the experiment's split another name")
            }
            announce("split: reusing '\(splitName)' (same task, ratios, grouping and seed)")
        } else {
            let arguments = ["split", "create", splitName, "--task", task, "--ratios", ratioText, "--group", group, "--seed", seed, "--catalog", catalogPath]
            announce("split", arguments)
            try Self.execute(arguments)
        }

        // 3. Train and score every model.
        let scoreSection = try file.section("score") ?? [:]
        let partition = scoreSection["partition"] as? String ?? "test"
        let tta = scoreSection["tta"] as? Bool ?? false
        guard let models = file.root["models"] as? [[String: Any]], !models.isEmpty else { throw file.error("models is a list, e.g. [{name: cnn, model: simple-cnn}]") }
        let runsFolder = (catalogPath as NSString).deletingLastPathComponent + "/runs"
        let reportSection = try file.section("report") ?? [:]
        let out = reportSection["out"] as? String ?? (catalogPath as NSString).deletingLastPathComponent + "/report"
        var runArguments: [String] = []
        for model in models {
            guard let name = model["name"] as? String, !name.isEmpty, !name.contains("/"), !name.contains("=") else {
                throw file.error("every model needs a name (no '/' or '='), e.g. {name: cnn, model: simple-cnn}")
            }
            if let unknown = Set(model.keys).subtracting(Self.modelKeys.keys).subtracting(["name", "class_weights", "class_balanced", "include_classes"]).sorted().first {
                throw file.error("unknown key '\(unknown)' in model '\(name)'; known: name, class_weights, class_balanced, include_classes, \(Self.modelKeys.keys.sorted().joined(separator: ", "))")
            }
            let folder = runsFolder + "/" + name
            var arguments = ["train", "--config", experiment, "--catalog", catalogPath, "--name", name, "--split", splitName, "--out", folder]
            for (key, flag) in Self.modelKeys.sorted(by: { $0.key < $1.key }) { if let value = model[key] { arguments += [flag, "\(value)"] } }
            if model["class_weights"] as? Bool == true { arguments.append("--class-weights") }
            if model["class_balanced"] as? Bool == true { arguments.append("--class-balanced") }
            if let include = model["include_classes"] {
                guard let list = include as? [Any], !list.isEmpty else { throw file.error("include_classes of model '\(name)' is a list of class names") }
                arguments += ["--include-classes", list.map { "\($0)" }.joined(separator: ",")]
            }
            // Weights to start from are part of what a run is: replaced under the same name, the run is redone.
            var weightsDigest: [String] = []
            if let path = model["initial_weights"] as? String ?? (file.root["training"] as? [String: Any])?["initial_weights"] as? String {
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw file.error("cannot read the initial weights '\(path)' of model '\(name)' (a safetensors file)")
                }
                weightsDigest = ["initial weights sha256 " + SHA256.hex([UInt8](bytes))]
            }
            let fingerprint = SHA256.hex(Array((try file.fingerprint(extra: arguments + weightsDigest)).utf8))
            let store = RunStore(catalog: catalog)
            let previous = try? store.find(name, kind: "train")
            let recorded = try? String(contentsOfFile: folder + "/pipeline.fingerprint", encoding: .utf8)
            if !force, let previous, recorded == fingerprint, previous.status != "running", FileManager.default.fileExists(atPath: folder + "/best.safetensors") {
                announce("train \(name): reusing run \(previous.id) (\(previous.status), best epoch \(previous.bestEpoch.map(String.init) ?? "-"); settings unchanged)")
            } else {
                // An interrupted run is resumed only when it was started with these very settings (the fingerprint is
                // written before training starts); anything else trains afresh.
                if !force, previous?.status == "running", recorded == fingerprint,
                   FileManager.default.fileExists(atPath: folder + "/resume.safetensors") { arguments.append("--resume") }
                announce("train \(name)", arguments + progress)
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try Data(fingerprint.utf8).write(to: URL(fileURLWithPath: folder + "/pipeline.fingerprint"), options: .atomic)
                try Self.execute(arguments + progress)
            }
            let checkpoint = folder + "/best.safetensors"
            let scoreName = name + "/" + partition
            let trainingRun = try store.find(name, kind: "train")
            let digest = FileManager.default.contents(atPath: checkpoint).map { SHA256.hex([UInt8]($0)) }
            if !force, let scored = try? store.find(scoreName, kind: "score"), scored.status == "finished",
               scored.settings["training_run_id"] == String(trainingRun.id), scored.settings["checkpoint_sha256"] == digest,
               scored.settings["tta"] == (tta ? "1" : "0") {
                announce("score \(name): reusing run \(scored.id) '\(scoreName)' (same checkpoint)")
            } else {
                let arguments = ["score", "--catalog", catalogPath, "--split", splitName, "--partition", partition, "--model", checkpoint,
                                 "--name", scoreName, "--out", out + "/scores/" + name + ".csv"] + (tta ? ["--tta"] : []) + progress
                announce("score \(name)", arguments)
                try Self.execute(arguments)
            }
            runArguments += ["--run", name + "=" + scoreName]
        }

        // 4. Evaluate and report.
        var arguments = ["evaluate", "--catalog", catalogPath] + runArguments + ["--out", out, "--title", file.string("title") ?? "Experiment"]
        if let positive = reportSection["positive"] { arguments += ["--positive", "\(positive)"] }
        if let resamples = reportSection["resamples"] { arguments += ["--resamples", "\(resamples)"] }
        if let seed = reportSection["seed"] { arguments += ["--seed", "\(seed)"] }
        announce("evaluate and report", arguments)
        try Self.execute(arguments)
        print(String(format: "\npipeline finished in %.0f s; report: %@/report.html", Date().timeIntervalSince(start), out))
    }

    static func quoted(_ argument: String) -> String {
        argument.contains(where: { " '\"$".contains($0) }) ? "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'" : argument
    }

    /// Runs a cohort command line in this process.
    static func execute(_ arguments: [String]) throws {
        var command = try Cohort.parseAsRoot(arguments)
        try command.run()
    }

    /// Runs a command whose exit status 3 means "done, with problems listed": the pipeline notes it and goes on.
    static func runTolerating(_ arguments: [String], what: String) throws {
        do { try execute(arguments) } catch let code as ExitCode where code.rawValue == 3 {
            print("note: \(what); continuing")
        }
    }
}

/// The experiment YAML: sections as dictionaries, errors naming the file.
struct ExperimentFile {
    let path: String
    let root: [String: Any]
    let text: String

    init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the experiment file \(path)")
        }
        self.path = path
        self.text = text
        do {
            guard let root = try Yams.load(yaml: text) as? [String: Any] else { throw ValidationError("\(path): the experiment file is not a YAML mapping") }
            self.root = root
        } catch let error as ValidationError { throw error } catch { throw ValidationError("\(path): not valid YAML: \(error)") }
        if let unknown = Set(root.keys).subtracting(Pipeline.sections).sorted().first {
            throw ValidationError("\(path): unknown section '\(unknown)'; sections are \(Pipeline.sections.sorted().joined(separator: ", "))")
        }
    }

    func error(_ message: String) -> ValidationError { ValidationError("\(path): \(message)") }
    func string(_ key: String) -> String? { root[key] as? String }

    func section(_ key: String) throws -> [String: Any]? {
        guard let value = root[key] else { return nil }
        guard let section = value as? [String: Any] else { throw error("\(key) must be a mapping of settings") }
        return section
    }

    /// What decides a model's training: the data and training sections and the model's own command line.
    func fingerprint(extra: [String]) throws -> String {
        let sections = try ["data", "training", "split"].map { key in try root[key].map { try Yams.dump(object: $0, sortKeys: true) } ?? "" }
        return (sections + extra).joined(separator: "\n")
    }
}
