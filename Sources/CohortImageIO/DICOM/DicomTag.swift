/// A DICOM attribute tag, `(group,element)`, stored as `group << 16 | element`.
public struct DicomTag: Hashable, Sendable, CustomStringConvertible {
    /// The combined tag value.
    public let value: UInt32

    /// Creates a tag from its group and element numbers.
    public init(_ group: UInt16, _ element: UInt16) { value = UInt32(group) << 16 | UInt32(element) }

    public var description: String {
        let hex = String(value, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: 8 - hex.count) + hex
        return "(\(padded.prefix(4)),\(padded.suffix(4)))"
    }

    static let transferSyntaxUID = DicomTag(0x0002, 0x0010)
    static let sopClassUID = DicomTag(0x0008, 0x0016)
    static let sopInstanceUID = DicomTag(0x0008, 0x0018)
    static let studyDate = DicomTag(0x0008, 0x0020)
    static let accessionNumber = DicomTag(0x0008, 0x0050)
    static let modality = DicomTag(0x0008, 0x0060)
    static let presentationIntentType = DicomTag(0x0008, 0x0068)
    static let manufacturer = DicomTag(0x0008, 0x0070)
    static let manufacturerModelName = DicomTag(0x0008, 0x1090)
    static let codeValue = DicomTag(0x0008, 0x0100)
    static let codeMeaning = DicomTag(0x0008, 0x0104)
    static let patientName = DicomTag(0x0010, 0x0010)
    static let patientID = DicomTag(0x0010, 0x0020)
    static let patientBirthDate = DicomTag(0x0010, 0x0030)
    static let patientSex = DicomTag(0x0010, 0x0040)
    static let bodyPartExamined = DicomTag(0x0018, 0x0015)
    static let imagerPixelSpacing = DicomTag(0x0018, 0x1164)
    static let viewPosition = DicomTag(0x0018, 0x5101)
    static let studyInstanceUID = DicomTag(0x0020, 0x000D)
    static let seriesInstanceUID = DicomTag(0x0020, 0x000E)
    static let laterality = DicomTag(0x0020, 0x0060)
    static let imageLaterality = DicomTag(0x0020, 0x0062)
    static let samplesPerPixel = DicomTag(0x0028, 0x0002)
    static let photometricInterpretation = DicomTag(0x0028, 0x0004)
    static let planarConfiguration = DicomTag(0x0028, 0x0006)
    static let numberOfFrames = DicomTag(0x0028, 0x0008)
    static let rows = DicomTag(0x0028, 0x0010)
    static let columns = DicomTag(0x0028, 0x0011)
    static let pixelSpacing = DicomTag(0x0028, 0x0030)
    static let bitsAllocated = DicomTag(0x0028, 0x0100)
    static let bitsStored = DicomTag(0x0028, 0x0101)
    static let highBit = DicomTag(0x0028, 0x0102)
    static let pixelRepresentation = DicomTag(0x0028, 0x0103)
    static let windowCenter = DicomTag(0x0028, 0x1050)
    static let windowWidth = DicomTag(0x0028, 0x1051)
    static let rescaleIntercept = DicomTag(0x0028, 0x1052)
    static let rescaleSlope = DicomTag(0x0028, 0x1053)
    static let windowExplanation = DicomTag(0x0028, 0x1055)
    static let voiLUTFunction = DicomTag(0x0028, 0x1056)
    static let redPaletteDescriptor = DicomTag(0x0028, 0x1101)
    static let greenPaletteDescriptor = DicomTag(0x0028, 0x1102)
    static let bluePaletteDescriptor = DicomTag(0x0028, 0x1103)
    static let redPaletteData = DicomTag(0x0028, 0x1201)
    static let greenPaletteData = DicomTag(0x0028, 0x1202)
    static let bluePaletteData = DicomTag(0x0028, 0x1203)
    static let modalityLUTSequence = DicomTag(0x0028, 0x3000)
    static let lutDescriptor = DicomTag(0x0028, 0x3002)
    static let lutExplanation = DicomTag(0x0028, 0x3003)
    static let lutData = DicomTag(0x0028, 0x3006)
    static let voiLUTSequence = DicomTag(0x0028, 0x3010)
    static let viewCodeSequence = DicomTag(0x0054, 0x0220)
    static let presentationLUTShape = DicomTag(0x2050, 0x0020)
}
