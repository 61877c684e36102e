/// PNG chunk CRCs (ISO/IEC 15948 section 5.3: CRC-32 of type and data, polynomial 0xEDB88320 reflected).
enum PNGChunks {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 of `bytes[range]`.
    static func crc(_ bytes: [UInt8], _ range: Range<Int>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for i in range { c = table[Int((c ^ UInt32(bytes[i])) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// Rewrites the CRC of every complete chunk after the signature; stops at the first chunk that overruns.
    static func recomputeCRCs(_ bytes: inout [UInt8]) {
        var at = 8
        while at + 12 <= bytes.count {
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            let end = at + 8 + length
            guard length >= 0, end + 4 <= bytes.count else { return }
            let value = crc(bytes, (at + 4)..<end)
            for k in 0..<4 { bytes[end + k] = UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * k)) }
            at = end + 4
        }
    }
}
