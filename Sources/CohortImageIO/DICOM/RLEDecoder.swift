import Dispatch

/// DICOM RLE Lossless decoding (PS3.5 Annex G), written directly because DCMTK's decoder is slower than the
/// file can be read. Output is the frame's samples, colour-by-pixel, little-endian.
///
/// Segments are independent byte planes, so they are unpacked concurrently (each into its own plane, which
/// avoids two threads writing the same cache lines) and interleaved afterwards.
enum RLEDecoder {
    /// Decodes one frame's fragment into `out` at `offset` (`pixels * samples * bytesPerSample` bytes).
    static func decode(_ fragment: UnsafeBufferPointer<UInt8>, pixels: Int, samples: Int, bytesPerSample: Int,
                       into out: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        guard fragment.count >= 64 else { throw RLEError("RLE header shorter than 64 bytes") }
        let segmentCount = Int(read32(fragment, 0))
        guard segmentCount == samples * bytesPerSample, segmentCount <= 15 else {
            throw RLEError("RLE header declares \(segmentCount) segments, expected \(samples * bytesPerSample)")
        }
        let offsets = (0..<segmentCount).map { Int(read32(fragment, 4 + 4 * $0)) } + [fragment.count]
        for segment in 0..<segmentCount where !(offsets[segment] >= 64 && offsets[segment] <= fragment.count) {
            throw RLEError("RLE segment \(segment) offset \(offsets[segment]) is invalid")
        }
        if segmentCount == 1 {
            let plane = UnsafeMutableBufferPointer(start: out.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset,
                                                   count: pixels)
            try unpackBits(fragment, from: offsets[0], to: max(offsets[0], min(offsets[1], fragment.count)), into: plane)
            return
        }
        let planes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: pixels * segmentCount)
        defer { planes.deallocate() }
        var failures = [RLEError?](repeating: nil, count: segmentCount)
        failures.withUnsafeMutableBufferPointer { failed in
            do {
                let source = fragment
                DispatchQueue.concurrentPerform(iterations: segmentCount) { segment in
                    let start = offsets[segment], end = max(start, min(offsets[segment + 1], fragment.count))
                    let plane = UnsafeMutableBufferPointer(rebasing: planes[segment * pixels ..< (segment + 1) * pixels])
                    do { try unpackBits(source, from: start, to: end, into: plane) } catch let error as RLEError {
                        failed[segment] = RLEError("segment \(segment): \(error.message)")
                    } catch {}
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        interleave(planes, pixels: pixels, samples: samples, bytesPerSample: bytesPerSample,
                   into: out.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset)
    }

    /// Segment order is sample by sample, most significant byte first; output is little-endian per sample.
    private static func interleave(_ planes: UnsafeMutableBufferPointer<UInt8>, pixels: Int, samples: Int,
                                   bytesPerSample: Int, into out: UnsafeMutablePointer<UInt8>) {
        let stride = samples * bytesPerSample
        let chunks = max(1, min(8, pixels / 65_536))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let from = pixels * chunk / chunks, to = pixels * (chunk + 1) / chunks
            if samples == 1 && bytesPerSample == 2 {
                let high = planes.baseAddress!, low = planes.baseAddress! + pixels
                let words = UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt16.self)
                for i in from..<to { words[i] = UInt16(littleEndian: UInt16(high[i]) << 8 | UInt16(low[i])) }
                return
            }
            for segment in 0..<samples * bytesPerSample {
                let sample = segment / bytesPerSample, byte = bytesPerSample - 1 - segment % bytesPerSample
                let plane = planes.baseAddress! + segment * pixels
                let target = out + sample * bytesPerSample + byte
                for i in from..<to { target[i * stride] = plane[i] }
            }
        }
    }

    /// PackBits: n in 0...127 copies n+1 literal bytes; n in -127...-1 repeats the next byte 1-n times.
    private static func unpackBits(_ source: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
                                   into plane: UnsafeMutableBufferPointer<UInt8>) throws {
        let count = plane.count
        guard let input = source.baseAddress, let output = plane.baseAddress else {
            if count == 0 { return }
            throw RLEError("RLE segment is empty")
        }
        var i = start, written = 0
        while written < count && i < end {
            let n = Int(Int8(bitPattern: input[i]))
            i += 1
            if n >= 0 {
                let run = min(n + 1, count - written, end - i)
                (output + written).update(from: input + i, count: run)
                written += run
                i += n + 1
            } else if n != -128 {
                guard i < end else { break }
                let run = min(1 - n, count - written)
                (output + written).update(repeating: input[i], count: run)
                written += run
                i += 1
            }
        }
        guard written == count else { throw RLEError("RLE segment decoded to \(written) of \(count) bytes") }
    }

    private static func read32(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}

struct RLEError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
