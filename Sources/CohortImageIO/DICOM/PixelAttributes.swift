import CohortCore

/// The Image Pixel module attributes (PS3.3 C.7.6.3) that decide how pixel data is laid out.
struct PixelAttributes {
    var rows: Int
    var columns: Int
    var frames: Int
    var samplesPerPixel: Int
    var bitsAllocated: Int
    var bitsStored: Int
    var isSigned: Bool
    var planarConfiguration: Int
    var photometricInFile: String
    var transferSyntax: String?

    /// Reads and validates the attributes; missing optional ones get their defined defaults with a warning.
    init(file: DicomFile, options: ReadOptions, warnings: inout [ImageWarning]) throws {
        transferSyntax = file.transferSyntax
        rows = file.int(.rows) ?? 0
        columns = file.int(.columns) ?? 0
        frames = Swift.max(file.int(.numberOfFrames) ?? 1, 1)
        samplesPerPixel = file.int(.samplesPerPixel) ?? 1
        photometricInFile = file.string([.photometricInterpretation])?.uppercased()
            ?? (samplesPerPixel == 3 ? "RGB" : "MONOCHROME2")
        isSigned = file.int(.pixelRepresentation) == 1
        planarConfiguration = file.int(.planarConfiguration) ?? 0
        let hasPixels = file.pixelLayout() != nil || !options.readPixels
        let allocated = file.int(.bitsAllocated)
        if allocated == nil, hasPixels, file.pixelLayout() != nil {
            throw ImageIOError(code: .malformed,
                               message: "the file has pixel data but no (0028,0100) Bits Allocated; it cannot be decoded",
                               path: file.path)
        }
        bitsAllocated = allocated ?? 0
        bitsStored = file.int(.bitsStored) ?? bitsAllocated
        if bitsStored > bitsAllocated || bitsStored <= 0 {
            let message = "(0028,0101) Bits Stored \(bitsStored) is not in 1...\(bitsAllocated); using Bits Allocated"
            if options.leniency == .strict, options.readPixels {
                throw ImageIOError(code: .leniency, message: message, path: file.path)
            }
            if options.leniency == .warn { warnings.append(ImageWarning(code: "bitsStoredInvalid", message: message)) }
            bitsStored = bitsAllocated
        }
    }

    /// The photometric interpretation of the decoded array (YBR encodings become RGB).
    var decodedPhotometric: Photometric {
        switch photometricInFile {
        case "MONOCHROME1": return .monochrome1
        case "MONOCHROME2": return .monochrome2
        case "PALETTE COLOR": return .palette
        default: return samplesPerPixel == 1 ? .monochrome2 : .rgb
        }
    }

    /// The sample format of the decoded array: 1-bit data unpacks to bytes, as pydicom does.
    func sampleFormat(floatTag: DicomTag?) -> SampleFormat? {
        if floatTag == DicomTag(0x7FE0, 0x0008) { return .float32 }
        if floatTag == DicomTag(0x7FE0, 0x0009) { return .float64 }
        if bitsAllocated == 1 { return .uint8 }
        return SampleFormat.integer(bits: bitsAllocated, signed: isSigned)
    }
}
