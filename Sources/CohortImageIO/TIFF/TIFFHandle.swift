import CTIFF

/// An open libtiff handle with its own error buffer; closed in `deinit`.
final class TIFFHandle {
    let tiff: OpaquePointer
    private let messages: UnsafeMutablePointer<CTIFFMessages>
    let path: String

    init(path: String, mode: String) throws {
        messages = .allocate(capacity: 1)
        guard let tiff = ctiff_open(path, mode, messages) else {
            let text = TIFFHandle.text(messages.pointee.error)
            messages.deallocate()
            throw ImageIOError(code: mode.hasPrefix("r") ? .decodeFailed : .writeFailed,
                               message: mode.hasPrefix("r") ? "cannot open the TIFF file (corrupt header?)" : "cannot create the TIFF file",
                               path: path, libraryMessage: text)
        }
        self.tiff = tiff
        self.path = path
    }

    deinit {
        TIFFClose(tiff)
        messages.deallocate()
    }

    /// libtiff's first error since the handle was opened.
    var lastError: String { TIFFHandle.text(messages.pointee.error) }

    func u16(_ tag: Int32, defaulted: Bool = true) -> Int? {
        var value: UInt16 = 0
        let ok = defaulted ? ctiff_get_u16_defaulted(tiff, UInt32(tag), &value) : ctiff_get_u16(tiff, UInt32(tag), &value)
        return ok == 1 ? Int(value) : nil
    }

    func u32(_ tag: Int32) -> Int? {
        var value: UInt32 = 0
        return ctiff_get_u32(tiff, UInt32(tag), &value) == 1 ? Int(value) : nil
    }

    private static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
