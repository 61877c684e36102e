// DICOM Segmentation objects (PS3.3 A.51) through DCMTK's dcmseg. Every extern "C" body catches C++ exceptions.
#include "FileHandle.hpp"

#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmfg/fgderimg.h>
#include <dcmtk/dcmfg/fgfracon.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgseg.h>
#include <dcmtk/dcmiod/iodmacro.h>
#include <dcmtk/dcmiod/iodreferences.h>
#include <dcmtk/dcmiod/iodrules.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>

#include <cstdio>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace {

CDCMStatus segFail(const OFCondition &condition, const char *what, char *message, size_t capacity) {
    cdcm::copyMessage(std::string(what) + ": " + condition.text(), message, capacity);
    return CDCM_INTERNAL;
}

}  // namespace

extern "C" CDCMStatus cdcm_write_segmentation(const char *sourcePath, const char *outputPath, const uint8_t *mask, uint16_t rows,
                                              uint16_t columns, int fractional, const char *segmentLabel, const char *algorithmName,
                                              const char *softwareVersion, char *message, size_t capacity) {
    try {
        cdcm::initialize();
        DcmFileFormat source;
        OFCondition status = source.loadFile(sourcePath);
        if (status.bad()) return segFail(status, "cannot read the source image", message, capacity);
        DcmDataset *dataset = source.getDataset();
        OFString sopClass, sopInstance, spacing;
        Uint16 sourceRows = 0, sourceColumns = 0;
        dataset->findAndGetOFString(DCM_SOPClassUID, sopClass);
        dataset->findAndGetOFString(DCM_SOPInstanceUID, sopInstance);
        dataset->findAndGetUint16(DCM_Rows, sourceRows);
        dataset->findAndGetUint16(DCM_Columns, sourceColumns);
        if (sopClass.empty() || sopInstance.empty()) {
            cdcm::copyMessage("the source has no SOP Class or SOP Instance UID to reference", message, capacity);
            return CDCM_UNSUPPORTED;
        }
        if (sourceRows != rows || sourceColumns != columns) {
            cdcm::copyMessage("the mask is " + std::to_string(columns) + "x" + std::to_string(rows) + " but the source image is " +
                              std::to_string(sourceColumns) + "x" + std::to_string(sourceRows), message, capacity);
            return CDCM_UNSUPPORTED;
        }
        IODGeneralEquipmentModule::EquipmentInfo equipment("Cohort", "Cohort", "1", softwareVersion);
        ContentIdentificationMacro content("1", "LESION", "Lesion segmentation predicted by Cohort", "Cohort");
        DcmSegmentation *created = nullptr;
        // Fractional: the value is the probability of lesion times 255 (Segmentation Type FRACTIONAL, PROBABILITY).
        const Uint16 maximumFractionalValue = 255;
        status = fractional ? DcmSegmentation::createFractionalSegmentation(created, rows, columns, DcmSegTypes::SFT_PROBABILITY,
                                                                            maximumFractionalValue, equipment, content)
                            : DcmSegmentation::createBinarySegmentation(created, rows, columns, equipment, content);
        if (status.bad() || created == nullptr) return segFail(status, "cannot create the segmentation", message, capacity);
        std::unique_ptr<DcmSegmentation> segmentation(created);
        status = segmentation->importFromSourceImage(*dataset, OFTrue);
        if (status.bad()) return segFail(status, "cannot take patient and study from the source", message, capacity);
        OFString frameOfReference;
        if (dataset->findAndGetOFString(DCM_FrameOfReferenceUID, frameOfReference).bad() || frameOfReference.empty()) {
            // Projection images (mammograms, ultrasound) have no patient coordinate system: PS3.3 A.51 requires the
            // Frame of Reference only when the source has one, while DCMTK 3.6.7 makes it type 1 unconditionally.
            IODRule *rule = segmentation->getRules()->getByTag(DCM_FrameOfReferenceUID);
            if (rule != nullptr) rule->setType("3");
        }
        segmentation->getSeries().setSeriesDescription("Cohort lesion segmentation");
        // (0020,0011) Series Number is type 1 in the Segmentation Series Module; a high number keeps it apart from
        // the acquisition's series in viewers' series lists.
        segmentation->getSeries().setSeriesNumber("9001");

        // One segment: a lesion (SNOMED CT 'Morphologically altered structure' / 'Mass'), found automatically.
        DcmSegment *segment = nullptr;
        CodeSequenceMacro category("49755003", "SCT", "Morphologically Altered Structure");
        CodeSequenceMacro type("4147007", "SCT", "Mass");
        status = DcmSegment::create(segment, segmentLabel, category, type, DcmSegTypes::SAT_AUTOMATIC, algorithmName);
        if (status.bad() || segment == nullptr) return segFail(status, "cannot create the segment", message, capacity);
        Uint16 segmentNumber = 0;
        status = segmentation->addSegment(segment, segmentNumber);
        if (status.bad()) { delete segment; return segFail(status, "cannot add the segment", message, capacity); }

        // Pixel Measures belong with a Frame of Reference (PS3.3 A.51.5); without one they would describe no
        // patient space, and highdicom refuses them without a slice thickness.
        OFString thickness;
        if (!frameOfReference.empty() && dataset->findAndGetOFStringArray(DCM_PixelSpacing, spacing).good() && !spacing.empty() &&
            dataset->findAndGetOFString(DCM_SliceThickness, thickness).good() && !thickness.empty()) {
            FGPixelMeasures measures;
            if (measures.setPixelSpacing(spacing).good() && measures.setSliceThickness(thickness).good()) segmentation->addForAllFrames(measures);
        }
        OFString organization;
        char uid[100];
        organization = dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
        IODMultiframeDimensionModule &dimensions = segmentation->getDimensions();
        status = dimensions.addDimensionIndex(DCM_ReferencedSegmentNumber, organization, DCM_SegmentIdentificationSequence, "Segment");
        if (status.bad()) return segFail(status, "cannot declare the frame dimension", message, capacity);

        FGFrameContent frameContent;
        frameContent.setDimensionIndexValues(1, 0);
        ImageSOPInstanceReferenceMacro reference;
        reference.setReferencedSOPClassUID(sopClass);
        reference.setReferencedSOPInstanceUID(sopInstance);
        OFVector<ImageSOPInstanceReferenceMacro> references;
        references.push_back(reference);
        std::unique_ptr<FGDerivationImage> derivation(DcmSegmentation::createDerivationImageFG(references, "Predicted by a Cohort segmentation model"));
        if (!derivation) { cdcm::copyMessage("cannot reference the source image", message, capacity); return CDCM_INTERNAL; }
        OFVector<FGBase *> perFrame;
        perFrame.push_back(&frameContent);
        perFrame.push_back(derivation.get());
        std::vector<Uint8> pixels(mask, mask + static_cast<size_t>(rows) * columns);
        status = segmentation->addFrame(pixels.data(), segmentNumber, perFrame);
        if (status.bad()) return segFail(status, "cannot add the mask frame", message, capacity);

        // Common Instance Reference Module: the source's series and instance, so that readers (highdicom) find
        // the source image by its SOP Instance UID.
        OFString patient, study, series;
        dataset->findAndGetOFString(DCM_PatientID, patient);
        dataset->findAndGetOFString(DCM_StudyInstanceUID, study);
        dataset->findAndGetOFString(DCM_SeriesInstanceUID, series);
        IODReferences sourceReferences;
        IODImageReference *imageReference = new IODImageReference(patient, study, series, sopInstance, sopClass);
        if (!sourceReferences.add(imageReference)) delete imageReference;
        if (segmentation->getCommonInstanceReference().addReferences(sourceReferences, study) != 1) {
            cdcm::copyMessage("cannot record the source image in the Referenced Series Sequence", message, capacity);
            return CDCM_INTERNAL;
        }

        DcmFileFormat output;
        status = segmentation->writeDataset(*output.getDataset());
        if (status.bad()) return segFail(status, "cannot write the segmentation", message, capacity);
        // The mask is on the source's own pixel grid: (0028,135A) Spatial Locations Preserved YES in the Source
        // Image Sequence item (dcmfg does not model it; readers such as highdicom index by source frame only then).
        DcmItem *frameItem = nullptr, *derivationItem = nullptr, *sourceItem = nullptr;
        if (output.getDataset()->findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, frameItem, 0).good() && frameItem &&
            frameItem->findAndGetSequenceItem(DCM_DerivationImageSequence, derivationItem, 0).good() && derivationItem &&
            derivationItem->findAndGetSequenceItem(DCM_SourceImageSequence, sourceItem, 0).good() && sourceItem) {
            sourceItem->putAndInsertString(DCM_SpatialLocationsPreserved, "YES");
        }
        return cdcm::saveAtomically(output, outputPath, EXS_LittleEndianExplicit, message, capacity);
    } catch (const std::bad_alloc &) {
        cdcm::copyMessage("out of memory", message, capacity);
        return CDCM_INTERNAL;
    } catch (...) {
        cdcm::copyMessage("unexpected C++ exception in DCMTK", message, capacity);
        return CDCM_INTERNAL;
    }
}
