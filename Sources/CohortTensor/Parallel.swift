import Foundation

/// Threads for compute kernels (element-wise updates, pooling, GEMM through oneDNN): the machine's cores unless set
/// (`cohort train --threads`). Results never depend on it: work is split into disjoint element ranges.
public enum ComputeThreads {
    nonisolated(unsafe) public static var count = ProcessInfo.processInfo.activeProcessorCount

    /// Runs `body` over disjoint ranges covering `0..<total`, in parallel when the work is large enough.
    @inlinable
    public static func forRanges(_ total: Int, minimumChunk: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
        let workers = min(count, max(1, total / max(minimumChunk, 1)))
        guard workers > 1 else {
            if total > 0 { body(0..<total) }
            return
        }
        let chunk = (total + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = w * chunk, end = min(total, start + chunk)
            if start < end { body(start..<end) }
        }
    }
}

/// Multiply-adds of convolution and linear forward passes since the last reset (for benchmarks' GFLOP/s).
public enum FlopCounter {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) public static var multiplyAdds = 0

    @inlinable
    public static func add(_ count: Int) { if enabled { multiplyAdds += count } }
}
