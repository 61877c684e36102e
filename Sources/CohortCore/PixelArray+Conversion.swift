/// Typed conversions of stored samples, specialised per format so large images convert at memory speed.
extension PixelArray {
    /// The samples of `frame` as Float (exact for integers up to 24 bits).
    public func floatSamples(frame: Int = 0) -> [Float] {
        let count = samplesPerFrame
        let start = frame * count
        return bytes.withUnsafeBytes { raw -> [Float] in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                switch format {
                case .uint8: convert(raw, UInt8.self, start, count, out)
                case .int8: convert(raw, Int8.self, start, count, out)
                case .uint16: convert(raw, UInt16.self, start, count, out)
                case .int16: convert(raw, Int16.self, start, count, out)
                case .uint32: convert(raw, UInt32.self, start, count, out)
                case .int32: convert(raw, Int32.self, start, count, out)
                case .float32: convert(raw, Float.self, start, count, out)
                case .float64: convert(raw, Double.self, start, count, out)
                }
                initialized = count
            }
        }
    }
}

@inline(__always)
private func convert<T: BinaryInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type, _ start: Int, _ count: Int,
                                       _ out: UnsafeMutableBufferPointer<Float>) {
    let typed = raw.bindMemory(to: T.self)
    for i in 0..<count { out[i] = Float(typed[start + i]) }
}

@inline(__always)
private func convert<T: BinaryFloatingPoint>(_ raw: UnsafeRawBufferPointer, _: T.Type, _ start: Int, _ count: Int,
                                             _ out: UnsafeMutableBufferPointer<Float>) {
    let typed = raw.bindMemory(to: T.self)
    for i in 0..<count { out[i] = Float(typed[start + i]) }
}
