import CohortCatalog
import CohortNN
import CohortTensor
import Foundation

/// The configured optimizer behind one interface: update, learning rate, and its state as tensors (for exact
/// resumes).
public final class OptimizerState {
    let adam: Adam?
    let sgd: SGD?

    init(adam: Adam? = nil, sgd: SGD? = nil) {
        self.adam = adam
        self.sgd = sgd
    }

    static func make(_ c: TrainingConfiguration, parameters: [Parameter]) -> OptimizerState {
        switch c.optimizer {
        case "sgd": return OptimizerState(sgd: SGD(parameters: parameters, learningRate: Float(c.learningRate), momentum: 0.9, weightDecay: Float(c.weightDecay)))
        case "adamw": return OptimizerState(adam: Adam(parameters: parameters, learningRate: Float(c.learningRate), weightDecay: Float(c.weightDecay), decoupled: true))
        default: return OptimizerState(adam: Adam(parameters: parameters, learningRate: Float(c.learningRate), weightDecay: Float(c.weightDecay)))
        }
    }

    func update() { adam?.update(); sgd?.update() }

    var rate: Double { Double(adam?.learningRate ?? sgd?.learningRate ?? 0) }

    func setRate(_ rate: Double) {
        adam?.learningRate = Float(rate)
        sgd?.learningRate = Float(rate)
    }

    /// Moment buffers as named tensors, and the step count.
    var tensors: [String: Tensor] {
        var out: [String: Tensor] = [:]
        if let adam {
            for (k, p) in adam.parameters.enumerated() {
                out["m.\(k)"] = Tensor(shape: p.value.shape, data: adam.m[k])
                out["v.\(k)"] = Tensor(shape: p.value.shape, data: adam.v[k])
            }
            out["step"] = Tensor(shape: [1], data: [Float(adam.step)])
        }
        if let sgd {
            for (k, p) in sgd.parameters.enumerated() { out["velocity.\(k)"] = Tensor(shape: p.value.shape, data: sgd.velocity[k]) }
            out["started"] = Tensor(shape: [1], data: [sgd.started ? 1 : 0])
        }
        return out
    }

    func restore(_ t: [String: Tensor]) {
        if let adam {
            for k in adam.parameters.indices {
                if let m = t["m.\(k)"] { adam.m[k] = m.data }
                if let v = t["v.\(k)"] { adam.v[k] = v.data }
            }
            adam.step = Int(t["step"]?.data.first ?? 0)
        }
        if let sgd {
            for k in sgd.parameters.indices { if let v = t["velocity.\(k)"] { sgd.velocity[k] = v.data } }
            sgd.started = (t["started"]?.data.first ?? 0) == 1
        }
    }
}

/// What a resume needs, in one file written atomically after each epoch (`resume.safetensors`): the weights
/// (`model.*`), the optimizer state (`optimizer.*`) and the early-stopping counters. One file, so a kill can never
/// pair the weights of one epoch with the optimizer state of another.
struct ResumeState {
    var nextEpoch: Int, bestLoss: Double, bestEpoch: Int, badEpochs: Int

    func save(folder: String, model: Module, optimizer: OptimizerState) throws {
        var tensors: [String: Tensor] = [:]
        for entry in model.state { tensors["model." + entry.name] = entry.parameter.value }
        for (name, t) in optimizer.tensors { tensors["optimizer." + name] = t }
        try Checkpoint(tensors: tensors, metadata: [
            "next_epoch": String(nextEpoch), "best_loss": String(bestLoss), "best_epoch": String(bestEpoch), "bad_epochs": String(badEpochs),
        ]).write(to: folder + "/resume.safetensors")
    }

    /// Loads weights and optimizer state; nil when there is nothing to resume.
    static func load(folder: String, model: Module, optimizer: OptimizerState) throws -> ResumeState? {
        guard FileManager.default.fileExists(atPath: folder + "/resume.safetensors") else { return nil }
        let state = try Checkpoint.read(from: folder + "/resume.safetensors")
        func part(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: state.tensors.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        }
        try Checkpoint(tensors: part("model."), metadata: [:]).load(into: model)
        optimizer.restore(part("optimizer."))
        let m = state.metadata
        return ResumeState(nextEpoch: Int(m["next_epoch"] ?? "0") ?? 0, bestLoss: Double(m["best_loss"] ?? "inf") ?? .infinity,
                           bestEpoch: Int(m["best_epoch"] ?? "0") ?? 0, badEpochs: Int(m["bad_epochs"] ?? "0") ?? 0)
    }
}

/// The per-epoch history as CSV (`epoch,phase,loss,accuracy,...`), readable by `cohort report --history`.
enum HistoryCSV {
    static func write(_ rows: [CohortCatalog.EpochRecord], to path: String) throws {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6f", $0) } ?? "" }
        var text = "epoch,phase,loss,accuracy,precision,recall,f1,auc,learning_rate,seconds,dice,iou\n"
        for r in rows {
            text += "\(r.epoch),\(r.phase),\(f(r.loss)),\(f(r.accuracy)),\(f(r.precision)),\(f(r.recall)),\(f(r.f1)),\(f(r.auc)),\(f(r.learningRate)),\(f(r.seconds)),\(f(r.dice)),\(f(r.iou))\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
