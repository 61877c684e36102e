#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// Whether forward passes keep what a backward pass needs (layer inputs, batch-norm statistics, pooling indices).
///
/// On by default, so that any forward can be followed by a backward (training, Grad-CAM). Inference that will
/// never call backward (scoring, inference benchmarks) runs inside ``withoutGradients(_:)``: each layer then lets go
/// of its input as soon as the next one has used it, instead of every activation of the network staying alive until
/// the next forward pass. Process-wide: set around whole passes, not from concurrent tasks.
public enum GradientRecording {
    nonisolated(unsafe) public private(set) static var isEnabled = true

    /// Runs `body` with recording off (restored afterwards, also when it throws).
    public static func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
        let previous = isEnabled
        isEnabled = false
        defer { isEnabled = previous }
        return try body()
    }

    /// `tensor` when recording, an empty tensor otherwise (what a layer keeps for its backward pass).
    @inline(__always)
    static func kept(_ tensor: Tensor) -> Tensor { isEnabled ? tensor : Tensor(shape: [0]) }
}
