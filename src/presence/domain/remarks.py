"""The remark catalogue: what the asynchronous checks can find wrong with a registration.

One catalogue serves every channel. Each remark has its REST code (`CAW_nn`), the exact SOAP text (typos and
double spaces are part of the contract), labels in the four languages, a plain-language explanation and the
fix. CAW_01..CAW_17 follow the order of the SOAP enumeration (CAW_14 is the duplicate, as the REST contract
says); CAW_18 and CAW_19 are ours, for the pairing of check-ins and check-outs in cleaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .texts import N_


class RemarkCode(StrEnum):
    DIMONA_NOT_OK = "CAW_01"
    INSS_NOT_FOUNDER = "CAW_02"
    EMPLOYER_NOT_FOUNDER = "CAW_03"
    COMPANY_DOES_NOT_EXIST = "CAW_04"
    INDEPENDENT_NOT_FOUNDER = "CAW_05"
    LIMOSA_UNKNOWN = "CAW_06"
    LIMOSA_NOT_ACTIVE = "CAW_07"
    INSS_NOT_IN_LIMOSA = "CAW_08"
    INSS_NOT_ACTIVE_IN_LIMOSA = "CAW_09"
    DECLARATION_UNKNOWN = "CAW_10"
    DECLARATION_NOT_ACTIVE = "CAW_11"
    COMPANY_NOT_IN_DECLARATION = "CAW_12"
    SITE_NOT_SUBJECT = "CAW_13"
    DUPLICATE = "CAW_14"
    INSS_UNKNOWN = "CAW_15"
    EMPLOYER_NOT_ACTIVE = "CAW_16"
    CONTRACT_NOT_ACTIVE = "CAW_17"
    OUT_WITHOUT_IN = "CAW_18"
    SECOND_IN = "CAW_19"


@dataclass(frozen=True)
class Remark:
    code: RemarkCode
    soap_text: str | None  # None: not part of the SOAP enumeration (cleaning only)
    labels: dict[str, str]
    explanation: str
    fix: str

    def label(self, language: str) -> str:
        return self.labels.get(language, self.labels["en"])


def _remark(code, soap_text, fr, nl, de, en, explanation, fix) -> Remark:
    return Remark(code, soap_text, {"fr": fr, "nl": nl, "de": de, "en": en}, explanation, fix)


CATALOGUE: dict[RemarkCode, Remark] = {
    r.code: r
    for r in (
        _remark(
            RemarkCode.DIMONA_NOT_OK,
            "RELATED DIMONA NOT OK",
            "Pas de Dimona valable pour ce travailleur chez cet employeur à cette date",
            "Geen geldige Dimona voor deze werknemer bij deze werkgever op deze datum",
            "Keine gültige Dimona für diesen Arbeitnehmer bei diesem Arbeitgeber an diesem Datum",
            "No valid Dimona for this worker with this employer on this date",
            N_("The enterprise is an employer, but no Dimona employment declaration covers this person with this "
            "enterprise on the registration date, and the person is not one of its founders or mandataries."),
            N_("Have the employer make (or correct) the Dimona declaration for this person and date; the "
            "registration is checked again automatically when the Dimona arrives."),
        ),
        _remark(
            RemarkCode.INSS_NOT_FOUNDER,
            "GIVEN INSS IS NOT THE FOUNDER OF THE COMPANY",
            "Ce NISS n'est pas fondateur ou mandataire de la société",
            "Dit INSZ is geen oprichter of mandataris van de vennootschap",
            "Diese INSZ ist kein Gründer oder Mandatsträger der Gesellschaft",
            "This INSS is not a founder or mandatary of the company",
            N_("The company has no staff (it is not registered as an employer), so whoever works for it must be "
            "one of its founders or mandataries; this person is not."),
            N_("Check the enterprise number. If the person is in fact employed, the company must register as an "
            "employer and make a Dimona; if the person is a mandatary, have the mandate published."),
        ),
        _remark(
            RemarkCode.EMPLOYER_NOT_FOUNDER,
            "EMPLOYER IS NOT KNOWN AS COMPANY FOUNDER",
            "La personne n'est pas fondateur ou mandataire de l'entreprise à cette date",
            "De persoon is op deze datum geen oprichter of mandataris van de onderneming",
            "Die Person ist an diesem Datum kein Gründer oder Mandatsträger des Unternehmens",
            "The person is not a founder or mandatary of the enterprise on this date",
            N_("The person is recorded as a founder or mandatary of the enterprise, but not on the registration "
            "date (the mandate ended before it or starts after it), and no Dimona covers that date."),
            N_("Check the date and the enterprise number; if the mandate was renewed, have it published in the "
            "enterprise register."),
        ),
        _remark(
            RemarkCode.COMPANY_DOES_NOT_EXIST,
            "THE COMPANY DOESN'T EXISTS",
            "L'entreprise n'existe pas à cette date",
            "De onderneming bestaat niet op deze datum",
            "Das Unternehmen besteht an diesem Datum nicht",
            "The enterprise does not exist on this date",
            N_("The enterprise number is known, but the enterprise had not started yet, or had already been "
            "struck off, on the registration date."),
            N_("Check the enterprise number: a successor enterprise has a number of its own."),
        ),
        _remark(
            RemarkCode.INDEPENDENT_NOT_FOUNDER,
            "INDEPENDANT IS NOT KNOWN AS COMPANY FOUNDER",
            "L'indépendant n'est pas le titulaire de cette entreprise",
            "De zelfstandige is niet de titularis van deze onderneming",
            "Der Selbständige ist nicht der Inhaber dieses Unternehmens",
            "The self-employed person is not the holder of this enterprise",
            N_("The enterprise is a self-employed person's own enterprise (a natural person) without staff, and "
            "the registered person is not that self-employed person."),
            N_("A self-employed person registers with his own enterprise number. Check which enterprise the "
            "person works for."),
        ),
        _remark(
            RemarkCode.LIMOSA_UNKNOWN,
            "LIMOSA ID IS NOT KNOWN",
            "Numéro Limosa inconnu",
            "Limosa-nummer onbekend",
            "Limosa-Nummer unbekannt",
            "Unknown Limosa number",
            N_("No Limosa declaration has this number."),
            N_("Check the number on the Limosa-1 document (or scan its QR code); the foreign employer must make "
            "the Limosa declaration before the work starts."),
        ),
        _remark(
            RemarkCode.LIMOSA_NOT_ACTIVE,
            "LIMOSA ID IS NOT ACTIVE AT DATE",
            "La déclaration Limosa ne couvre pas cette date",
            "De Limosa-melding dekt deze datum niet",
            "Die Limosa-Meldung deckt dieses Datum nicht ab",
            "The Limosa declaration does not cover this date",
            N_("The Limosa declaration exists but its posting period does not include the registration date."),
            N_("Have the foreign employer extend or renew the Limosa declaration."),
        ),
        _remark(
            RemarkCode.INSS_NOT_IN_LIMOSA,
            "NISS-BIS IS NOT KNOWN IN LIMOSA",
            "Ce NISS/BIS ne figure dans aucune déclaration Limosa de cet employeur",
            "Dit INSZ/BIS komt in geen Limosa-melding van deze werkgever voor",
            "Diese INSZ/BIS ist in keiner Limosa-Meldung dieses Arbeitgebers bekannt",
            "This INSS/BIS is in no Limosa declaration of this employer",
            N_("The person is registered for a foreign enterprise, but no Limosa declaration of that enterprise "
            "names this INSS or BIS number."),
            N_("Have the foreign employer make a Limosa declaration for this person, or register with the "
            "Limosa number instead."),
        ),
        _remark(
            RemarkCode.INSS_NOT_ACTIVE_IN_LIMOSA,
            "NISS-BIS IS NOT ACTIVE AT THIS DATE IN LIMOSA",
            "Aucune déclaration Limosa de cet employeur ne couvre ce NISS/BIS à cette date",
            "Geen Limosa-melding van deze werkgever dekt dit INSZ/BIS op deze datum",
            "Keine Limosa-Meldung dieses Arbeitgebers deckt diese INSZ/BIS an diesem Datum ab",
            "No Limosa declaration of this employer covers this INSS/BIS on this date",
            N_("The foreign enterprise declared this person in Limosa, but for another period."),
            N_("Have the foreign employer extend or renew the Limosa declaration."),
        ),
        _remark(
            RemarkCode.DECLARATION_UNKNOWN,
            "DUC IS NOT EXISTING",
            "Déclaration de travaux inconnue",
            "Aangifte van werken onbekend",
            "Unbekannte Bauarbeitenerklärung",
            "Unknown work declaration",
            N_("No work declaration has this number."),
            N_("Check the number on the workplace poster (or scan its QR code). The declaring contractor must "
            "declare the works before they start."),
        ),
        _remark(
            RemarkCode.DECLARATION_NOT_ACTIVE,
            "DUC IS NOT ACTIVE AT THIS DATE",
            "La déclaration de travaux ne couvre pas cette date",
            "De aangifte van werken dekt deze datum niet",
            "Die Bauarbeitenerklärung deckt dieses Datum nicht ab",
            "The work declaration does not cover this date",
            N_("The works were declared for a period that does not include the registration date."),
            N_("Have the declaring contractor update the start or end date of the work declaration."),
        ),
        _remark(
            RemarkCode.COMPANY_NOT_IN_DECLARATION,
            "COMPANY IS NOT KNOWN  AS BUILDER OR  SUBCONTRACTOR IN THIS DUC",
            "L'entreprise n'est ni l'entrepreneur ni un sous-traitant de cette déclaration de travaux",
            "De onderneming is aannemer noch onderaannemer in deze aangifte van werken",
            "Das Unternehmen ist weder Unternehmer noch Subunternehmer in dieser Bauarbeitenerklärung",
            "The enterprise is neither the contractor nor a subcontractor in this work declaration",
            N_("The enterprise is not in the chain of contractors declared for these works."),
            N_("Have the declaring contractor add the enterprise (as a subcontractor) to the work declaration."),
        ),
        _remark(
            RemarkCode.SITE_NOT_SUBJECT,
            "SITE IS NOT SUBJECT TO PRESENCE REGISTRATION",
            "Ce lieu de travail n'est pas soumis à l'enregistrement des présences",
            "Deze werkplaats is niet onderworpen aan de aanwezigheidsregistratie",
            "Diese Arbeitsstätte unterliegt nicht der Anwesenheitserfassung",
            "This workplace is not subject to presence registration",
            N_("The works declared at this workplace total less than the threshold (EUR 500,000 excl. VAT in "
            "construction), so no registration is required there."),
            N_("Nothing to do if the amount is right. If the works were extended, have the declaration's amounts "
            "updated."),
        ),
        _remark(
            RemarkCode.DUPLICATE,
            "SAME DECLARATION HAS ALREADY BEEN REGISTERED",
            "Cette présence a déjà été enregistrée",
            "Deze aanwezigheid werd al geregistreerd",
            "Diese Anwesenheit wurde bereits erfasst",
            "This presence was already registered",
            N_("An earlier registration, not cancelled, has the same person, enterprise, workplace and date "
            "(for cleaning: the same check-in or check-out minute)."),
            N_("Nothing to do: the earlier registration counts. Cancel this one to tidy up."),
        ),
        _remark(
            RemarkCode.INSS_UNKNOWN,
            "NISS IS NOT KNOW IN THE NATIONAL REGISTER",
            "NISS inconnu au registre national et au registre BIS",
            "INSZ onbekend in het rijksregister en het BIS-register",
            "INSZ im Nationalregister und im BIS-Register unbekannt",
            "INSS unknown in the national register and the BIS register",
            N_("The number has valid check digits but belongs to nobody in the national register or the BIS "
            "register."),
            N_("Check the number on the person's identity card; a foreign worker without one gets a BIS number."),
        ),
        _remark(
            RemarkCode.EMPLOYER_NOT_ACTIVE,
            "EMPLOYER NOT ACTIVE",
            "L'employeur n'est pas actif à cette date",
            "De werkgever is niet actief op deze datum",
            "Der Arbeitgeber ist an diesem Datum nicht aktiv",
            "The employer is not active on this date",
            N_("The enterprise was registered as an employer, but not on the registration date, and the person "
            "is not one of its founders or mandataries."),
            N_("Have the employer's registration with the social security reactivated, or check the enterprise "
            "number."),
        ),
        _remark(
            RemarkCode.CONTRACT_NOT_ACTIVE,
            "THE COMPANY ID ASSOCIATED AT A NOT ACTIVE CONTRACT",
            "Le contrat de l'entreprise dans cette déclaration de travaux ne couvre pas cette date",
            "Het contract van de onderneming in deze aangifte van werken dekt deze datum niet",
            "Der Vertrag des Unternehmens in dieser Bauarbeitenerklärung deckt dieses Datum nicht ab",
            "The enterprise's contract in this work declaration does not cover this date",
            N_("The enterprise is in the chain of contractors of these works, but its contract period does not "
            "include the registration date."),
            N_("Have the declaring contractor update the subcontract's dates in the work declaration."),
        ),
        _remark(
            RemarkCode.OUT_WITHOUT_IN,
            None,
            "Sortie sans entrée",
            "Uitchecken zonder inchecken",
            "Auschecken ohne Einchecken",
            "Check-out without check-in",
            N_("This check-out has no open check-in of the same person at this workplace before it."),
            N_("If the check-in was forgotten, ask the employer to request a correction within 30 days."),
        ),
        _remark(
            RemarkCode.SECOND_IN,
            None,
            "Deuxième entrée sans sortie",
            "Tweede inchecken zonder uitchecken",
            "Zweites Einchecken ohne Auschecken",
            "Second check-in without check-out",
            N_("The person was already checked in at this workplace, with no check-out since."),
            N_("If a check-out was forgotten, ask the employer to request a correction within 30 days."),
        ),
    )
}

SOAP_REMARKS: dict[str, RemarkCode] = {r.soap_text: r.code for r in CATALOGUE.values() if r.soap_text}

# The SOAP contract allows at most this many remarks on one validation.
MAX_REMARKS = 10


def encode_codes(codes) -> str:
    """Remark codes as stored in one column (space separated, in catalogue order)."""
    return " ".join(sorted(str(c) for c in codes))


def decode_codes(text: str | None) -> list[RemarkCode]:
    return [RemarkCode(c) for c in (text or "").split()]
