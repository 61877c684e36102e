import ArgumentParser
import CohortCore
import CohortNN
import CohortTensor
import Foundation

/// `cohort bench train`: training or inference throughput of a zoo model on random inputs.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training (or inference) images per second of a zoo model on seeded random inputs.",
        discussion: """
            One warm-up step, then --steps timed steps of forward, cross-entropy, backward and an Adam update (or \
            forward only with --inference). Prints the median step time, images/s, achieved GFLOP/s of the \
            convolutions and linear layers, and peak RSS. bench/train.sh runs PyTorch on the same models next to it.

            Example:
              cohort bench train --model resnet18 --batch-size 8 --size 224 --steps 5
            """
    )

    @Option(help: "Zoo model.") var model = "simple-cnn"
    @Option(help: "Images per step.") var batchSize = 8
    @Option(help: "Square input size.") var size = 224
    @Option(help: "Input channels (default: 1 for mammo-cnn, else 3).") var channels: Int?
    @Option(help: "Classes.") var classes = 2
    @Option(help: "Timed steps.") var steps = 5
    @Flag(help: "Forward passes in evaluation mode only.") var inference = false
    @Option(help: "Compute threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Also time each layer of Sequential models.") var profile = false
    @Flag(help: "Machine-readable line: model,batch,size,mode,median_seconds,images_per_second,peak_rss_mb,gflops.") var csv = false

    func run() throws {
        OneDNNThreads.set(threads)
        let segmenter = ModelZoo.segmenters.contains(model)
        let inputChannels = channels ?? (model == "mammo-cnn" || model.hasPrefix("unet") ? 1 : 3)
        let net = try ModelZoo.make(model, channels: inputChannels, height: size, width: size, classes: classes)
        WeightInitialization.kaimingUniform(net, seed: 1)
        net.skipsInputGradient()  // as PyTorch, whose input does not require gradients
        var random = SeededGenerator(seed: 2)
        let input = Tensor(shape: [batchSize, inputChannels, size, size], data: (0..<(batchSize * inputChannels * size * size)).map { _ in Scalar(random.normal()) })
        let labels = (0..<batchSize).map { $0 % classes }
        // Segmenters: per-pixel targets, a square lesion in every image (as bench/torch_train.py).
        let pixelTargets = !segmenter ? [] : (0..<(batchSize * size * size)).map { i -> Int in
            let (y, x) = ((i / size) % size, i % size)
            return (size / 4..<size / 2).contains(y) && (size / 4..<size / 2).contains(x) ? 1 : 0
        }
        let optimizer = Adam(parameters: net.parameters, learningRate: 1e-4)
        var times: [Double] = []
        var layerTimes: [String: (forward: Double, backward: Double)] = [:]
        let leaves = profile ? Self.leaves(net, prefix: "") : []
        for step in 0...steps {
            if step == 1 { (FlopCounter.enabled, FlopCounter.multiplyAdds) = (true, 0) }
            if step == 2 { FlopCounter.enabled = false }
            let start = DispatchTime.now().uptimeNanoseconds
            if inference && !leaves.isEmpty {
                var x = input
                for (name, layer) in leaves {
                    let t = DispatchTime.now().uptimeNanoseconds
                    x = layer.forward(x, training: false)
                    if step > 0 { layerTimes[name, default: (0, 0)].forward += Self.seconds(since: t) }
                }
            } else if inference {
                _ = GradientRecording.withoutGradients { net.forward(input, training: false) }
            } else if !leaves.isEmpty {
                var x = input
                for (name, layer) in leaves {
                    let t = DispatchTime.now().uptimeNanoseconds
                    x = layer.forward(x, training: true)
                    if step > 0 { layerTimes[name, default: (0, 0)].forward += Self.seconds(since: t) }
                }
                var g = softmaxCrossEntropy(x, labels: labels.map { min($0, x.shape[1] - 1) }).gradient
                net.zeroGradients()
                for (name, layer) in leaves.reversed() {
                    let t = DispatchTime.now().uptimeNanoseconds
                    g = layer.backward(g)
                    if step > 0 { layerTimes[name, default: (0, 0)].backward += Self.seconds(since: t) }
                }
                let t = DispatchTime.now().uptimeNanoseconds
                optimizer.update()
                if step > 0 { layerTimes["(adam)", default: (0, 0)].backward += Self.seconds(since: t) }
            } else {
                let logits = net.forward(input, training: true)
                let loss = segmenter ? pixelwiseCrossEntropy(logits, targets: pixelTargets)
                    : model == "mammo-cnn" ? binaryCrossEntropyWithLogits(logits, targets: labels.map { Scalar($0 % 2) })
                    : softmaxCrossEntropy(logits, labels: labels)
                net.zeroGradients()
                _ = net.backward(loss.gradient)
                optimizer.update()
            }
            if step > 0 { times.append(Self.seconds(since: start)) }
        }
        let median = times.sorted()[times.count / 2]
        let rate = Double(batchSize) / median
        let rss = Self.peakRSSMegabytes()
        // Training does about three times the forward multiply-adds (forward, input gradient, weight gradient).
        let gflops = Double(FlopCounter.multiplyAdds) * 2 * (inference ? 1 : 3) / median / 1e9
        let mode = inference ? "inference" : "train"
        if csv {
            print(String(format: "%@,%d,%d,%@,%.6f,%.3f,%.0f,%.1f", model, batchSize, size, mode, median, rate, rss, gflops))
        } else {
            print(String(format: "%@ %@ batch %d %dx%d: median step %.3f s, %.2f images/s, %.1f GFLOP/s of convolutions and linear layers, peak RSS %.0f MB",
                         model, mode, batchSize, size, size, median, rate, gflops, rss))
        }
        if profile {
            let total = layerTimes.values.reduce(0) { $0 + $1.forward + $1.backward }
            for (name, t) in layerTimes.sorted(by: { $0.value.forward + $0.value.backward > $1.value.forward + $1.value.backward }).prefix(25) {
                print(String(format: "  %-40@ forward %7.3f s  backward %7.3f s  %5.1f%%", name as NSString, t.forward / Double(steps),
                             t.backward / Double(steps), 100 * (t.forward + t.backward) / total))
            }
        }
    }

    static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// Leaf modules of nested Sequentials, named by path and type; nil-safe for other containers (kept whole).
    static func leaves(_ module: Module, prefix: String) -> [(String, Module)] {
        guard let sequential = module as? Sequential else { return [(prefix + " " + String(describing: type(of: module)), module)] }
        return sequential.children.flatMap { leaves($0.module, prefix: prefix.isEmpty ? $0.name : prefix + "." + $0.name) }
    }

    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
