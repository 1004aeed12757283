"""Code tables for pathology, laboratory and imaging inputs (clinical.md §3, §4), as data.

Each entry carries, in the comment beside it, what verification found (search tool over public
FHIR IGs and code, 2025). "third-party" means seen only outside an HL7/LOINC publication.
Systems are compared after `canonical_system`, so OID spellings of the same system match.
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
CPT = "http://www.ama-assn.org/go/cpt"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# NCI Thesaurus as mCODE writes it (HL7/fhir-mCODE-ig input/fsh/AL_CodeSystems.fsh "NCIT").
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
# UICC TNM as the German MII oncology module writes it (medizininformatik-initiative/
# kerndatensatzmodul-onkologie input/fsh/aliases.fsh "$UICC", CodeSystem mii-cs-onko-tnm-uicc).
UICC = "https://www.uicc.org/resources/tnm"
# MII oncology grading (kerndatensatzmodul-onkologie input/fsh/oBDS/06_Histologie/
# mii-cs-onko-grading.fsh).
MII_GRADING = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/mii-cs-onko-grading"
)

# Swiss cancer-registry IG (ahdis/ch-crl): its national code systems share this prefix
# (input/fsh/content-until-v0.2.1/aliases.fsh, content-v0.9.0-v1.0.0/aliases.fsh).
CH_CRL_CS = "http://fhir.ch/ig/ch-crl/CodeSystem/"

# OIDs and legacy URLs senders use for the same code systems (FHIR R4 terminology pages).
_SYSTEM_ALIASES: dict[str, str] = {
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.43.1": ICDO3,
    "http://hl7.org/fhir/sid/icd-o-3": ICDO3,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "urn:oid:2.16.840.1.113883.6.8": UCUM,
    "urn:oid:1.2.840.10008.2.16.4": DICOM,
    "http://hl7.org/fhir/v3/ObservationInterpretation": V3_INTERPRETATION,
    # NCIt's OID (C-CDA schematron "NCI Thesaurus (NCIt) urn:oid:2.16.840.1.113883.3.26.1.1";
    # the FHIR R4 Device example codes "MR Unsafe" with it).
    "urn:oid:2.16.840.1.113883.3.26.1.1": NCIT,
}


def canonical_system(system: str) -> str:
    return _SYSTEM_ALIASES.get(system, system)


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.system, self.code)


def keys(*codes: Code) -> frozenset[tuple[str, str]]:
    return frozenset(c.key for c in codes)


# --- Observation codes (what is measured) -----------------------------------------------------
TUMOR_SIZE = keys(
    # mCODE TumorSize component and German MII onko maps use 33728-7 "Size.maximum dimension in
    # Tumor"; matches the spec.
    Code(LOINC, "33728-7", "Size.maximum dimension in Tumor"),
)
TUMOR_SIZE_PANEL = keys(
    # mCODE STU2 TumorSize profile: code 21889-1 "Size Tumor" with component 33728-7; matches.
    Code(LOINC, "21889-1", "Size Tumor"),
)
HISTOLOGIC_GRADE = keys(
    # mCODE / MII onko profiles fix code 33732-9 "Histology grade [Identifier] in Cancer
    # specimen"; matches (MII example fsh-generated/resources/Observation-mii-exa-onko-grading-1).
    Code(LOINC, "33732-9", "Histology grade [Identifier] in Cancer specimen"),
    # mCODE STU4 HistologicGrade profile: code = NCIT#C18000 "Histologic Grade"
    # (HL7/fhir-mCODE-ig input/fsh/SD_Histology.fsh); confirmed.
    Code(NCIT, "C18000", "Histologic Grade"),
    # 371469007 "Histopathological grading status (observable entity)": third-party pathology
    # profiles and questionnaires (component "histologicalGrade"); not in an HL7 IG seen.
    Code(SNOMED, "371469007", "Histopathological grading status"),
)
KI67 = keys(
    # Spec flagged "third-party only". Found in the Lithuanian lab IG (build.fhir.org HL7LT
    # ig-lt-lab, Ki-67 example, unit %) and the HL7 US Breast Cancer IG draft profile
    # "Ki-67NuclearAntigen": "Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain"; confirmed.
    Code(LOINC, "29593-1", "Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain"),
)
NOT_KI67 = keys(
    # 85319-2 is "HER2 [Presence] in Breast cancer specimen by Immune stain" (MII onko FSH,
    # several IG value sets). One third-party file mislabels it as Ki-67: never read it as Ki-67.
    Code(LOINC, "85319-2", "HER2 [Presence] in Breast cancer specimen by Immune stain"),
)
LYMPHOVASCULAR_INVASION = keys(
    # Spec flagged "third-party only". Found in MII onko pathology FSH and a Dutch pathology IG:
    # "Venous + Lymphatic small vessel invasion in Specimen by CAP cancer protocols"; confirmed.
    Code(LOINC, "33761-8", "Venous + Lymphatic small vessel invasion in Specimen by CAP"),
)
NODES_EXAMINED = keys(
    # Spec flagged "third-party only". MII onko pathology FSH: "Regional lymph nodes examined
    # [#] Specimen" (German "Anzahl untersuchter Lymphknoten"); confirmed. Note: one third-party
    # generator swaps 21893-3/21894-1; the majority and the MII IG agree with this table.
    Code(LOINC, "21894-1", "Regional lymph nodes examined [#] Specimen"),
    # 444025001 "Number of lymph nodes examined by microscopy in excised specimen": the MII
    # oBDS-to-FHIR mapper codes "LK untersucht" with 21894-1 + 444025001; several pathology
    # profiles use it as a component code; confirmed (third-party and MII tooling).
    Code(SNOMED, "444025001", "Number of lymph nodes examined"),
)
NODES_POSITIVE = keys(
    # Spec flagged "third-party only". FHIR example JSON and MII-based mappers: "Regional lymph
    # nodes positive [#] Specimen"; confirmed (MII example Observation-mii-exa-onko-anzahl-
    # befallene-lymphknoten-0, valueQuantity code "1", unit "#").
    Code(LOINC, "21893-3", "Regional lymph nodes positive [#] Specimen"),
    # 443527007 "Number of lymph nodes containing metastatic neoplasm in excised specimen": MII
    # test data (beside 21893-3), the Dutch pathology IG examples ("aantal lymfeklieren aangedaan
    # door maligniteit", valueInteger) and the MII oBDS mapper; confirmed.
    Code(SNOMED, "443527007", "Number of lymph nodes containing metastatic neoplasm"),
)
PN_CATEGORY = keys(
    # mCODE TNMRegionalNodesCategory binds 21900-6 "Regional lymph nodes.pathology [Class]
    # Cancer" (hl7.org/fhir/us/mcode/STU3; STU4 keeps it in TNMRegionalNodesStagingTypeMaxVS,
    # input/fsh/VS_Staging_TNM.fsh); confirmed.
    Code(LOINC, "21900-6", "Regional lymph nodes.pathology [Class] Cancer"),
    # MII onko (example Observation-mii-exa-onko-tnm-n-kategorie-pN0i-sn, UICC value N0 with a
    # "p" prefix extension), mCODE STU4 (TNMRegionalNodesStagingTypeVS; extended example
    # tnm-pathologic-regional-nodes-category-jenny-m); confirmed.
    Code(SNOMED, "371494008", "pN category (observable entity)"),
)
CLINICAL_N_CATEGORY = keys(
    # Synthea writes N categories as 21906-3 "Regional lymph nodes.clinical [Class] Cancer"
    # with SNOMED "N0 category (finding)" etc. (synthetichealth/synthea src/main/resources/
    # modules/breast_cancer/tnm_diagnosis.json); mCODE TNMRegionalNodesStagingTypeMaxVS.
    Code(LOINC, "21906-3", "Regional lymph nodes.clinical [Class] Cancer"),
    # 399534004 "cN category": mCODE TNMRegionalNodesStagingTypeVS; MII example
    # Observation-mii-exa-onko-tnm-n-kategorie-N0 (prefix "c").
    Code(SNOMED, "399534004", "cN category (observable entity)"),
    # 277206009 "N category" (no c/p): mCODE TNMRegionalNodesStagingTypeVS. Read like cN: it
    # does not say the nodes were examined by a pathologist.
    Code(SNOMED, "277206009", "N category (observable entity)"),
)
M_CATEGORY = keys(
    # Third-party code lists (OMOP/mCODE mappers): 21901-4 pM (pathological) and 21907-1 M
    # (clinical). Used only to read M1 (metastatic at surgery) / M0.
    Code(LOINC, "21901-4", "Distant metastases.pathology [Class] Cancer"),
    Code(LOINC, "21907-1", "Distant metastases.clinical [Class] Cancer"),
)
PERINEURAL_INVASION = keys(
    # MII onko pathology FSH and French CI-SIS schematron: "Perineural invasion [Presence] in
    # Cancer specimen"; confirmed.
    Code(LOINC, "92837-4", "Perineural invasion [Presence] in Cancer specimen"),
    # 371513001 "Presence of direct invasion by primary malignant neoplasm to nerve": the MII
    # UICC Pn category Observation (example Observation-mii-exa-onko-tnm-pn-kategorie-Pn1,
    # value UICC Pn1). One third-party example labels 371513001 as lymphovascular; the MII IG
    # is followed here.
    Code(SNOMED, "371513001", "Presence of direct invasion by primary malignant neoplasm to nerve"),
)
LYMPHATIC_INVASION = keys(
    # UICC L category: 395715009 "Status of lymphatic (small vessel) invasion by tumor" with
    # value UICC L0/L1/LX (MII examples Observation-mii-exa-onko-tnm-l-kategorie-L1 / -L).
    Code(SNOMED, "395715009", "Status of lymphatic (small vessel) invasion by tumor"),
    # Swiss registry CHCRLObservationLymphaticInvasion: 277060007 "Lymphatic tumor invasion
    # status" with an nkrs-lymphaticinvasion value (ahdis/ch-crl input/fsh/content-until-v0.2.1/
    # instances/LymphaticInvasion-20181215.fsh); confirmed.
    Code(SNOMED, "277060007", "Lymphatic tumor invasion status"),
)
VENOUS_INVASION = keys(
    # UICC V category: 371493002 "Status of venous (large vessel) invasion by tumor" with value
    # UICC V0/V1/V2/VX (MII example Observation-mii-exa-onko-tnm-v-kategorie-V1).
    Code(SNOMED, "371493002", "Status of venous (large vessel) invasion by tumor"),
    # Swiss registry CHCRLObservationVenousInvasion: 277061006 "Venous tumor invasion status"
    # (ahdis/ch-crl ... instances/VenousInvasion-20181215.fsh); confirmed.
    Code(SNOMED, "277061006", "Venous tumor invasion status"),
)
CHROMOGRANIN_A = keys(
    # ARUP test 0080469 "Chromogranin A" lists component LOINC 9811-1 (ltd.aruplab.com);
    # confirmed as serum/plasma chromogranin A.
    Code(LOINC, "9811-1", "Chromogranin A [Mass/volume] in Serum or Plasma"),
)

# --- Answer codes -------------------------------------------------------------------------------
GRADE_ANSWERS: dict[tuple[str, str], str] = {
    # mCODE HistologicGradeVS (HL7/fhir-mCODE-ig input/fsh/VS_Other.fsh; MII ConceptMap oBDS
    # grading L/M/H): 1155708003 low, 1286893008 intermediate, 1155707008 high. Read as
    # G1/G2/G3 per clinical.md §3 (note: the MII map pairs them with "G1 or G2" / "G2 or G3" /
    # "G3 or G4" in its own grading system).
    (SNOMED, "1155708003"): "G1",
    (SNOMED, "1286893008"): "G2",
    (SNOMED, "1155707008"): "G3",
    # Older SNOMED grade findings, often sent without display: 54102005 "G1 grade (finding)",
    # 1663004 "G2 grade", 61026006 "G3 grade" (DICOM CID 6070 in bvdh/dicom-terminology-in-fhir
    # input/fsh/ValueSet-dicom-cid-6070-BloomRichardsonHistologicGrade.fsh; several IG value
    # sets); confirmed.
    (SNOMED, "54102005"): "G1",
    (SNOMED, "1663004"): "G2",
    (SNOMED, "61026006"): "G3",
    # AJCC grade qualifiers: 1228848004 G1, 1228850007 G2, 1228851006 G3 (three third-party
    # pathology generators and questionnaires agree); not in an HL7 IG seen.
    (SNOMED, "1228848004"): "G1",
    (SNOMED, "1228850007"): "G2",
    (SNOMED, "1228851006"): "G3",
    # MII grading (mii-cs-onko-grading.fsh): 1 "gut differenziert", 2 "mäßig differenziert",
    # 3 "schlecht differenziert", H "high grade (G3 oder G4)": at least G3, and G4 is no NET
    # grade, so G3. MII example Observation-mii-exa-onko-grading-1 sends code "3", no display.
    (MII_GRADING, "1"): "G1",
    (MII_GRADING, "2"): "G2",
    (MII_GRADING, "3"): "G3",
    (MII_GRADING, "H"): "G3",
    # NCIt grade answer codes (C28077/C28078/C28079 are said to be Grade 1/2/3): not confirmed in
    # any public FHIR source seen, so not listed; NCIt codings are read by their display text.
}
# Codes that name a grade range or no grade: unknown, with their meaning in the warning
# (reading "G1 or G2" as either would be a guess; §3.1 leaves such a grade unknown).
GRADE_NOT_SINGLE: dict[tuple[str, str], str] = {
    (MII_GRADING, "L"): "low grade (G1 or G2)",
    (MII_GRADING, "M"): "intermediate grade (G2 or G3)",
    (MII_GRADING, "4"): "undifferentiated (G4, not a NET grade)",
    (MII_GRADING, "X"): "not assessable",
    (MII_GRADING, "U"): "unknown",
}
# UICC L / V / Pn categories (MII CodeSystem mii-cs-onko-tnm-uicc, codes L0 L1 LX, V0 V1 V2 VX,
# Pn0 Pn1 PnX): True present, False absent, None cannot be assessed.
# The Swiss registry codes the same categories as numbers (8 = X, cannot be assessed):
# nkrs-lymphaticinvasion 0 L0 / 1 L1 / 8 LX, nkrs-venousinvasion 0 V0 / 1 V1 / 2 V2 / 8 VX,
# nkrs-perineuralinvasion 0 Pn0 / 1 Pn1 / 8 PnX (ahdis/ch-crl input/fsh/content-until-v0.2.1/
# codesystems/NkrsLymphaticInvasion.fsh, NkrsVenousInvasion.fsh, NkrsPerineuralInvasion.fsh).
NKRS_LYMPHATIC = CH_CRL_CS + "nkrs-lymphaticinvasion"
NKRS_VENOUS = CH_CRL_CS + "nkrs-venousinvasion"
NKRS_PERINEURAL = CH_CRL_CS + "nkrs-perineuralinvasion"
UICC_LYMPHATIC: dict[tuple[str, str], bool | None] = {
    (UICC, "L0"): False,
    (UICC, "L1"): True,
    (UICC, "LX"): None,
    (NKRS_LYMPHATIC, "0"): False,
    (NKRS_LYMPHATIC, "1"): True,
    (NKRS_LYMPHATIC, "8"): None,
}
UICC_VENOUS: dict[tuple[str, str], bool | None] = {
    (UICC, "V0"): False,
    (UICC, "V1"): True,
    (UICC, "V2"): True,
    (UICC, "VX"): None,
    (NKRS_VENOUS, "0"): False,
    (NKRS_VENOUS, "1"): True,
    (NKRS_VENOUS, "2"): True,
    (NKRS_VENOUS, "8"): None,
}
UICC_PERINEURAL: dict[tuple[str, str], bool | None] = {
    (UICC, "Pn0"): False,
    (UICC, "Pn1"): True,
    (UICC, "PnX"): None,
    (NKRS_PERINEURAL, "0"): False,
    (NKRS_PERINEURAL, "1"): True,
    (NKRS_PERINEURAL, "8"): None,
}
# N category answers sent as SNOMED codes, possibly without display: True node-positive,
# False N0, None NX.
N_CATEGORY_ANSWERS: dict[tuple[str, str], bool | None] = {
    # AJCC pN: 1229947003 pN0 (mCODE EX_ExtendedExample.fsh), 1229951001 pN1, 1229957002 pN2,
    # 1229962001 pN3, 1229945006 pNX (NZ CanShare canshare-tnm-pn value set; third-party
    # mCODE generators); confirmed.
    (SNOMED, "1229947003"): False,
    (SNOMED, "1229951001"): True,
    (SNOMED, "1229957002"): True,
    (SNOMED, "1229962001"): True,
    (SNOMED, "1229945006"): None,
    # AJCC cN: 1229967007 cN0 (mCODE EX_ExtendedExample.fsh), 1229973008 cN1, 1229978004 cN2,
    # 1229984001 cN3, 1229966003 cNX (third-party mCODE value set lists); confirmed for cN0.
    (SNOMED, "1229967007"): False,
    (SNOMED, "1229973008"): True,
    (SNOMED, "1229978004"): True,
    (SNOMED, "1229984001"): True,
    (SNOMED, "1229966003"): None,
    # Synthea (modules/breast_cancer/tnm_diagnosis.json): 62455006 "N0 category (finding)",
    # 53623008 N1, 46059003 N2, 5856006 N3.
    (SNOMED, "62455006"): False,
    (SNOMED, "53623008"): True,
    (SNOMED, "46059003"): True,
    (SNOMED, "5856006"): True,
}
PRESENT = keys(
    # 52101004 "Present (qualifier value)": MII onko, Dutch pathology IG; confirmed.
    Code(SNOMED, "52101004", "Present"),
)
ABSENT = keys(
    # 47492008 "Not seen (qualifier value)": MII onko questionnaire answers; confirmed.
    Code(SNOMED, "47492008", "Not seen"),
    # 2667000 "Absent (qualifier value)": third-party FHIR generators; confirmed.
    Code(SNOMED, "2667000", "Absent"),
    # 260415000 "Not detected": seen in a third-party pathology generator beside 52101004.
    Code(SNOMED, "260415000", "Not detected"),
)
# HL7 v3 ObservationInterpretation: H high, HH critical high, HU significantly high.
INTERPRETATION_HIGH = frozenset({(V3_INTERPRETATION, c) for c in ("H", "HH", "HU")})
INTERPRETATION_NOT_HIGH = frozenset({(V3_INTERPRETATION, c) for c in ("N", "L", "LL", "LU")})

# --- Abdominal CT/MRI (surveillance imaging, clinical.md §4) --------------------------------------
# Correction: the spec calls 79103-8 "multiphasic CT abdomen with contrast"; LOINC's name, as
# seen in several IG value sets, is "CT Abdomen W contrast IV" (not specific to multiphase).
# A few third-party files call it "CT Abdomen and Pelvis W contrast IV"; the majority do not.
IMAGING_MODALITY: dict[tuple[str, str], str] = {
    (LOINC, "79103-8"): "CT",  # CT Abdomen W contrast IV
    (LOINC, "36424-0"): "CT",  # CT Abdomen WO contrast (same value set as 79103-8)
    (LOINC, "36267-3"): "CT",  # CT Abdomen WO and W contrast IV (same value set)
    (LOINC, "36813-4"): "CT",  # CT Abdomen and Pelvis W contrast IV (several FHIR examples)
    (LOINC, "24557-1"): "MRI",  # MR Abdomen WO and W contrast IV (radiology code list)
    (LOINC, "36134-5"): "MRI",  # MR Abdomen W contrast IV (one third-party radiology map)
}
DICOM_MODALITY = {(DICOM, "CT"): "CT", (DICOM, "MR"): "MRI"}
