#if !COHORT_DOUBLE
/// Matrix kernels of fully connected layers in plain Swift SIMD: every output element is summed in one fixed order,
/// whatever the thread count or memory alignment, so results repeat bit for bit from run to run (oneDNN's sgemm
/// does not: its results move in the last bits with the buffers' alignment, which broke exact resume and sharded
/// scoring). Fully connected layers here are memory-bound (batches of a few images against large weights), so the
/// kernels stream each weight row once per call.
public enum DenseKernels {
    /// Dot product of `count` floats, in 4 x 16-lane partial sums combined in a fixed order.
    @inlinable
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
        var i = 0
        while i + 64 <= count {
            let o = i * 4
            s0 += rawA.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self) * rawB.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            s1 += rawA.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self) * rawB.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self)
            s2 += rawA.loadUnaligned(fromByteOffset: o + 128, as: SIMD16<Float>.self) * rawB.loadUnaligned(fromByteOffset: o + 128, as: SIMD16<Float>.self)
            s3 += rawA.loadUnaligned(fromByteOffset: o + 192, as: SIMD16<Float>.self) * rawB.loadUnaligned(fromByteOffset: o + 192, as: SIMD16<Float>.self)
            i += 64
        }
        while i + 16 <= count {
            s0 += rawA.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * rawB.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// `y += alpha * x` over `count` floats.
    @inlinable
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        let rawX = UnsafeRawPointer(x), rawY = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha)
        var i = 0
        while i + 16 <= count {
            let v = rawY.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) + a * rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            rawY.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }

    /// `y[n, out] = x[n, in] * w[out, in]^T` (overwrites y); rows of w in parallel.
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, n: Int, inFeatures: Int, outFeatures: Int) {
        ComputeThreads.forRanges(outFeatures, minimumChunk: max(1, (1 << 16) / max(inFeatures * n, 1))) { rows in
            for o in rows {
                for b in 0..<n { y[b * outFeatures + o] = dot(x + b * inFeatures, w + o * inFeatures, inFeatures) }
            }
        }
    }

    /// `gw[out, in] += gy[n, out]^T * x[n, in]`; rows of gw in parallel, samples in order.
    public static func weightGradient(gy: UnsafePointer<Float>, x: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>, n: Int,
                                      inFeatures: Int, outFeatures: Int) {
        ComputeThreads.forRanges(outFeatures, minimumChunk: max(1, (1 << 16) / max(inFeatures * n, 1))) { rows in
            for o in rows {
                for b in 0..<n {
                    let g = gy[b * outFeatures + o]
                    if g != 0 { axpy(g, x + b * inFeatures, gw + o * inFeatures, inFeatures) }
                }
            }
        }
    }

    /// `gx[n, in] = gy[n, out] * w[out, in]` (overwrites gx); column blocks in parallel, outputs summed in order.
    public static func inputGradient(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, n: Int,
                                     inFeatures: Int, outFeatures: Int) {
        let block = 2048
        let blocks = (inFeatures + block - 1) / block
        ComputeThreads.forRanges(blocks, minimumChunk: max(1, (1 << 16) / max(block * outFeatures, 1))) { range in
            for k in range {
                let start = k * block, count = min(block, inFeatures - start)
                for b in 0..<n {
                    let row = gx + b * inFeatures + start
                    row.update(repeating: 0, count: count)
                    for o in 0..<outFeatures {
                        let g = gy[b * outFeatures + o]
                        if g != 0 { axpy(g, w + o * inFeatures + start, row, count) }
                    }
                }
            }
        }
    }
}
#endif
