import CDCMTKShim

/// A loaded DICOM file: owns the shim handle and turns its status codes into ``ImageIOError``.
final class DicomFile {
    private let handle: OpaquePointer
    let path: String

    /// Loads `path` (header only when `headerOnly`); throws on anything DCMTK cannot parse.
    init(path: String, headerOnly: Bool) throws {
        var message = [CChar](repeating: 0, count: 512)
        var handle: OpaquePointer?
        let status = cdcm_open(path, headerOnly ? 1 : 0, &handle, &message, message.count)
        guard status == CDCM_OK, let handle else {
            throw DicomFile.error(status, path: path, library: String(cString: message),
                                  context: "cannot parse the file as DICOM")
        }
        self.handle = handle
        self.path = path
    }

    deinit { cdcm_close(handle) }

    /// The transfer syntax UID (from the meta header, or as DCMTK detected it for files without one).
    var transferSyntax: String? {
        var buffer = [CChar](repeating: 0, count: 128)
        guard cdcm_transfer_syntax(handle, &buffer, buffer.count) == CDCM_OK else { return nil }
        return String(cString: buffer).trimmingDicomPadding.nilIfEmpty
    }

    /// All values of the element at `tags` (sequences entered at `items`) joined by backslashes.
    func string(_ tags: [DicomTag], items: [Int] = []) -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        var needed = 0
        var status = withPath(tags, items) { cdcm_string(handle, $0, &buffer, buffer.count, &needed) }
        if status == CDCM_BUFFER_TOO_SMALL {
            buffer = [CChar](repeating: 0, count: needed)
            status = withPath(tags, items) { cdcm_string(handle, $0, &buffer, buffer.count, &needed) }
        }
        guard status == CDCM_OK else { return nil }
        return String(cString: buffer).trimmingDicomPadding.nilIfEmpty
    }

    /// The element's values split at backslashes, each trimmed.
    func strings(_ tag: DicomTag) -> [String] {
        string([tag])?.split(separator: "\\", omittingEmptySubsequences: false).map { String($0).trimmingDicomPadding } ?? []
    }

    /// First value as an integer (IS, US, SS all come back as text).
    func int(_ tag: DicomTag) -> Int? { strings(tag).first.flatMap { Int($0) } }

    /// Values as doubles (DS); nil when absent or not numeric.
    func doubles(_ tag: DicomTag) -> [Double]? {
        let values = strings(tag).compactMap { Double($0) }
        return values.isEmpty ? nil : values
    }

    /// Number of items in a sequence (0 when absent).
    func itemCount(_ tags: [DicomTag], items: [Int] = []) -> Int {
        var count = 0
        let status = withPath(tags, items) { cdcm_item_count(handle, $0, &count) }
        return status == CDCM_OK ? count : 0
    }

    /// Values of a US/SS/OW/OB element as 16-bit words in host order.
    func words(_ tags: [DicomTag], items: [Int] = []) throws -> [UInt16]? {
        var buffer = [UInt16](repeating: 0, count: 4096)
        var count = 0
        var status = withPath(tags, items) { cdcm_words(handle, $0, &buffer, buffer.count, &count) }
        if status == CDCM_BUFFER_TOO_SMALL {
            buffer = [UInt16](repeating: 0, count: count)
            status = withPath(tags, items) { cdcm_words(handle, $0, &buffer, buffer.count, &count) }
        }
        if status == CDCM_NOT_FOUND { return nil }
        guard status == CDCM_OK else {
            throw DicomFile.error(status, path: path, library: nil, context: "cannot read \(tags.last.map { "\($0)" } ?? "")")
        }
        return Array(buffer[0..<count])
    }

    private func withPath<R>(_ tags: [DicomTag], _ items: [Int], _ body: (CDCMPath) -> R) -> R {
        let rawTags = tags.map(\.value)
        let rawItems = (items + [Int](repeating: 0, count: Swift.max(0, tags.count - items.count))).map { UInt32($0) }
        return rawTags.withUnsafeBufferPointer { t in
            rawItems.withUnsafeBufferPointer { i in
                body(CDCMPath(tags: t.baseAddress, items: i.baseAddress, depth: Int32(tags.count)))
            }
        }
    }

    /// Translates a shim status into an error that names the file and what to do.
    static func error(_ status: CDCMStatus, path: String, library: String?, context: String) -> ImageIOError {
        let library = library?.nilIfEmpty
        switch status {
        case CDCM_NOT_DICOM:
            return ImageIOError(code: .notDICOM, message: "\(context): not a DICOM file or data set", path: path,
                                libraryMessage: library)
        case CDCM_READ_FAILED:
            return ImageIOError(code: .malformed, message: "\(context): the file is truncated or its encoding is malformed",
                                path: path, libraryMessage: library)
        case CDCM_TOO_LARGE:
            return ImageIOError(code: .declaredLengthTooLarge,
                                message: "\(context): a declared length is larger than the file can hold", path: path,
                                libraryMessage: library)
        case CDCM_DECODE_FAILED:
            return ImageIOError(code: .decodeFailed, message: "\(context): the compressed pixel data is corrupt",
                                path: path, libraryMessage: library)
        case CDCM_UNSUPPORTED:
            return ImageIOError(code: .unsupportedTransferSyntax, message: "\(context): no decoder for this encoding",
                                path: path, libraryMessage: library)
        case CDCM_NO_PIXEL_DATA:
            return ImageIOError(code: .noPixelData, message: "\(context): the file has no pixel data", path: path)
        default:
            return ImageIOError(code: .malformed, message: "\(context): DCMTK failed (status \(status.rawValue))",
                                path: path, libraryMessage: library)
        }
    }
}

