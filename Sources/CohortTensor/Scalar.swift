/// The engine's number type: float32, or float64 in the parity-checking build (`COHORT_DOUBLE`, the
/// CohortTensor64/CohortNN64 targets compiled from the same sources) that reproduces PyTorch's float64 references
/// where float32 is ill-conditioned.
#if COHORT_DOUBLE
public typealias Scalar = Double
#else
public typealias Scalar = Float
#endif
