import Foundation
#if !COHORT_DOUBLE
import CDNNL
#endif

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
        onTeam(workers: workers) { w in
            let start = w * chunk, end = min(total, start + chunk)
            if start < end { body(start..<end) }
        }
    }

    /// `body(0)` ... `body(workers - 1)` in parallel. The float32 engine runs them on libgomp's team, the threads
    /// that run oneDNN's primitives: one pool for both, so a loop between two primitives finds the other thread
    /// awake instead of waking a second pool's (a MobileNetV2 step switches between the two hundreds of times).
    /// A team smaller than asked for (a loop inside another's worker) runs the rest in turn.
    public static func onTeam(workers: Int, _ body: (Int) -> Void) {
        #if COHORT_DOUBLE
        DispatchQueue.concurrentPerform(iterations: workers, execute: body)
        #else
        withoutActuallyEscaping(body) { body in
            var work: TeamWork = (body, workers)
            withUnsafeMutablePointer(to: &work) { pointer in
                GOMP_parallel({ raw in
                    guard let work = raw?.assumingMemoryBound(to: TeamWork.self).pointee else { return }
                    let team = max(1, Int(omp_get_num_threads()))
                    var w = Int(omp_get_thread_num())
                    while w < work.workers {
                        work.body(w)
                        w += team
                    }
                }, pointer, UInt32(workers), 0)
            }
        }
        #endif
    }
}

#if !COHORT_DOUBLE
/// One parallel region's work: the body per worker index and the number of workers.
private typealias TeamWork = (body: (Int) -> Void, workers: Int)
#endif

/// Multiply-adds of convolution and linear forward passes since the last reset (for benchmarks' GFLOP/s).
public enum FlopCounter {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) public static var multiplyAdds = 0

    @inlinable
    public static func add(_ count: Int) { if enabled { multiplyAdds += count } }
}
