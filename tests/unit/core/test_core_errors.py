"""Error types: one-line messages that name the field."""
from _ic.errors import (CandidError, CertificateError, ICError, InputError, Reject,
                       TransportError)


def test_input_error_names_field_on_one_line():
    err = InputError("settings.controllers[1]", "not a principal;\nuse text such as aaaaa-aa")
    assert str(err) == "settings.controllers[1]: not a principal; use text such as aaaaa-aa"
    assert err.field == "settings.controllers[1]"
    assert isinstance(err, ValueError) and isinstance(err, ICError)


def test_input_error_without_field():
    assert str(InputError("", "bad")) == "bad"
    assert InputError(None, "bad").field == ""


def test_candid_error_is_input_error():
    err = CandidError("arg", "type mismatch")
    assert isinstance(err, InputError) and str(err) == "arg: type mismatch"


def test_reject_as_dict_and_str():
    rej = Reject(5, "Canister trapped", "IC0503")
    assert rej.as_dict() == {"reject_code": 5, "error_code": "IC0503",
                             "message": "Canister trapped"}
    assert "IC0503" in str(rej) and "5" in str(rej)
    assert Reject(4, "no").as_dict()["error_code"] is None


def test_transport_and_certificate_errors():
    err = TransportError("server error", status=503, body="overloaded")
    assert err.status == 503 and err.body == "overloaded" and "503" in str(err)
    assert TransportError("refused").status is None
    assert issubclass(CertificateError, ICError)
