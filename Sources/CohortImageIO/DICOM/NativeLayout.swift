import CohortCore

/// Unpacks native (uncompressed or decompressed) pixel bytes into pydicom's array layout.
struct NativeLayout {
    let attributes: PixelAttributes
    let format: SampleFormat
    let planar: Int
    /// Whether the bytes come straight from the file (codecs return full-resolution YBR_FULL_422).
    let fromFile: Bool

    /// Native YBR_FULL_422 stores two luma samples per shared chroma pair: Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2).
    var subsampled422: Bool {
        fromFile && attributes.photometricInFile == "YBR_FULL_422" && attributes.samplesPerPixel == 3 && format == .uint8
            && attributes.columns % 2 == 0
    }

    /// Bytes the native data must hold: frames * rows * columns * samples * bits / 8 (rounded up for 1-bit).
    var expectedByteCount: Int {
        let a = attributes
        let samples = a.frames * a.rows * a.columns * a.samplesPerPixel
        if subsampled422 { return samples * 2 / 3 * format.byteCount }
        return a.bitsAllocated == 1 ? (samples + 7) / 8 : samples * format.byteCount
    }

    func array(from bytes: consuming [UInt8], path: String, leniency: Leniency, warnings: inout [ImageWarning]) throws -> PixelArray {
        let a = attributes
        let expected = expectedByteCount
        guard bytes.count >= expected else {
            throw ImageIOError(code: .truncated,
                               message: "pixel data holds \(bytes.count) bytes but \(a.frames) frame(s) of \(a.rows)x\(a.columns)x\(a.samplesPerPixel) at \(a.bitsAllocated) bits need \(expected); the file is truncated or its group 0028 attributes are wrong",
                               path: path)
        }
        if bytes.count > expected + 1, leniency == .warn {
            warnings.append(ImageWarning(code: "pixelDataPadded",
                                         message: "pixel data has \(bytes.count - expected) bytes beyond the image; ignored"))
        }
        var out: [UInt8]
        if subsampled422 {
            out = Self.upsample422(Array(bytes.prefix(expected)))
        } else if a.bitsAllocated == 1 {
            out = Self.unpackBits(bytes, count: a.frames * a.rows * a.columns * a.samplesPerPixel)
        } else {
            if bytes.count > expected { bytes.removeLast(bytes.count - expected) }
            out = bytes
            if a.isSigned, a.bitsStored < a.bitsAllocated, !format.isFloatingPoint {
                Self.signExtend(&out, format: format, bitsStored: a.bitsStored)
            }
        }
        if a.samplesPerPixel > 1, planar == 1 {
            out = Self.interleave(out, frames: a.frames, pixels: a.rows * a.columns, samples: a.samplesPerPixel,
                                  sampleBytes: format.byteCount)
        }
        return PixelArray(format: format, frames: a.frames, rows: a.rows, columns: a.columns,
                          samplesPerPixel: a.samplesPerPixel, bytes: out)
    }

    /// Y1 Y2 Cb Cr groups to two full Y Cb Cr pixels.
    static func upsample422(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 3 / 2)
        var i = 0
        while i + 3 < bytes.count {
            out += [bytes[i], bytes[i + 2], bytes[i + 3], bytes[i + 1], bytes[i + 2], bytes[i + 3]]
            i += 4
        }
        return out
    }

    /// 1-bit samples, least significant bit first (PS3.5 8.1.1), one byte per sample.
    static func unpackBits(_ bytes: [UInt8], count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count { out[i] = (bytes[i >> 3] >> UInt8(i & 7)) & 1 }
        return out
    }

    /// Sign-extends two's-complement values of `bitsStored` bits held in wider samples.
    static func signExtend(_ bytes: inout [UInt8], format: SampleFormat, bitsStored: Int) {
        let width = format.byteCount * 8
        let shift = width - bitsStored
        bytes.withUnsafeMutableBytes { raw in
            switch format {
            case .int8:
                let p = raw.bindMemory(to: Int8.self)
                for i in p.indices { p[i] = (p[i] << Int8(shift)) >> Int8(shift) }
            case .int16:
                let p = raw.bindMemory(to: Int16.self)
                for i in p.indices { p[i] = (p[i] << Int16(shift)) >> Int16(shift) }
            case .int32:
                let p = raw.bindMemory(to: Int32.self)
                for i in p.indices { p[i] = (p[i] << Int32(shift)) >> Int32(shift) }
            default: break
            }
        }
    }

    /// Colour-by-plane to colour-by-pixel, frame by frame.
    static func interleave(_ bytes: [UInt8], frames: Int, pixels: Int, samples: Int, sampleBytes: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bytes.count)
        let frameBytes = pixels * samples * sampleBytes
        for f in 0..<frames {
            let base = f * frameBytes
            for s in 0..<samples {
                for p in 0..<pixels {
                    let from = base + (s * pixels + p) * sampleBytes
                    let to = base + (p * samples + s) * sampleBytes
                    for b in 0..<sampleBytes { out[to + b] = bytes[from + b] }
                }
            }
        }
        return out
    }

    /// Big-endian 32-bit samples read as 16-bit words arrive with their halves swapped.
    static func swapWordHalves(_ bytes: inout [UInt8]) {
        var i = 0
        while i + 3 < bytes.count {
            bytes.swapAt(i, i + 2)
            bytes.swapAt(i + 1, i + 3)
            i += 4
        }
    }
}

/// YBR_FULL and YBR_FULL_422 to RGB with the coefficients pydicom uses (PS3.3 C.7.6.3.1.2, JFIF rounding).
enum YBRConversion {
    static func toRGB(_ pixels: PixelArray, photometric: String, path: String) throws -> PixelArray {
        guard photometric == "YBR_FULL" || photometric == "YBR_FULL_422", pixels.samplesPerPixel == 3,
              pixels.format == .uint8 else { return pixels }
        var out = pixels.bytes
        let count = pixels.sampleCount / 3
        let cbG: Float = -0.114 * 1.772 / 0.587, crG: Float = -0.299 * 1.402 / 0.587
        pixels.bytes.withUnsafeBufferPointer { src in
            for p in 0..<count {
                let y = Float(src[3 * p]), cb = Float(src[3 * p + 1]) - 128, cr = Float(src[3 * p + 2]) - 128
                let r = y + 1.402 * cr
                let g = y + cbG * cb + crG * cr
                let b = y + 1.772 * cb
                out[3 * p] = clampByte(r)
                out[3 * p + 1] = clampByte(g)
                out[3 * p + 2] = clampByte(b)
            }
        }
        return PixelArray(format: .uint8, frames: pixels.frames, rows: pixels.rows, columns: pixels.columns,
                          samplesPerPixel: 3, bytes: out)
    }

    @inline(__always)
    private static func clampByte(_ v: Float) -> UInt8 { UInt8(Swift.min(Swift.max((v + 0.5).rounded(.down), 0), 255)) }
}
