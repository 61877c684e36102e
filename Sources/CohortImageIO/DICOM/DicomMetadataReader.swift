import CohortCore

/// Collects the catalog's metadata fields from a DICOM file (mammography fields normalised).
struct DicomMetadataReader {
    let file: DicomFile

    func metadata(attributes: PixelAttributes) -> ImageMetadata {
        var m = ImageMetadata(format: .dicom, rows: attributes.rows, columns: attributes.columns,
                              frames: attributes.frames, samplesPerPixel: attributes.samplesPerPixel,
                              bitsAllocated: attributes.bitsAllocated, bitsStored: attributes.bitsStored,
                              isSigned: attributes.isSigned)
        m.patientID = file.string([.patientID])
        m.patientName = file.string([.patientName])
        m.patientBirthDate = file.string([.patientBirthDate])
        m.patientSex = file.string([.patientSex])
        m.studyInstanceUID = file.string([.studyInstanceUID])
        m.seriesInstanceUID = file.string([.seriesInstanceUID])
        m.sopInstanceUID = file.string([.sopInstanceUID])
        m.sopClassUID = file.string([.sopClassUID])
        m.studyDate = file.string([.studyDate])
        m.accessionNumber = file.string([.accessionNumber])
        m.modality = file.string([.modality])
        m.manufacturer = file.string([.manufacturer])
        m.manufacturerModel = file.string([.manufacturerModelName])
        m.bodyPart = file.string([.bodyPartExamined])
        m.laterality = Self.normalisedLaterality(file.string([.imageLaterality]) ?? file.string([.laterality]))
        m.view = viewName()
        m.presentationIntent = file.string([.presentationIntentType])
        m.pixelSpacingMillimeters = file.doubles(.pixelSpacing) ?? file.doubles(.imagerPixelSpacing)
        m.photometricInFile = attributes.photometricInFile
        m.encoding = attributes.transferSyntax
        return m
    }

    /// `L`, `R` or `B`; anything else is dropped rather than guessed.
    static func normalisedLaterality(_ value: String?) -> String? {
        guard let value = value?.uppercased() else { return nil }
        return ["L", "R", "B"].contains(value) ? value : nil
    }

    /// (0018,5101) View Position, else the View Code Sequence's SNOMED/ACR code mapped to its short name.
    private func viewName() -> String? {
        if let position = file.string([.viewPosition])?.uppercased(), !position.isEmpty { return position }
        guard file.itemCount([.viewCodeSequence]) > 0 else { return nil }
        let code = file.string([.viewCodeSequence, .codeValue], items: [0])
        let meaning = file.string([.viewCodeSequence, .codeMeaning], items: [0])
        return MammographyView.shortName(code: code, meaning: meaning)
    }
}

/// Mammography view names from View Code Sequence codes (PS3.16 CID 4014, SNOMED CT and legacy SRT codes).
enum MammographyView {
    static let byCode: [String: String] = [
        "R-10242": "CC", "399162004": "CC", "R-10226": "MLO", "399368009": "MLO", "R-10224": "ML",
        "399260004": "ML", "R-10228": "LM", "399352003": "LM", "R-10230": "LMO", "399099002": "LMO",
        "R-10244": "FB", "399196006": "FB", "R-102D0": "SIO", "399188001": "SIO", "R-40AAA": "ISO",
        "441555000": "ISO", "R-1024A": "XCCL", "399192003": "XCCL", "R-1024B": "XCCM", "399101009": "XCCM",
    ]

    static func shortName(code: String?, meaning: String?) -> String? {
        if let code, let name = byCode[code] { return name }
        guard let meaning = meaning?.lowercased() else { return nil }
        if meaning.contains("medio-lateral oblique") || meaning.contains("mediolateral oblique") { return "MLO" }
        if meaning.contains("cranio-caudal") || meaning.contains("craniocaudal") {
            if meaning.contains("exaggerated") { return meaning.contains("medial") ? "XCCM" : "XCCL" }
            return "CC"
        }
        if meaning.contains("medio-lateral") || meaning.contains("mediolateral") { return "ML" }
        if meaning.contains("latero-medial") || meaning.contains("lateromedial") { return "LM" }
        return nil
    }
}
