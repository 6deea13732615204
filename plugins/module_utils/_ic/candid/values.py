"""Python value model of Candid values (every layer of the client uses it).

=========================  ====================================================
Candid                     Python
=========================  ====================================================
nat, int, nat8..int64      ``int``
float32, float64           ``float``
text                       ``str``
bool                       ``bool``
null, reserved             ``None``
principal                  ``Principal``
blob / vec nat8            ``bytes`` (the encoder also takes a list of int)
vec t                      ``list``
opt t                      ``None`` when absent, else the value itself; when t is
                           itself opt, null or reserved, a present value is
                           ``Some(v)`` (the encoder accepts ``Some(v)`` for any opt)
record                     ``dict`` keyed by field name (``str``) or by ``int`` for
                           numeric ids; a tuple type (fields 0..n-1, n >= 1)
                           decodes to a ``tuple`` and the encoder takes a tuple,
                           list or dict; ``record {}`` is ``{}``
variant                    one-key ``dict`` ``{tag: value}`` (``None`` for null)
func                       ``(Principal, method_name)``
service                    ``Principal``
=========================  ====================================================

Decoding without a type uses the wire type: field and tag names are unknown there, so
their keys are the ``int`` field ids.
"""


class Some:
    """A present optional value, needed where ``None`` alone would be ambiguous."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Some) and _same(self.value, other.value)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("Some", self.value))

    def __repr__(self):
        return f"Some({self.value!r})"


def _same(a, b):
    # bool is an int subclass in Python; Candid values of different kinds never compare equal
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def wrap_opt(inner_type, value):
    """Represent a present ``opt`` value whose content type is ``inner_type``."""
    if inner_type.resolve().code in (-1, -16, -18):
        return Some(value)
    return value
