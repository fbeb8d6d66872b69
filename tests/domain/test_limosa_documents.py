"""The QR code of a Limosa-1 document, parsed defensively: what a real code holds, and every way a camera, a
printer or a hand can spoil it."""

from __future__ import annotations

from datetime import date

import pytest

from presence.domain.limosa_documents import NotALimosaDocument, is_limosa_url, parse_limosa_qr

LIMOSA, BIS, CLIENT = "24910158641968060", "98472899765", "403019261"
CODE = (f"http://limosa.be/q.html?id={LIMOSA}&1=010113311299&2={BIS}&3=Kowalski&4=Piotr&5=x&6=DE813046570"
        f"&7=Beispiel%20Bau%20GmbH&8=y&9={CLIENT}")


def test_a_real_code_gives_its_document():
    document = parse_limosa_qr(CODE)
    assert (document.limosa_id, document.inss, document.client) == (LIMOSA, BIS, "0" + CLIENT)
    assert (document.starts_on, document.ends_on) == (date(2013, 1, 1), date(2099, 12, 31))
    assert (document.name, document.employer_id, document.employer_name) == (
        "Piotr Kowalski", "DE813046570", "Beispiel Bau GmbH")


@pytest.mark.parametrize("text", [
    CODE.replace("http://", "https://"), CODE.replace("limosa.be", "WWW.Limosa.be"),
    f"http://limosa.be/q.html?id={LIMOSA}",  # only the number
    CODE.replace("&1=010113311299", "&1=311299010113"),  # a period upside down: left out, not refused
])
def test_variants_a_reader_meets_are_read(text):
    assert parse_limosa_qr(text).limosa_id == LIMOSA


@pytest.mark.parametrize(("text", "reason"), [
    (CODE.replace(LIMOSA, LIMOSA[:-1] + "1"), "fails its check"),  # a digit of the number changed
    (CODE.replace(BIS, BIS[:-1] + "6"), "fails its check"),  # the person's number changed
    (CODE.replace(f"9={CLIENT}", "9=403019262"), "fails its check"),  # the client's number changed
    (CODE.replace("limosa.be", "limosa.be.example.com"), "not the code of a Limosa-1 document"),
    (CODE.replace("/q.html", "/other.html"), "not the code of a Limosa-1 document"),
    (CODE.replace("http://", "javascript://"), "not the code of a Limosa-1 document"),
    ("1Y1000003EQCZ", "not the code of a Limosa-1 document"),
    (CODE + f"&id={LIMOSA}", "damaged"),  # the number twice: which one is true?
    (CODE + "&3=" + "x" * 2000, "too long"),
    (CODE.replace(f"id={LIMOSA}", "id="), "fails its check"),
    (CODE.replace(f"id={LIMOSA}", "id=%FF%FE"), "damaged"),  # not UTF-8
])
def test_spoilt_or_forged_codes_are_refused_and_never_quoted(text, reason):
    with pytest.raises(NotALimosaDocument) as refused:
        parse_limosa_qr(text)
    assert reason in refused.value.reason and LIMOSA not in str(refused.value) and BIS not in str(refused.value)


def test_names_lose_control_characters_and_excess():
    document = parse_limosa_qr(CODE.replace("3=Kowalski", "3=Kowal%0Aski%1B" + "z" * 300))
    assert document.surname == "Kowalski" + "z" * 92 and len(document.surname) == 100


def test_only_limosa_addresses_look_like_limosa_codes():
    assert is_limosa_url(CODE) and not is_limosa_url("https://registry.example/w/1Y1000003EQCZ")
    assert not is_limosa_url("http://[::1") and not is_limosa_url("")
