"""Parser of Candid type expressions (the type grammar of ``.did`` files)."""
from . import types as T
from .lexer import decode_utf8

_MODES = ("query", "oneway", "composite_query")
_LABEL_KINDS = ("dec", "hex", "id", "text")


class TypeParser:
    """Parses types from a token cursor.

    Named types are looked up in ``env`` (name -> Rec); with ``forward=True`` an unknown name
    gets a new ``Rec`` in ``env`` (to be defined later) and its first use is remembered in
    ``uses`` (name -> token) for error messages.
    """

    def __init__(self, tokens, env=None, forward=False):
        self.tk = tokens
        self.env = env if env is not None else {}
        self.forward = forward
        self.uses = {}

    def typ(self):
        """Parse one type."""
        tk = self.tk
        tok = tk.next()
        kind, value = tok[0], tok[1]
        if kind == "id":
            prim = T.PRIMITIVES.get(value)
            if prim is not None and value != "principal":
                return prim
            ref = self.env.get(value)
            if ref is None and self.forward:
                ref = self.env[value] = T.Rec(value)
                self.uses[value] = tok
            if ref is None:
                raise tk.error(f"type {value!r} is not defined; define it with 'type {value} "
                               "= ...'", tok)
            return ref
        if kind != "kw":
            raise tk.error("expected a type", tok)
        if value == "null":
            return T.Null
        if value == "principal":
            return T.Principal_
        if value == "opt":
            return T.Opt(self.typ())
        if value == "vec":
            return T.Vec(self.typ())
        if value == "blob":
            return T.Vec(T.Nat8)
        if value == "record":
            return self._fields(True, tok)
        if value == "variant":
            return self._fields(False, tok)
        if value == "func":
            return self.func()
        if value == "service":
            return self.service()
        raise tk.error("expected a type", tok)

    def _label(self):
        """Parse a field label if one (followed by ':') is next, else return None."""
        tk = self.tk
        tok = tk.peek()
        if tok[0] not in _LABEL_KINDS:
            return None
        if tok[0] in ("dec", "hex") and tk.is_punct(":", 1):
            tk.next()
            n = int(tok[1], 16 if tok[0] == "hex" else 10)
            if n > T.MAX_FIELD_ID:
                raise tk.error("field id is out of the u32 range", tok)
            return n
        if tok[0] in ("id", "text") and tk.is_punct(":", 1):
            tk.next()
            return tok[1] if tok[0] == "id" else decode_utf8(tk, tok)
        return None

    def _fields(self, is_record, start):
        tk = self.tk
        tk.expect("{")
        fields = []
        next_id = 0
        while not tk.accept("}"):
            label = self._label()
            if label is not None:
                tk.expect(":")
                ftype = self.typ()
            elif is_record:
                label = next_id
                ftype = self.typ()
            else:
                tok = tk.next()
                if tok[0] in ("dec", "hex"):
                    label = int(tok[1], 16 if tok[0] == "hex" else 10)
                    if label > T.MAX_FIELD_ID:
                        raise tk.error("field id is out of the u32 range", tok)
                elif tok[0] in ("id", "text"):
                    label = tok[1] if tok[0] == "id" else decode_utf8(tk, tok)
                else:
                    raise tk.error("expected a variant tag", tok)
                ftype = T.Null
            field = T.Field(label, ftype)
            next_id = field.id + 1
            fields.append(field)
            if not tk.accept(";"):
                tk.expect("}")
                break
        ids = sorted(f.id for f in fields)
        if len(set(ids)) != len(ids):
            raise tk.error("duplicate field in " + ("record" if is_record else "variant"), start)
        return T.Record(fields) if is_record else T.Variant(fields)

    def tuple(self, named=True):
        """Parse ``(t1, name : t2, ...)``; return ``(types, names)``."""
        tk = self.tk
        tk.expect("(")
        items, names = [], []
        while not tk.accept(")"):
            name = None
            tok = tk.peek()
            if named and tok[0] in ("id", "text") and tk.is_punct(":", 1):
                tk.next()
                tk.next()
                name = tok[1] if tok[0] == "id" else decode_utf8(tk, tok)
            items.append(self.typ())
            names.append(name)
            if not tk.accept(","):
                tk.expect(")")
                break
        return items, names

    def func(self):
        """Parse ``(args) -> (rets) modes``."""
        tk = self.tk
        start = tk.peek()
        args, arg_names = self.tuple()
        tk.expect("->")
        rets, ret_names = self.tuple()
        modes = []
        while tk.peek()[0] == "kw" and tk.peek()[1] in _MODES:
            modes.append(tk.next()[1])
        if len(modes) > 1:
            raise tk.error("a function has at most one of query, composite_query, oneway",
                           start)
        if modes == ["oneway"] and rets:
            raise tk.error("a oneway function cannot return results", start)
        return T.Func(args, rets, modes, arg_names, ret_names)

    def service(self):
        """Parse ``{ name : functype; ... }`` or a service type name."""
        tk = self.tk
        tok = tk.peek()
        if tok[0] == "id":
            return self.typ()
        tk.expect("{")
        methods = []
        while not tk.accept("}"):
            name = tk.name()
            tk.expect(":")
            if tk.peek()[0] == "id":
                mtype = self.typ()
            else:
                mtype = self.func()
            methods.append((name, mtype))
            if not tk.accept(";"):
                tk.expect("}")
                break
        names = [m[0] for m in methods]
        if len(set(names)) != len(names):
            raise tk.error("duplicate method name in service", tok)
        return T.Service(methods)
