"""Exception types shared by every layer of the IC client."""


class ICError(Exception):
    """Base class of every error raised by the IC client."""


class InputError(ICError, ValueError):
    """Bad user input; ``str()`` is ``"<field>: <message>"`` on one line."""

    def __init__(self, field, message):
        self.field = field or ""
        self.message = " ".join(str(message).split())
        super().__init__(self.field, self.message)

    def __str__(self):
        if self.field:
            return f"{self.field}: {self.message}"
        return self.message


class CandidError(InputError):
    """Candid encode, decode or parse failure."""


class Reject(ICError):
    """The IC refused the request or the canister rejected the call."""

    def __init__(self, reject_code, reject_message, error_code=None):
        self.reject_code = int(reject_code)
        self.reject_message = str(reject_message)
        self.error_code = error_code
        super().__init__(self.reject_code, self.reject_message, error_code)

    def as_dict(self):
        """Return ``{"reject_code", "error_code", "message"}`` for module results."""
        return {
            "reject_code": self.reject_code,
            "error_code": self.error_code,
            "message": self.reject_message,
        }

    def __str__(self):
        code = f" {self.error_code}" if self.error_code else ""
        return f"reject code {self.reject_code}{code}: {self.reject_message}"


class TransportError(ICError):
    """HTTP or connection failure talking to a replica or boundary node."""

    def __init__(self, message, status=None, body=""):
        self.status = status
        self.body = body if isinstance(body, str) else repr(body)
        self.message = str(message)
        super().__init__(self.message, status, self.body)

    def __str__(self):
        if self.status is not None:
            return f"HTTP {self.status}: {self.message}"
        return self.message


class CertificateError(ICError):
    """A certificate or node signature does not verify."""
