import CohortCore
import Dispatch
import Foundation

/// Settings of a loader.
public struct LoaderOptions: Sendable {
    public var batchSize = 8
    public var seed: UInt64 = 0
    /// Shuffle each epoch (training); off keeps catalog order (scoring).
    public var shuffle = true
    /// Draw samples with probabilities inverse to their class frequency (with replacement; epoch length kept).
    public var classBalanced = false
    /// Keep a last batch smaller than `batchSize`.
    public var keepPartialBatch = true
    /// Worker threads preparing samples.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Batches prepared ahead of the consumer (the memory bound: `prefetch + 1` batches).
    public var prefetch = 2

    public init() {}
}

/// A batch: finished samples (augmented, normalised) in order.
public struct Batch: Sendable {
    public var samples: [Sample]
    /// Epoch and position of the batch.
    public var epoch: Int, index: Int

    /// Labels of the samples (-1 where unlabelled).
    public var labels: [Int] { samples.map { $0.label ?? -1 } }
}

/// Assembles batches from dataset entries on all cores with a bounded prefetch queue.
///
/// Which samples form batch `b` of epoch `e`, and how each is augmented, depend only on the seed, `e` and the
/// sample's position, never on thread timing: the augmentation generator of a sample is
/// `SeededGenerator(seed, stream: e, position, imageId)`.
public final class BatchLoader: @unchecked Sendable {
    public let entries: [DatasetEntry]
    public let provider: SampleProvider
    public let augmenter: Augmenter?
    public let options: LoaderOptions
    public let classCount: Int

    /// Creates a loader; `augmenter` nil means no augmentation (validation, scoring).
    public init(entries: [DatasetEntry], classCount: Int, provider: SampleProvider, augmenter: Augmenter?, options: LoaderOptions) throws {
        guard !entries.isEmpty else { throw DataError(code: .emptyDataset, message: "the dataset has no images") }
        self.entries = entries
        self.classCount = classCount
        self.provider = provider
        self.augmenter = augmenter
        self.options = options
    }

    /// Entry indices of epoch `epoch` in order.
    public func order(epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: options.seed, stream: 0x5A5A, UInt64(epoch))
        if options.classBalanced { return balancedOrder(using: &generator) }
        var order = Array(entries.indices)
        if options.shuffle {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
        }
        return order
    }

    /// Number of batches per epoch.
    public var batchesPerEpoch: Int {
        options.keepPartialBatch ? (entries.count + options.batchSize - 1) / options.batchSize : entries.count / options.batchSize
    }

    /// The batches of `epoch`, prepared ahead on worker threads; the sequence throws the first error met.
    public func batches(epoch: Int) -> BatchSequence { BatchSequence(loader: self, epoch: epoch) }

    /// One finished sample: prepared (cache or decode), augmented, normalised.
    func sample(_ entryIndex: Int, epoch: Int, position: Int) throws -> Sample {
        let entry = entries[entryIndex]
        var sample = try provider.prepared(entry)
        if let augmenter {
            var generator = SeededGenerator(seed: options.seed, stream: UInt64(epoch), UInt64(position), UInt64(bitPattern: entry.imageId))
            sample = augmenter.apply(sample, using: &generator)
        }
        sample.image = provider.preprocessor.finish(sample.image)
        return sample
    }

    private func balancedOrder(using generator: inout SeededGenerator) -> [Int] {
        var counts = [Int](repeating: 0, count: max(classCount, 1))
        for entry in entries { if let label = entry.label, label < counts.count { counts[label] += 1 } }
        let weights = entries.map { entry -> Double in
            guard let label = entry.label, label < counts.count, counts[label] > 0 else { return 0 }
            return 1 / Double(counts[label])
        }
        var cumulative: [Double] = []
        var total = 0.0
        for w in weights { total += w; cumulative.append(total) }
        guard total > 0 else { return Array(entries.indices) }
        return (0..<entries.count).map { _ in
            let u = generator.nextUnit() * total
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] > u { high = mid } else { low = mid + 1 }
            }
            return low
        }
    }
}

/// The batches of one epoch. Iterating starts the producer; at most `prefetch` batches wait in memory.
public struct BatchSequence: Sequence {
    let loader: BatchLoader
    let epoch: Int

    public func makeIterator() -> Iterator { Iterator(loader: loader, epoch: epoch) }

    /// Pulls batches in order; `next()` returns nil at the end or after an error (see ``error``).
    public final class Iterator: IteratorProtocol {
        private let queue: BoundedQueue<Result<Batch, Error>>
        private var finished = false
        /// The error that ended the epoch early, if any.
        public private(set) var error: Error?

        init(loader: BatchLoader, epoch: Int) {
            let order = loader.order(epoch: epoch)
            let size = loader.options.batchSize
            let count = loader.batchesPerEpoch
            queue = BoundedQueue(capacity: Swift.max(loader.options.prefetch, 1))
            let queue = self.queue
            Thread.detachNewThread {
                for b in 0..<count {
                    let positions = Array((b * size)..<Swift.min((b + 1) * size, order.count))
                    let results = ParallelMap.map(positions, threads: loader.options.threads) { position in
                        Result { try loader.sample(order[position], epoch: epoch, position: position) }
                    }
                    var samples: [Sample] = []
                    do { samples = try results.map { try $0.get() } } catch {
                        queue.push(.failure(error))
                        break
                    }
                    queue.push(.success(Batch(samples: samples, epoch: epoch, index: b)))
                    if queue.isClosed { return }
                }
                queue.close()
            }
        }

        deinit { queue.close() }

        public func next() -> Batch? {
            guard !finished, let item = queue.pop() else { finished = true; return nil }
            switch item {
            case .success(let batch): return batch
            case .failure(let failure):
                error = failure
                finished = true
                queue.close()
                return nil
            }
        }
    }
}

/// A blocking FIFO with a capacity; `close()` wakes everyone and ends the stream.
final class BoundedQueue<Element>: @unchecked Sendable {
    private var items: [Element] = []
    private let condition = NSCondition()
    private let capacity: Int
    private var closed = false

    init(capacity: Int) { self.capacity = capacity }

    var isClosed: Bool { condition.lock(); defer { condition.unlock() }; return closed }

    func push(_ item: Element) {
        condition.lock()
        while items.count >= capacity && !closed { condition.wait() }
        if !closed { items.append(item) }
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, or nil when closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
