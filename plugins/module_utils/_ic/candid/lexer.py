"""Tokenizer shared by the ``.did`` parser and the Candid text value parser."""
import re

from ..errors import CandidError

KEYWORDS = frozenset((
    "null", "opt", "vec", "record", "variant", "func", "service", "oneway", "query",
    "composite_query", "blob", "type", "import", "principal",
))

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<line>//[^\n]*)
  | (?P<block>/\*)
  | (?P<float>[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+|[0-9]+\.[0-9]*|\.[0-9]+)
  | (?P<hex>0[xX][0-9a-fA-F][_0-9a-fA-F]*)
  | (?P<dec>[0-9][_0-9]*)
  | (?P<id>[a-zA-Z_][a-zA-Z0-9_]*)
  | (?P<text>")
  | (?P<punct>==|!=|!:|->|[=(){};,.:])
  | (?P<sign>[+-])
""", re.VERBOSE)

_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'"}
_HEX = set("0123456789abcdefABCDEF")


def position(src, pos):
    """Return ``line L column C`` for offset ``pos`` in ``src``."""
    line = src.count("\n", 0, pos) + 1
    col = pos - (src.rfind("\n", 0, pos) + 1) + 1
    return f"line {line} column {col}"


def error(src, pos, message):
    """A CandidError naming the position ``pos`` in ``src``."""
    return CandidError(position(src, pos), message)


def tokenize(src):
    """Split ``src`` into tokens ``(kind, value, offset)``.

    Kinds: ``id``, ``kw`` (value is the keyword), ``text`` (value is bytes), ``dec``, ``hex``,
    ``float``, ``bool``, ``sign``, ``punct`` (value is the symbol) and ``eof``.
    """
    tokens = []
    pos = 0
    n = len(src)
    match = _TOKEN.match
    while pos < n:
        m = match(src, pos)
        if m is None:
            raise error(src, pos, f"unexpected character {src[pos]!r}")
        kind = m.lastgroup
        start = pos
        pos = m.end()
        if kind in ("ws", "line"):
            continue
        if kind == "block":
            pos = _skip_comment(src, pos, start)
        elif kind == "text":
            value, pos = _read_text(src, pos, start)
            tokens.append(("text", value, start))
        elif kind == "id":
            word = m.group()
            if word in KEYWORDS:
                tokens.append(("kw", word, start))
            elif word in ("true", "false"):
                tokens.append(("bool", word == "true", start))
            else:
                tokens.append(("id", word, start))
        elif kind in ("dec", "hex"):
            tokens.append((kind, m.group().replace("_", ""), start))
        else:
            tokens.append((kind, m.group(), start))
    tokens.append(("eof", None, n))
    return tokens


def _skip_comment(src, pos, start):
    depth = 1
    while depth:
        close = src.find("*/", pos)
        if close < 0:
            raise error(src, start, "comment is not closed; add '*/'")
        opening = src.find("/*", pos, close)
        if opening >= 0:
            depth += 1
            pos = opening + 2
        else:
            depth -= 1
            pos = close + 2
    return pos


def _read_text(src, pos, start):
    out = bytearray()
    n = len(src)
    while True:
        end = pos
        while end < n and src[end] != '"' and src[end] != "\\":
            end += 1
        out += src[pos:end].encode("utf-8", "surrogatepass")
        if end >= n:
            raise error(src, start, "text literal is not closed; add '\"'")
        if src[end] == '"':
            return bytes(out), end + 1
        esc = src[end + 1:end + 2]
        if esc in _ESCAPES:
            out += _ESCAPES[esc]
            pos = end + 2
        elif esc == "u" and src[end + 2:end + 3] == "{":
            close = src.find("}", end + 3)
            digits = src[end + 3:close].replace("_", "") if close > 0 else ""
            if not digits or not set(digits) <= _HEX or int(digits, 16) > 0x10FFFF:
                raise error(src, end, "bad unicode escape; write \\u{hex} up to 10FFFF")
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF:
                raise error(src, end, "unicode escape is a surrogate; not a character")
            out += chr(code).encode("utf-8")
            pos = close + 1
        elif len(src) >= end + 3 and set(src[end + 1:end + 3]) <= _HEX:
            out.append(int(src[end + 1:end + 3], 16))
            pos = end + 3
        elif esc == "0":
            # Not in the grammar, but didc (the reference) prints a NUL this way.
            out.append(0)
            pos = end + 2
        else:
            raise error(src, end, f"unknown escape '\\{esc}' in text; use \\n \\t \\\\ "
                        "\\\" \\xx or \\u{...}")


class Tokens:
    """A cursor over the tokens of one source text."""

    def __init__(self, src):
        self.src = src
        self.tokens = tokenize(src)
        self.i = 0

    def peek(self, ahead=0):
        """Return the token ``ahead`` positions after the current one."""
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self):
        """Consume and return the current token."""
        tok = self.tokens[self.i]
        if tok[0] != "eof":
            self.i += 1
        return tok

    def is_punct(self, symbol, ahead=0):
        """True when the token ``ahead`` is the punctuation ``symbol``."""
        tok = self.peek(ahead)
        return tok[0] == "punct" and tok[1] == symbol

    def is_kw(self, word, ahead=0):
        """True when the token ``ahead`` is the keyword ``word``."""
        tok = self.peek(ahead)
        return tok[0] == "kw" and tok[1] == word

    def accept(self, symbol):
        """Consume the punctuation ``symbol`` if it is next; return whether it was."""
        if self.is_punct(symbol):
            self.i += 1
            return True
        return False

    def expect(self, symbol):
        """Consume the punctuation ``symbol`` or fail naming the position."""
        if not self.accept(symbol):
            raise self.error(f"expected '{symbol}'")

    def expect_kw(self, word):
        """Consume the keyword ``word`` or fail naming the position."""
        if not self.is_kw(word):
            raise self.error(f"expected '{word}'")
        self.i += 1

    def error(self, message, tok=None):
        """A CandidError at the current token (or ``tok``)."""
        tok = tok or self.peek()
        found = "end of input" if tok[0] == "eof" else repr(describe(tok))
        return error(self.src, tok[2], f"{message}, found {found}")

    def name(self):
        """Consume a name: an identifier, a keyword used as a name, or a text literal."""
        tok = self.next()
        if tok[0] == "id":
            return tok[1]
        if tok[0] == "text":
            return decode_utf8(self, tok)
        raise self.error("expected a name", tok)


def describe(tok):
    """Short text for a token in error messages."""
    if tok[0] == "text":
        text = '"' + tok[1].decode("utf-8", "replace") + '"'
    elif tok[0] == "bool":
        text = "true" if tok[1] else "false"
    else:
        text = str(tok[1])
    # An error message stays one readable line, however long the token.
    return text if len(text) <= 40 else f"{text[:37]}..."


def decode_utf8(tokens, tok):
    """The text of a text-literal token, which must be valid UTF-8."""
    try:
        return tok[1].decode("utf-8")
    except UnicodeDecodeError:
        raise error(tokens.src, tok[2], "text is not valid UTF-8") from None
