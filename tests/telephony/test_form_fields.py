"""Webhook forms are read exactly as the standard library reads them: the signature is checked
over the decoded ``json`` field, so one character decoded differently refuses a genuine webhook
(or stores another text than the PBX signed)."""

from urllib.parse import parse_qsl, quote_plus, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telephony import PayloadError
from telephony.fields import form_fields, form_unquote
from telephony.mango import webhooks as mango

# Escapes of every kind the decoder tells apart: ASCII (either case), %25, UTF-8, malformed.
PIECES = "%22 %3a %3A %41 41 %25 %2541 %D0%AF %d0 % %4 %zz + a я 7 F = &".split()


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_a_field_decodes_as_the_standard_library_decodes_it(pieces):
    text = "".join(pieces).replace("=", "").replace("&", "")
    assert form_unquote(text) == unquote(text.replace("+", " "))


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=16))
def test_a_body_reads_as_parse_qsl_reads_it_or_is_refused(pieces):
    body = "".join(pieces)
    try:
        expected = parse_qsl(body, keep_blank_values=True, strict_parsing=True, max_num_fields=40)
    except ValueError:
        with pytest.raises(PayloadError, match="not a form"):
            form_fields(body, max_fields=40)
        return
    names = [name for name, _ in expected]
    if len(set(names)) != len(names):
        with pytest.raises(PayloadError, match="repeated"):
            form_fields(body, max_fields=40)
    else:
        assert form_fields(body, max_fields=40) == dict(expected)


def test_a_signed_mango_notification_with_cyrillic_and_escapes_reads_back_as_sent():
    payload = {"entry_id": "Mjk=", "from": {"number": "79001234567", "name": "Анна %41 +1 & co"}, "seq": 1}
    form = mango.signed_form("key", "salt", payload)
    body = "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in form.items())
    assert form_fields(body, max_fields=20) == form


def test_too_many_fields_or_a_field_without_a_value_is_refused():
    with pytest.raises(PayloadError, match="over 3 fields"):
        form_fields("a=1&b=2&c=3&d=4", max_fields=3)
    with pytest.raises(PayloadError, match="bad field 'b'"):
        form_fields("a=1&b", max_fields=3)
    assert form_fields("", max_fields=3) == {}
