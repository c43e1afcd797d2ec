"""The publication policy's rules on their own (domain/publication.py, ecity_common.personal_data);
every public route is walked in tests/security/test_citizen_requests_publication.py."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from citizen_requests.domain.catalogue import SUMY_CATALOGUE, Catalogue
from citizen_requests.domain.publication import at_filing, comment_at_writing, offered_duplicate, public_request
from ecity_common.personal_data import mask

CATALOGUE = Catalogue(SUMY_CATALOGUE)


@pytest.mark.parametrize("text, masked", [
    ("Дзвоніть +380 67 913 58 24", "Дзвоніть [телефон приховано]"),
    ("або 067-913-58-24", "або [телефон приховано]"),
    ("(067) 913 58 24", "([телефон приховано]"),
    ("+38 (067) 9135824", "[телефон приховано]"),
    ("пишіть olena.k@ukr.net.", "пишіть [e-mail приховано]."),
    ("РНОКПП 3019283746", "РНОКПП [номер приховано]"),
    ("ID-картка 123456789", "ID-картка [номер приховано]"),
    ("паспорт МК 918273 і МК918273", "паспорт [документ приховано] і [документ приховано]"),
    ("кв. 12, квартира 12, кв.12, квартирі 7, Кв 3, apt 5", ", ".join(["[квартиру приховано]"] * 6)),
    # Not personal: a house, a time, an amount, a size, a year, a word that starts like a flat's.
    ("буд. 12, з 8 ранку, 100000 грн, яма 30 см, до 2026 року, сквер 5", None),
    ("квітень 2026, на 12345 м²", None),
])
def test_masking(text, masked):
    assert mask(text) == (text if masked is None else masked)


def test_a_description_is_published_at_filing_only_when_nothing_personal_is_in_it():
    assert at_filing("Яма біля зупинки", publish=True) == ("published", "Яма біля зупинки")
    assert at_filing("Яма біля кв. 5", publish=True) == ("pending", "Яма біля [квартиру приховано]")
    assert at_filing("Яма біля зупинки", publish=False) == ("private", "Яма біля зупинки")
    assert comment_at_writing("Дякую, 0679135824", by_staff=False) == "pending"
    assert comment_at_writing("Дякую", by_staff=False) == "published"
    assert comment_at_writing("Бригада: 0679135824", by_staff=True) == "published"
    assert comment_at_writing("Для своїх", by_staff=True, internal=True) == "private"


def _row(**values) -> SimpleNamespace:
    now = datetime.now(UTC)
    row = dict(id="r-1", service_code="no_water", status="submitted", status_notes=None, description="Немає води",
               description_publication="published", description_public=None, agency_responsible=None,
               expected_datetime=None, submitted_at=now, updated_at=now, address="вул. Соборна, 1, кв. 5",
               address_id="a-1", zipcode="40000", lat=50.912345, long=34.801234, media_url="https://x/1.jpg")
    return SimpleNamespace(**{**row, **values})


def test_the_place_is_exact_only_for_public_space_and_only_when_the_citizen_did_not_ask_for_privacy():
    home = public_request(_row(), CATALOGUE)
    assert (home["lat"], home["long"], home["address"], home["address_id"], home["zipcode"]) == (50.912, 34.801, None, None, None)
    pothole = public_request(_row(service_code="pothole"), CATALOGUE)
    assert (pothole["lat"], pothole["address"], pothole["address_id"]) == (50.912345, "вул. Соборна, 1, [квартиру приховано]", "a-1")
    private = public_request(_row(service_code="pothole", description_publication="private"), CATALOGUE)
    assert (private["lat"], private["address"], private["description"], private["media_url"]) == (50.912, None, None, None)
    unknown = public_request(_row(service_code="withdrawn_long_ago"), CATALOGUE)
    assert unknown["lat"] == 50.912  # not in the catalogue: a home's, the safe side


def test_a_description_shows_only_published_and_masked_and_its_redaction_wins():
    assert public_request(_row(description_publication="pending"), CATALOGUE)["description"] is None
    assert public_request(_row(description_publication="hidden"), CATALOGUE)["description"] is None
    published = public_request(_row(description="Дзвоніть 0679135824"), CATALOGUE)
    assert published["description"] == "Дзвоніть [телефон приховано]" and published["media_url"] == "https://x/1.jpg"
    redacted = public_request(_row(description="Олена з кв. 5", description_public="Сусідка"), CATALOGUE)
    assert redacted["description"] == "Сусідка"


def test_a_duplicate_near_a_home_is_offered_to_the_nearest_100_m():
    found = {"service_request_id": "r-2", "distance_m": 137, "status": "submitted", "requested_datetime": "t"}
    assert offered_duplicate(found, CATALOGUE["no_water"])["distance_m"] == 100
    assert offered_duplicate(found, CATALOGUE["pothole"])["distance_m"] == 137
