import CohortNN
import CohortTensor
import XCTest

/// Seeded values in [-1, 1) from one linear congruential sequence, for the random inputs of these tests.
private struct Uniform {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Double(state >> 11) * 0x1p-53 * 2 - 1)
    }
}

/// The fast paths (oneDNN convolutions, SIMD linear kernels) against the reference loops, on random and awkward shapes.
final class OneDNNTests: XCTestCase {
    func testOneDNNConvolutionsEqualTheReferenceLoops() {
        checkConvolutionsAgainstTheReferenceLoops()
    }

    /// The same with every shared scratch copy freed and allocated again on each call, as activations above 64 MB are.
    func testConvolutionsAreRightWhenScratchCopiesAreGivenBack() {
        OneDNNConvolution.releasesAllScratch = true
        defer { OneDNNConvolution.releasesAllScratch = false }
        checkConvolutionsAgainstTheReferenceLoops()
    }

    private func checkConvolutionsAgainstTheReferenceLoops() {
        var uniform = Uniform(state: 3)
        func random() -> Float { uniform.next() }
        let cases: [(Conv2d, [Int])] = [
            (Conv2d(3, 8, kernel: 3, padding: 1), [2, 3, 9, 7]),
            // Channel counts for which oneDNN picks blocked layouts (reordered copies in the shared scratch pool).
            (Conv2d(32, 32, kernel: 3, padding: 1), [2, 32, 6, 5]), (Conv2d(64, 16, kernel: 1, stride: 2, bias: false), [2, 64, 6, 6]),
            (Conv2d(4, 6, kernel: 3, stride: 2, padding: 1, groups: 2), [1, 4, 8, 8]),
            (Conv2d(6, 6, kernel: 3, padding: 2, dilation: 2, groups: 6, bias: false), [2, 6, 7, 7]),
            (Conv2d(3, 5, kernel: 7, stride: 2, padding: 3, bias: false), [1, 3, 13, 11]),
            (Conv2d(5, 4, kernel: 1), [3, 5, 4, 4]),
            // 1x1 to fewer than 16 channels: kept in plain NCHW (a segmentation head), also strided.
            (Conv2d(16, 2, kernel: 1), [2, 16, 9, 9]), (Conv2d(32, 3, kernel: 1, stride: 2, bias: false), [2, 32, 7, 6]),
            (Conv2d(2, 3, kernel: 3), [1, 2, 5, 6]),
        ]
        for (layer, shape) in cases {
            for (_, p) in layer.state { for i in p.value.data.indices { p.value.data[i] = random() } }
            let x = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in random() })
            layer.usesOneDNN = true
            let fast = layer.forward(x, training: false)
            layer.usesOneDNN = false
            let reference = layer.forward(x, training: false)
            XCTAssertEqual(fast.shape, reference.shape)
            let worst = zip(fast.data, reference.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-4, "\(shape) stride \(layer.stride) dilation \(layer.dilation) groups \(layer.groups)")
            // Backward: input, weight and bias gradients of both paths for the same output gradient.
            let g = Tensor(shape: fast.shape, data: fast.data.indices.map { _ in random() })
            func gradients(_ oneDNN: Bool) -> [Tensor] {
                layer.usesOneDNN = oneDNN
                _ = layer.forward(x, training: true)
                layer.zeroGradients()
                let gx = layer.backward(g)
                return [gx] + layer.parameters.map(\.gradient)
            }
            for (a, b) in zip(gradients(true), gradients(false)) {
                let error = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(error, 1e-3, "backward \(shape) groups \(layer.groups)")
            }
        }
    }

    func testSIMDLinearLayersEqualTheReferenceLoops() {
        var uniform = Uniform(state: 5)
        func random() -> Float { uniform.next() }
        for (layer, n) in [(Linear(37, 5), 3), (Linear(4, 129, bias: false), 1), (Linear(300, 64), 8)] {
            for (_, p) in layer.state { for i in p.value.data.indices { p.value.data[i] = random() } }
            let x = Tensor(shape: [n, layer.inFeatures], data: (0..<(n * layer.inFeatures)).map { _ in random() })
            let g = Tensor(shape: [n, layer.outFeatures], data: (0..<(n * layer.outFeatures)).map { _ in random() })
            func run(_ fast: Bool) -> [Tensor] {
                layer.usesSIMDKernels = fast
                let y = layer.forward(x, training: true)
                layer.zeroGradients()
                // Accumulation: gradients add to what is there, as in the reference.
                for p in layer.parameters { for i in p.gradient.data.indices { p.gradient.data[i] = 0.5 } }
                return [y, layer.backward(g)] + layer.parameters.map(\.gradient)
            }
            for (k, (a, b)) in zip(run(true), run(false)).enumerated() {
                XCTAssertEqual(a.shape, b.shape)
                let error = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(error, 1e-4, "Linear(\(layer.inFeatures), \(layer.outFeatures)) output \(k)")
            }
        }
    }

    /// Transposed convolutions through oneDNN (any kernel, stride and padding) and through matrix products (kernel
    /// equal to stride) against the scatter loops: outputs, input gradients and accumulated weight and bias gradients.
    func testFastTransposedConvolutionsEqualTheScatterLoops() {
        var uniform = Uniform(state: 11)
        func random() -> Float { uniform.next() }
        let cases = [(ConvTranspose2d(6, 3, kernel: 2, stride: 2), [2, 6, 5, 7]), (ConvTranspose2d(4, 5, kernel: 3, stride: 3, bias: false), [1, 4, 3, 2]),
                     (ConvTranspose2d(7, 20, kernel: 2, stride: 2), [2, 7, 3, 5]), (ConvTranspose2d(5, 4, kernel: 3, stride: 2, padding: 1), [2, 5, 6, 5]),
                     (ConvTranspose2d(3, 6, kernel: 4, stride: 2, padding: 1, bias: false), [1, 3, 4, 6]),
                     // Channel counts for which oneDNN picks blocked layouts (U-Net's first upsampling).
                     (ConvTranspose2d(64, 32, kernel: 2, stride: 2), [2, 64, 8, 8]), (ConvTranspose2d(32, 16, kernel: 2, stride: 2), [2, 32, 16, 16]),
                     (ConvTranspose2d(16, 8, kernel: 2, stride: 2), [2, 16, 32, 32])]
        for (layer, shape) in cases {
            for (_, p) in layer.state { for i in p.value.data.indices { p.value.data[i] = random() } }
            let x = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in random() })
            let outShape = [shape[0], layer.outChannels, (shape[2] - 1) * layer.stride - 2 * layer.padding + layer.kernel,
                            (shape[3] - 1) * layer.stride - 2 * layer.padding + layer.kernel]
            let g = Tensor(shape: outShape, data: (0..<outShape.reduce(1, *)).map { _ in random() })
            func run(oneDNN: Bool, simd: Bool) -> [Tensor] {
                (layer.usesOneDNN, layer.usesSIMDKernels) = (oneDNN, simd)
                let y = layer.forward(x, training: true)
                // Another convolution in between overwrites the shared scratch copies, as the next layer would.
                let other = Conv2d(3, 16, kernel: 3, padding: 1)
                for (_, p) in other.state { for i in p.value.data.indices { p.value.data[i] = 0.1 } }
                let o = other.forward(Tensor(shape: [2, 3, 9, 9], repeating: 0.7), training: true)
                _ = other.backward(Tensor(shape: o.shape, repeating: -0.3))
                for p in layer.parameters { for i in p.gradient.data.indices { p.gradient.data[i] = 0.25 } }
                // Twice with the same gradient: a path that reused a stale copy on its second call would show.
                _ = layer.backward(g)
                return [y, layer.backward(g)] + layer.parameters.map(\.gradient)
            }
            let reference = run(oneDNN: false, simd: false)
            var paths = [("oneDNN", run(oneDNN: true, simd: false))]
            if layer.kernel == layer.stride && layer.padding == 0 { paths.append(("matrix products", run(oneDNN: false, simd: true))) }
            for (path, fast) in paths {
                for (k, (a, b)) in zip(fast, reference).enumerated() {
                    XCTAssertEqual(a.shape, b.shape)
                    // Relative to the largest value: weight gradients sum thousands of products.
                    let error = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0, scale = b.data.map(abs).max() ?? 1
                    XCTAssertLessThan(error, 1e-5 * max(scale, 1), "ConvTranspose2d \(shape) kernel \(layer.kernel) stride \(layer.stride) via \(path): output \(k)")
                }
            }
        }
    }

    func testRegisterBlockedMatrixProductsEqualPlainSums() {
        var uniform = Uniform(state: 3)
        func random() -> Float { uniform.next() }
        for (rows, columns, inner) in [(9, 130, 5), (4, 64, 33), (3, 17, 1), (13, 96, 40), (1, 7, 3)] {
            let a = (0..<(rows * inner)).map { _ in random() }, b = (0..<(inner * columns)).map { _ in random() }
            let start = (0..<(rows * columns)).map { _ in random() }
            for (transposed, accumulate) in [(false, false), (true, true)] {
                // Transposed: A is read as [inner, rows] storage (C += A^T B, the weight-gradient form).
                var c = start
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            MatrixKernels.multiply(ap.baseAddress!, aRow: transposed ? 1 : inner, aColumn: transposed ? rows : 1, bp.baseAddress!,
                                                   cp.baseAddress!, rows: rows, columns: columns, inner: inner, accumulate: accumulate)
                        }
                    }
                }
                for i in 0..<rows {
                    for j in 0..<columns {
                        var sum: Double = accumulate ? Double(start[i * columns + j]) : 0
                        for k in 0..<inner { sum += Double(transposed ? a[k * rows + i] : a[i * inner + k]) * Double(b[k * columns + j]) }
                        XCTAssertEqual(Double(c[i * columns + j]), sum, accuracy: 1e-4, "\(rows)x\(columns)x\(inner) at \(i),\(j)")
                    }
                }
            }
        }
    }

    /// Every worker index runs exactly once on the OpenMP team, also for more workers than threads and for a loop
    /// inside another loop's worker (libgomp gives that one a team of one thread).
    func testTeamLoopsRunEveryWorkerOnce() {
        for workers in [1, 2, 5] {
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers * workers)
            defer { counts.deallocate() }
            counts.initialize(repeating: 0)
            ComputeThreads.onTeam(workers: workers) { outer in
                ComputeThreads.onTeam(workers: workers) { inner in counts[outer * workers + inner] += 1 }
            }
            XCTAssertEqual(Array(counts), [Int](repeating: 1, count: workers * workers), "\(workers) workers")
        }
    }

    /// The parallel element-wise kernels give the same bits for any thread count.
    func testResultsDoNotDependOnTheThreadCount() {
        func step(threads: Int) -> [Float] {
            let saved = ComputeThreads.count
            defer { ComputeThreads.count = saved }
            ComputeThreads.count = threads
            let model = Sequential([Conv2d(2, 4, kernel: 3, padding: 1), ReLU(), MaxPool2d(2), Flatten(), Linear(4 * 40 * 40, 3)])
            WeightInitialization.kaimingUniform(model, seed: 3)
            let x = Tensor(shape: [2, 2, 80, 80], data: (0..<(2 * 2 * 80 * 80)).map { Float(($0 * 7919) % 101) / 50 - 1 })
            let adam = Adam(parameters: model.parameters, learningRate: 1e-2)
            for _ in 0..<2 {
                let loss = softmaxCrossEntropy(model.forward(x, training: true), labels: [0, 2])
                model.zeroGradients()
                _ = model.backward(loss.gradient)
                adam.update()
            }
            return model.parameters.flatMap(\.value.data)
        }
        XCTAssertEqual(step(threads: 1), step(threads: 2))
        XCTAssertEqual(step(threads: 1), step(threads: 5))
    }
}
