import CCohortKernels

/// CRC-32 (the polynomial of PNG, zlib and gzip), for checking that stored bytes come back as written.
public enum CRC32 {
    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        ccohort_crc32(crc, bytes.baseAddress, bytes.count)
    }
}
