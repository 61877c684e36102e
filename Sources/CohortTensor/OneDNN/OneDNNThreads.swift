import CDNNL

/// Threads of the compute kernels: oneDNN's OpenMP runtime and ``ComputeThreads``.
public enum OneDNNThreads {
    public static func set(_ count: Int) {
        ComputeThreads.count = max(count, 1)
        cdnnl_set_threads(Int32(max(count, 1)))
    }
}
