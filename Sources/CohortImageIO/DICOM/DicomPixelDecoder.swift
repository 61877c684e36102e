import CohortCore

/// Turns a DICOM file's pixel data into a ``PixelArray`` with pydicom's layout conventions.
struct DicomPixelDecoder {
    let file: DicomFile
    let attributes: PixelAttributes
    let options: ReadOptions

    static let jpeg2000Syntaxes: Set<String> = [
        "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93",
        "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203",
    ]
    static let bigEndianSyntax = "1.2.840.10008.1.2.2"
    static let rleSyntax = "1.2.840.10008.1.2.5"

    /// RLE frames decoded directly (one fragment per frame, PS3.5 G.2); signed values sign-extended after.
    private func rleFrames(format: SampleFormat) throws -> PixelArray {
        let a = attributes
        let pixels = a.rows * a.columns
        let frameBytes = pixels * a.samplesPerPixel * format.byteCount
        // Every byte is written by the decoder, or it throws.
        var bytes = [UInt8](unsafeUninitializedCapacity: frameBytes * a.frames) { buffer, count in count = buffer.count }
        try bytes.withUnsafeMutableBytes { out in
            for frame in 0..<a.frames {
                do {
                    try file.withFragment(frame) { fragment in
                        try RLEDecoder.decode(fragment, pixels: pixels, samples: a.samplesPerPixel,
                                              bytesPerSample: format.byteCount, into: out, at: frame * frameBytes)
                    }
                } catch let error as RLEError {
                    throw ImageIOError(code: .decodeFailed, message: "frame \(frame): \(error.message)", path: file.path)
                }
            }
        }
        if a.isSigned, a.bitsStored < a.bitsAllocated { NativeLayout.signExtend(&bytes, format: format, bitsStored: a.bitsStored) }
        return PixelArray(format: format, frames: a.frames, rows: a.rows, columns: a.columns,
                          samplesPerPixel: a.samplesPerPixel, bytes: bytes)
    }

    func decode(warnings: inout [ImageWarning]) throws -> (pixels: PixelArray, photometric: Photometric) {
        guard let layout = file.pixelLayout() else {
            throw ImageIOError(code: .noPixelData, message: "the file has no pixel data (a header-only object such as SR or a presentation state)",
                               path: file.path)
        }
        try validateGeometry()
        guard let format = attributes.sampleFormat(floatTag: layout.tag) else {
            throw ImageIOError(code: .unsupportedPixelLayout,
                               message: "Bits Allocated \(attributes.bitsAllocated) is not supported (1, 8, 16, 32 are)",
                               path: file.path)
        }
        if layout.encapsulated, let syntax = attributes.transferSyntax, Self.jpeg2000Syntaxes.contains(syntax) {
            let pixels = try JPEG2000FrameDecoder(file: file, attributes: attributes, format: format)
                .decode(fragmentCount: layout.fragments)
            return (pixels, attributes.decodedPhotometric)
        }
        if layout.encapsulated, attributes.transferSyntax == Self.rleSyntax, layout.fragments == attributes.frames,
           attributes.bitsAllocated % 8 == 0, attributes.bitsAllocated <= 32 {
            let pixels = try rleFrames(format: format)
            let converted = try YBRConversion.toRGB(pixels, photometric: attributes.photometricInFile, path: file.path)
            return (converted, attributes.decodedPhotometric)
        }
        if layout.encapsulated, let syntax = attributes.transferSyntax, JPEGLSFrameDecoder.syntaxes.contains(syntax),
           layout.fragments == attributes.frames,
           let pixels = try JPEGLSFrameDecoder(file: file, attributes: attributes, format: format).decode() {
            let converted = try YBRConversion.toRGB(pixels, photometric: attributes.photometricInFile, path: file.path)
            return (converted, attributes.decodedPhotometric)
        }
        if layout.encapsulated { try file.decompress() }
        let photometricNow = file.string([.photometricInterpretation])?.uppercased() ?? attributes.photometricInFile
        let planarNow = file.int(.planarConfiguration) ?? attributes.planarConfiguration
        var (bytes, wordSize) = try file.nativePixels()
        if wordSize == 2, attributes.bitsAllocated == 32, attributes.transferSyntax == Self.bigEndianSyntax, !layout.encapsulated {
            NativeLayout.swapWordHalves(&bytes)
        }
        let unpacker = NativeLayout(attributes: attributes, format: format, planar: planarNow, fromFile: !layout.encapsulated)
        let pixels = try unpacker.array(from: bytes, path: file.path, leniency: options.leniency, warnings: &warnings)
        let converted = try YBRConversion.toRGB(pixels, photometric: photometricNow, path: file.path)
        return (converted, attributes.decodedPhotometric)
    }

    private func validateGeometry() throws {
        let a = attributes
        guard a.rows > 0, a.columns > 0 else {
            throw ImageIOError(code: .malformed, message: "Rows \(a.rows) x Columns \(a.columns): the image has no pixels",
                               path: file.path)
        }
        guard a.samplesPerPixel == 1 || a.samplesPerPixel == 3 else {
            throw ImageIOError(code: .unsupportedPixelLayout,
                               message: "Samples per Pixel \(a.samplesPerPixel) is not supported (1 or 3 are)", path: file.path)
        }
        let total = a.frames * a.rows * a.columns * a.samplesPerPixel
        guard total <= options.maximumPixels else {
            throw ImageIOError(code: .declaredLengthTooLarge,
                               message: "\(a.frames) frames of \(a.rows)x\(a.columns) exceed the limit of \(options.maximumPixels) samples",
                               path: file.path)
        }
    }
}