extension DicomFile {
    /// Where the pixel data lives and how it is encoded.
    struct PixelLayout {
        var tag: DicomTag
        var encapsulated: Bool
        var fragments: Int
        var declaredLength: UInt32
    }

    /// The pixel data layout, or nil when the file has no pixel data element.
    func pixelLayout() -> PixelLayout? {
        var tag: UInt32 = 0, encapsulated: Int32 = 0, fragments = 0, length: UInt32 = 0
        guard cdcm_pixel_layout(handle, &tag, &encapsulated, &fragments, &length) == CDCM_OK else { return nil }
        return PixelLayout(tag: DicomTag(UInt16(tag >> 16), UInt16(tag & 0xFFFF)), encapsulated: encapsulated != 0,
                           fragments: fragments, declaredLength: length)
    }

    /// Decompresses with DCMTK's codecs (JPEG, JPEG-LS, RLE).
    func decompress() throws {
        var message = [CChar](repeating: 0, count: 512)
        let status = cdcm_decompress(handle, &message, message.count)
        guard status == CDCM_OK else {
            throw DicomFile.error(status, path: path, library: String(cString: message), context: "cannot decode pixel data")
        }
    }

    /// Native pixel bytes (OW as host-order words) and the word size they were read in.
    func nativePixels() throws -> (bytes: [UInt8], wordSize: Int) {
        var needed = 0, wordSize: Int32 = 1
        if cdcm_native_pixels_direct(handle, nil, 0, &needed, &wordSize) == CDCM_BUFFER_TOO_SMALL {
            var direct = CDCM_UNSUPPORTED
            let bytes = [UInt8](unsafeUninitializedCapacity: needed) { buffer, count in
                direct = cdcm_native_pixels_direct(handle, buffer.baseAddress, needed, &needed, &wordSize)
                count = direct == CDCM_OK ? needed : 0
            }
            if direct == CDCM_OK { return (bytes, Int(wordSize)) }
        }
        var status = cdcm_native_pixels(handle, nil, 0, &needed, &wordSize)
        guard status == CDCM_BUFFER_TOO_SMALL || status == CDCM_OK else {
            throw DicomFile.error(status, path: path, library: nil, context: "cannot read pixel data")
        }
        let bytes = [UInt8](unsafeUninitializedCapacity: needed) { buffer, count in
            status = cdcm_native_pixels(handle, buffer.baseAddress, needed, &needed, &wordSize)
            count = status == CDCM_OK ? needed : 0
        }
        guard status == CDCM_OK else {
            throw DicomFile.error(status, path: path, library: nil, context: "cannot read pixel data")
        }
        return (bytes, Int(wordSize))
    }

    /// Calls `body` with fragment `index` in place (no copy); the bytes must not escape `body`.
    func withFragment<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        var data: UnsafePointer<UInt8>?
        var length = 0
        let status = cdcm_fragment_view(handle, index, &data, &length)
        guard status == CDCM_OK else {
            throw DicomFile.error(status, path: path, library: nil, context: "cannot read fragment \(index)")
        }
        return try body(UnsafeBufferPointer(start: data, count: length))
    }

    /// Encapsulated fragment `index` (0-based, after the Basic Offset Table).
    func fragment(_ index: Int) throws -> [UInt8] {
        var needed = 0
        var status = cdcm_fragment(handle, index, nil, 0, &needed)
        if status == CDCM_OK && needed == 0 { return [] }
        guard status == CDCM_BUFFER_TOO_SMALL else {
            throw DicomFile.error(status, path: path, library: nil, context: "cannot read fragment \(index)")
        }
        var bytes = [UInt8](repeating: 0, count: needed)
        status = bytes.withUnsafeMutableBufferPointer { cdcm_fragment(handle, index, $0.baseAddress, needed, &needed) }
        guard status == CDCM_OK else {
            throw DicomFile.error(status, path: path, library: nil, context: "cannot read fragment \(index)")
        }
        return bytes
    }

    /// The Basic Offset Table entries (empty when the table is empty).
    func offsetTable() -> [UInt32] {
        var count = 0
        var status = cdcm_offset_table(handle, nil, 0, &count)
        guard status == CDCM_BUFFER_TOO_SMALL else { return [] }
        var table = [UInt32](repeating: 0, count: count)
        status = table.withUnsafeMutableBufferPointer { cdcm_offset_table(handle, $0.baseAddress, count, &count) }
        return status == CDCM_OK ? table : []
    }
}

extension String {
    /// The value without DICOM padding (trailing spaces and NULs) or leading spaces.
    var trimmingDicomPadding: String {
        var scalars = Substring(self)
        while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
        while let first = scalars.first, first == " " { scalars.removeFirst() }
        return String(scalars)
    }

    /// nil for an empty string.
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
