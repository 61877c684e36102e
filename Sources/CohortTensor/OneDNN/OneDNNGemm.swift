import CDNNL

/// Matrix products through oneDNN's `dnnl_sgemm` (row-major, multithreaded): the fast path of Linear layers.
public enum OneDNNGemm {
    /// `c = alpha * op(a) * op(b) + beta * c` with `op(a)` m x k, `op(b)` k x n, `c` m x n, all row-major and dense.
    /// Returns false when oneDNN refuses (the caller then uses its reference loops).
    @discardableResult
    public static func multiply(_ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
                                into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) -> Bool {
        cdnnl_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, transposeA ? m : k, b, transposeB ? k : n,
                    beta, c, n) == 0
    }

    /// Sets the threads of oneDNN's OpenMP runtime (and ``ComputeThreads``).
    public static func setThreads(_ count: Int) {
        ComputeThreads.count = max(count, 1)
        cdnnl_set_threads(Int32(max(count, 1)))
    }
}
