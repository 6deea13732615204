"""Runner for DFINITY's Candid conformance suite (``*.test.did``, grammar in FORMAT.md).

Each ``assert`` becomes an ``Assertion`` whose ``run()`` raises AssertionError on failure.
The suite's own syntax is parsed with the project's tokenizer, type parser and .did parser.
"""
import math
import os

from _ic.candid import decode, parse_args_text, parse_did
from _ic.candid.lexer import Tokens, position
from _ic.candid.typeparser import TypeParser
from _ic.candid.values import Some
from _ic.errors import CandidError

SUITE_DIR = "/work/shared/vectors/candid-tests"


class Assertion:
    """One ``assert <input> [op <input>] : (types) "desc"``."""

    def __init__(self, where, left, op, right, types, desc, env):
        self.where = where
        self.left = left
        self.op = op
        self.right = right
        self.types = types
        self.desc = desc
        self.env = env

    @property
    def name(self):
        """A readable test id."""
        return f"{self.where} {self.desc or ''}".strip()

    def parse(self, item):
        """Decode (blob) or parse (text) one input at the assertion's types."""
        kind, value = item
        if kind == "blob":
            return decode(value, self.types)
        return parse_args_text(value, self.types, self.env)[1]

    def run(self):
        """Check the assertion; raise AssertionError when it does not hold."""
        if self.op == "!:":
            try:
                got = self.parse(self.left)
            except CandidError:
                return
            raise AssertionError(f"{self.name}: expected failure, got {got!r}")
        left = self.parse(self.left)
        if self.op == ":":
            return
        right = self.parse(self.right)
        same = values_equal(left, right)
        if self.op == "==" and not same:
            raise AssertionError(f"{self.name}: {left!r} != {right!r}")
        if self.op == "!=" and same:
            raise AssertionError(f"{self.name}: {left!r} == {right!r}")


def values_equal(a, b):
    """Host-language equality for Candid values (bool is not int, NaN equals NaN)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(values_equal(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, Some) and isinstance(b, Some):
        return values_equal(a.value, b.value)
    return type(a) is type(b) and a == b


def _input(tk):
    tok = tk.next()
    if tok[0] == "kw" and tok[1] == "blob":
        tok = tk.next()
        if tok[0] != "text":
            raise tk.error("expected blob text", tok)
        return ("blob", tok[1])
    if tok[0] != "text":
        raise tk.error("expected a test input", tok)
    return ("text", tok[1].decode("utf-8"))


def load(path):
    """Parse one ``.test.did`` file into a list of Assertions."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    tk = Tokens(src)
    first = next(i for i, tok in enumerate(tk.tokens)
                 if tok[0] == "id" and tok[1] == "assert" or tok[0] == "eof")
    defs_end = tk.tokens[first][2]
    env = parse_did(src[:defs_end]).types
    tk.i = first
    out = []
    base = os.path.basename(path)
    while tk.peek()[0] != "eof":
        tok = tk.next()
        if tok[:2] != ("id", "assert"):
            raise tk.error("expected 'assert'", tok)
        where = f"{base}:{position(src, tok[2]).split()[1]}"
        left = _input(tk)
        op = tk.next()
        right = None
        if op[1] in ("==", "!="):
            right = _input(tk)
            tk.expect(":")
        elif op[1] not in (":", "!:"):
            raise tk.error("expected ':', '!:', '==' or '!='", op)
        types, _ = TypeParser(tk, env).tuple()
        desc = None
        if tk.peek()[0] == "text":
            desc = tk.next()[1].decode("utf-8")
        tk.accept(";")
        out.append(Assertion(where, left, op[1], right, types, desc, env))
    return out


def load_all(suite_dir=SUITE_DIR):
    """All assertions of every ``*.test.did`` file in the suite directory."""
    out = []
    for name in sorted(os.listdir(suite_dir)):
        if name.endswith(".test.did"):
            out.extend(load(os.path.join(suite_dir, name)))
    return out
