/// DICOM RLE Lossless decoding (PS3.5 Annex G), written directly because DCMTK's decoder is slower than the
/// file can be read. Output is the frame's samples, colour-by-pixel, little-endian.
enum RLEDecoder {
    /// Decodes one frame's fragment into `out` at `offset` (`pixels * samples * bytesPerSample` bytes).
    static func decode(_ fragment: [UInt8], pixels: Int, samples: Int, bytesPerSample: Int,
                       into out: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        guard fragment.count >= 64 else { throw RLEError("RLE header shorter than 64 bytes") }
        let segmentCount = Int(read32(fragment, 0))
        guard segmentCount == samples * bytesPerSample, segmentCount <= 15 else {
            throw RLEError("RLE header declares \(segmentCount) segments, expected \(samples * bytesPerSample)")
        }
        let offsets = (0..<segmentCount).map { Int(read32(fragment, 4 + 4 * $0)) } + [fragment.count]
        let stride = samples * bytesPerSample
        for segment in 0..<segmentCount {
            let start = offsets[segment], end = min(offsets[segment + 1], fragment.count)
            guard start >= 64, start <= end else { throw RLEError("RLE segment \(segment) offset \(start) is invalid") }
            // Segment order: sample by sample, most significant byte first.
            let sample = segment / bytesPerSample, byte = bytesPerSample - 1 - segment % bytesPerSample
            let base = offset + sample * bytesPerSample + byte
            try fragment.withUnsafeBufferPointer { source in
                try unpackBits(source, from: start, to: end, count: pixels, into: out, base: base, stride: stride)
            }
        }
    }

    /// PackBits: n in 0...127 copies n+1 literal bytes; n in -127...-1 repeats the next byte 1-n times.
    private static func unpackBits(_ source: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, count: Int,
                                   into out: UnsafeMutableRawBufferPointer, base: Int, stride: Int) throws {
        var i = start, written = 0
        while written < count && i < end {
            let n = Int(Int8(bitPattern: source[i]))
            i += 1
            if n >= 0 {
                let run = min(n + 1, count - written, end - i)
                for k in 0..<run { out[base + (written + k) * stride] = source[i + k] }
                written += run
                i += n + 1
            } else if n != -128 {
                guard i < end else { break }
                let value = source[i]
                let run = min(1 - n, count - written)
                for k in 0..<run { out[base + (written + k) * stride] = value }
                written += run
                i += 1
            }
        }
        guard written == count else { throw RLEError("RLE segment decoded to \(written) of \(count) bytes") }
    }

    private static func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}

struct RLEError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
