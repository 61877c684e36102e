/// Sorting scores for the rank-based metrics: an LSD radix sort on the bits of the doubles (8-bit digits,
/// digits that are the same for every value skipped), linear in the sample count. Ten million scores sort
/// several times faster than with a comparison sort.
enum RadixSort {
    /// Maps a double to an unsigned key with the same order (no NaN).
    @inline(__always) static func key(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// Indices of `values` in ascending order (stable: equal values keep their input order).
    static func ascendingOrder(_ values: [Double]) -> [Int] {
        let n = values.count
        guard n > 1 else { return Array(0..<n) }
        var keys = values.map(key), order = [UInt32](0..<UInt32(n))
        var keysB = [UInt64](repeating: 0, count: n), orderB = [UInt32](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 256)
        for shift in stride(from: 0, to: 64, by: 8) {
            for i in counts.indices { counts[i] = 0 }
            keys.withUnsafeBufferPointer { k in for v in k { counts[Int((v >> UInt64(shift)) & 0xFF)] += 1 } }
            if counts.contains(n) { continue }  // every key has this digit: the pass would change nothing
            var total = 0
            for i in 0..<256 { let c = counts[i]; counts[i] = total; total += c }
            keys.withUnsafeBufferPointer { k in
                order.withUnsafeBufferPointer { o in
                    keysB.withUnsafeMutableBufferPointer { kb in
                        orderB.withUnsafeMutableBufferPointer { ob in
                            counts.withUnsafeMutableBufferPointer { c in
                                for i in 0..<n {
                                    let digit = Int((k[i] >> UInt64(shift)) & 0xFF)
                                    let slot = c[digit]
                                    c[digit] = slot + 1
                                    kb[slot] = k[i]
                                    ob[slot] = o[i]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &keysB)
            swap(&order, &orderB)
        }
        return order.map { Int($0) }
    }
}
