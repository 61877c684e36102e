/// The facts about an image that the catalog and the display pipeline need, from whichever format.
///
/// DICOM fills most fields; PNG and TIFF fill the geometry and leave the rest nil. Text is kept as found
/// (trimmed of DICOM padding); normalised fields (``laterality``, ``view``) say which attribute they came from
/// in their documentation.
public struct ImageMetadata: Sendable, Equatable, Codable {
    /// File format the image was read from.
    public var format: ImageFileFormat
    /// (0010,0020) Patient ID.
    public var patientID: String?
    /// (0010,0010) Patient's Name.
    public var patientName: String?
    /// (0010,0030) Patient's Birth Date, `YYYYMMDD`.
    public var patientBirthDate: String?
    /// (0010,0040) Patient's Sex.
    public var patientSex: String?
    /// (0020,000D) Study Instance UID.
    public var studyInstanceUID: String?
    /// (0020,000E) Series Instance UID.
    public var seriesInstanceUID: String?
    /// (0008,0018) SOP Instance UID.
    public var sopInstanceUID: String?
    /// (0008,0016) SOP Class UID.
    public var sopClassUID: String?
    /// (0008,0020) Study Date, `YYYYMMDD`.
    public var studyDate: String?
    /// (0008,0050) Accession Number.
    public var accessionNumber: String?
    /// (0008,0060) Modality, such as `MG`, `US`, `CT`.
    public var modality: String?
    /// (0008,0070) Manufacturer.
    public var manufacturer: String?
    /// (0008,1090) Manufacturer's Model Name.
    public var manufacturerModel: String?
    /// (0018,0015) Body Part Examined.
    public var bodyPart: String?
    /// `L`, `R` or `B`: (0020,0062) Image Laterality, else (0020,0060) Laterality.
    public var laterality: String?
    /// Mammography view (`CC`, `MLO`, ...): (0018,5101) View Position, else (0054,0220) View Code Sequence.
    public var view: String?
    /// (0008,0068) Presentation Intent Type: `FOR PRESENTATION` or `FOR PROCESSING`.
    public var presentationIntent: String?
    /// Row and column spacing in millimetres: (0028,0030) Pixel Spacing, else (0018,1164) Imager Pixel Spacing.
    public var pixelSpacingMillimeters: [Double]?
    /// Image height in pixels.
    public var rows: Int
    /// Image width in pixels.
    public var columns: Int
    /// Number of frames (DICOM) or pages (TIFF).
    public var frames: Int
    /// Samples per pixel in the file.
    public var samplesPerPixel: Int
    /// (0028,0100) Bits Allocated, or the PNG/TIFF bit depth.
    public var bitsAllocated: Int
    /// (0028,0101) Bits Stored, or the PNG/TIFF bit depth.
    public var bitsStored: Int
    /// Whether samples are signed: (0028,0103) Pixel Representation 1, or a signed TIFF sample format.
    public var isSigned: Bool
    /// Photometric interpretation as written in the file (before any YBR to RGB conversion).
    public var photometricInFile: String?
    /// DICOM transfer syntax UID, or the PNG/TIFF compression name.
    public var encoding: String?

    /// Creates metadata with geometry only; DICOM readers set the remaining fields.
    public init(format: ImageFileFormat, rows: Int, columns: Int, frames: Int = 1, samplesPerPixel: Int = 1,
                bitsAllocated: Int, bitsStored: Int, isSigned: Bool = false) {
        self.format = format
        self.rows = rows
        self.columns = columns
        self.frames = frames
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.isSigned = isSigned
    }
}

/// The container format of an image file, detected from content, not from the extension.
public enum ImageFileFormat: String, Sendable, Codable, CaseIterable {
    case dicom, png, tiff
}
