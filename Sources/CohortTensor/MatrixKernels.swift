#if !COHORT_DOUBLE
/// Register-blocked single-precision matrix products for the layers that are matrix products over pixels
/// (non-overlapping transposed convolutions): `C = A B` or `C += A^T B`, row-major. Each output element is summed
/// over the inner dimension in one fixed order, whatever the thread count, so results repeat bit for bit; rows of
/// C are split over the compute threads. Tiles of 4 rows x 64 columns stay in 16 AVX-512 registers.
public enum MatrixKernels {
    /// `c[m, n] = sum_k a[m * aRow + k * aColumn] * b[k, n]` for `m < rows`, `n < columns`, `k < inner`;
    /// `accumulate` adds to `c` instead of overwriting it. `b` and `c` are dense row-major.
    public static func multiply(_ a: UnsafePointer<Float>, aRow: Int, aColumn: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                rows: Int, columns: Int, inner: Int, accumulate: Bool) {
        let blocks = (rows + 3) / 4
        ComputeThreads.forRanges(blocks, minimumChunk: max(1, (1 << 15) / max(4 * columns * inner / 64, 1))) { range in
            for block in range {
                let row = block * 4, count = min(4, rows - row)
                var column = 0
                while column + 64 <= columns {
                    tile64(a, aRow: aRow, aColumn: aColumn, b, c, row: row, rows: count, column: column, columns: columns, inner: inner,
                           accumulate: accumulate)
                    column += 64
                }
                while column + 16 <= columns {
                    tile16(a, aRow: aRow, aColumn: aColumn, b, c, row: row, rows: count, column: column, columns: columns, inner: inner,
                           accumulate: accumulate)
                    column += 16
                }
                for r in row..<(row + count) {
                    for n in column..<columns {
                        var sum: Float = 0
                        for k in 0..<inner { sum += a[r * aRow + k * aColumn] * b[k * columns + n] }
                        c[r * columns + n] = accumulate ? c[r * columns + n] + sum : sum
                    }
                }
            }
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self) }

    /// 4 rows x 64 columns of C (16 accumulators); fewer rows go through ``tile16``.
    @inline(__always)
    static func tile64(_ a: UnsafePointer<Float>, aRow: Int, aColumn: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                       row: Int, rows: Int, column: Int, columns: Int, inner: Int, accumulate: Bool) {
        guard rows == 4 else {
            for q in 0..<4 {
                tile16(a, aRow: aRow, aColumn: aColumn, b, c, row: row, rows: rows, column: column + 16 * q, columns: columns, inner: inner,
                       accumulate: accumulate)
            }
            return
        }
        var (c00, c01, c02, c03) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        var (c10, c11, c12, c13) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        var (c20, c21, c22, c23) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        var (c30, c31, c32, c33) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        let a0 = a + row * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow
        for k in 0..<inner {
            let bk = b + k * columns + column
            let (b0, b1, b2, b3) = (load(bk), load(bk + 16), load(bk + 32), load(bk + 48))
            let o = k * aColumn
            let x0 = SIMD16<Float>(repeating: a0[o]), x1 = SIMD16<Float>(repeating: a1[o])
            let x2 = SIMD16<Float>(repeating: a2[o]), x3 = SIMD16<Float>(repeating: a3[o])
            c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3
            c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3
            c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3
            c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3
        }
        func put(_ v: SIMD16<Float>, _ r: Int, _ q: Int) {
            let target = c + (row + r) * columns + column + 16 * q
            store(accumulate ? load(target) + v : v, target)
        }
        put(c00, 0, 0); put(c01, 0, 1); put(c02, 0, 2); put(c03, 0, 3)
        put(c10, 1, 0); put(c11, 1, 1); put(c12, 1, 2); put(c13, 1, 3)
        put(c20, 2, 0); put(c21, 2, 1); put(c22, 2, 2); put(c23, 2, 3)
        put(c30, 3, 0); put(c31, 3, 1); put(c32, 3, 2); put(c33, 3, 3)
    }

    /// Up to 4 rows x 16 columns of C.
    @inline(__always)
    static func tile16(_ a: UnsafePointer<Float>, aRow: Int, aColumn: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                       row: Int, rows: Int, column: Int, columns: Int, inner: Int, accumulate: Bool) {
        var t0 = SIMD16<Float>(), t1 = SIMD16<Float>(), t2 = SIMD16<Float>(), t3 = SIMD16<Float>()
        for k in 0..<inner {
            let bk = load(b + k * columns + column)
            t0 += SIMD16(repeating: a[row * aRow + k * aColumn]) * bk
            if rows > 1 { t1 += SIMD16(repeating: a[(row + 1) * aRow + k * aColumn]) * bk }
            if rows > 2 { t2 += SIMD16(repeating: a[(row + 2) * aRow + k * aColumn]) * bk }
            if rows > 3 { t3 += SIMD16(repeating: a[(row + 3) * aRow + k * aColumn]) * bk }
        }
        func put(_ v: SIMD16<Float>, _ r: Int) {
            let target = c + (row + r) * columns + column
            store(accumulate ? load(target) + v : v, target)
        }
        put(t0, 0)
        if rows > 1 { put(t1, 1) }
        if rows > 2 { put(t2, 2) }
        if rows > 3 { put(t3, 3) }
    }
}
#endif
