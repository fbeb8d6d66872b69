import pytest

from presence.domain.identifiers import (
    InvalidIdentifier,
    PersonNumberKind,
    mask_inss,
    parse_enterprise_number,
    parse_foreign_vat,
    parse_inss,
    parse_limosa_id,
    parse_work_declaration_number,
    person_number_kind,
)


@pytest.mark.parametrize("number", ["85073003328", "78012340961", "17073003384", "00012556777"])
def test_valid_national_numbers(number):
    assert parse_inss(number) == number
    assert person_number_kind(number) is PersonNumberKind.NISS


@pytest.mark.parametrize("number", ["98472899765", "01490700185", "97440936363"])
def test_valid_bis_numbers(number):
    assert parse_inss(number) == number
    assert person_number_kind(number) is PersonNumberKind.BIS


def test_inss_punctuation_is_tolerated():
    assert parse_inss("85.07.30-033.28") == "85073003328"


@pytest.mark.parametrize("number, reason", [
    ("05011512379", "wrong check digits"),
    ("85073003329", "wrong check digits"),
    ("8507300332", "wrong length"),
    ("8507300332a", "wrong format"),
])
def test_invalid_inss_explains_without_quoting_the_number(number, reason):
    with pytest.raises(InvalidIdentifier) as error:
        parse_inss(number)
    assert error.value.reason == reason
    assert number not in str(error.value)


@pytest.mark.parametrize("spelling", ["0448181966", "0448.181.966", "BE0448181966", "BE 0448 181 966",
                                      "448181966", 448181966])
def test_enterprise_number_in_all_its_spellings(spelling):
    assert parse_enterprise_number(spelling) == "0448181966"


@pytest.mark.parametrize("number", ["0566988259", "0428759497", "0403019261"])
def test_valid_enterprise_numbers(number):
    assert parse_enterprise_number(number) == number


@pytest.mark.parametrize("number", ["0431150351", "0448181967", "04481819", "2448181966"])
def test_invalid_enterprise_numbers(number):
    with pytest.raises(InvalidIdentifier):
        parse_enterprise_number(number)


def test_limosa_numbers():
    assert parse_limosa_id("24910158641968060") == "24910158641968060"
    assert parse_limosa_id("24911936602056031") == "24911936602056031"
    for bad, reason in [("24910158641968061", "check digits"), ("2491015864196806", "length"),
                        ("14910158641968060", "249")]:
        with pytest.raises(InvalidIdentifier, match=reason):
            parse_limosa_id(bad)


def test_work_declaration_numbers():
    assert parse_work_declaration_number("1Y1000003EQCZ") == "1Y1000003EQCZ"
    assert parse_work_declaration_number(" 1y1-000.003 eqcz ") == "1Y1000003EQCZ"
    with pytest.raises(InvalidIdentifier, match="except I and O"):
        parse_work_declaration_number("1Y1000003EQOZ")
    with pytest.raises(InvalidIdentifier, match="13 characters"):
        parse_work_declaration_number("1Y1000003EQC")


def test_foreign_vat_numbers():
    assert parse_foreign_vat("DE 136 695 976") == "DE136695976"
    assert parse_foreign_vat("nl004495445b01") == "NL004495445B01"
    assert parse_foreign_vat("UA1234567890") == "UA1234567890"  # outside the EU: shape only
    with pytest.raises(InvalidIdentifier, match="check digits"):
        parse_foreign_vat("DE136695977")
    with pytest.raises(InvalidIdentifier, match="enterprise number"):
        parse_foreign_vat("BE0448181966")


def test_mask_keeps_birth_date_only():
    assert mask_inss("85073003328") == "850730*****"
