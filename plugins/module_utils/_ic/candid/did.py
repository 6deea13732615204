"""``.did`` interface files: type definitions and the service (actor) description."""
import re
import threading

from ..errors import CandidError
from . import types as T
from .lexer import Tokens, error
from .typeparser import TypeParser


class DidFile:
    """A parsed ``.did`` file.

    ``types``: name -> ``Rec`` (a named type; ``.resolve()`` gives its definition);
    ``service``: method name -> ``Func`` (empty when the file has no service);
    ``init_args``: the class service's init argument types, or None when not a class;
    ``service_type``: the ``Service`` type or None.
    """

    def __init__(self, types, service_type, init_args, init_names=None):
        self.types = types
        self.service_type = service_type
        self.init_args = init_args
        self.init_names = init_names
        self.service = {}
        if service_type is not None:
            for name, mtype in service_type.methods:
                self.service[name] = mtype.resolve()

    def method(self, name):
        """Return the ``Func`` of method ``name``; the error lists the known methods."""
        func = self.service.get(name)
        if func is None:
            known = ", ".join(self.service) or "none"
            raise CandidError("method", f"{name!r} is not a method of the service; "
                              f"known methods: {known}")
        return func

    def arg_types(self, name):
        """Argument types of method ``name``."""
        return list(self.method(name).args)

    def ret_types(self, name):
        """Result types of method ``name``."""
        return list(self.method(name).rets)

    def type(self, name):
        """Return the named type ``name`` (a ``Rec``)."""
        t = self.types.get(name)
        if t is None:
            raise CandidError("type", f"{name!r} is not defined in the .did file")
        return t


_DEFINITION = re.compile(r"^type[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*=", re.M)
_SERVICE = re.compile(r"^service\b[^{]*\{", re.M)
_METHOD = re.compile(r"^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*:(.*)$", re.M)


class OnDemandDid:
    """A large, known-good ``.did`` text (the embedded ``ic.did``) whose methods are parsed
    one at a time: ``method(name)`` parses that method's signature and only the definitions
    it reaches, so a client that calls three methods does not parse a hundred types.

    The text must put each ``type`` definition at the start of a line and each method on one
    line of the ``service ... : { ... }`` block; ``parse_did`` is the checking parser (the
    tests hold the two to the same types).
    """

    def __init__(self, text):
        service = _SERVICE.search(text)
        end = service.start() if service else len(text)
        starts = list(_DEFINITION.finditer(text, 0, end))
        self._definitions = {
            m.group(1): text[m.end():nxt.start() if nxt is not None else end]
            for m, nxt in zip(starts, starts[1:] + [None])}
        self._signatures = dict(_METHOD.findall(text, service.end())) if service else {}
        self._env = {}
        self._methods = {}
        self._lock = threading.Lock()

    def method(self, name):
        """The resolved ``Func`` of method ``name``, or None when the service has none."""
        func = self._methods.get(name)
        if func is None and name in self._signatures:
            with self._lock:
                func = self._methods.get(name)
                if func is None:
                    func = self._methods[name] = self._parse_method(name)
        return func

    def _parse_method(self, name):
        tk = Tokens(self._signatures[name])
        parser = TypeParser(tk, self._env, forward=True)
        mtype = parser.typ() if tk.peek()[0] == "id" else parser.func()
        tk.accept(";")
        if tk.peek()[0] != "eof":
            raise tk.error("expected the end of the method")
        missing = [n for n, ref in self._env.items() if ref.target is None]
        while missing:
            for type_name in missing:
                if type_name not in self._definitions:
                    raise CandidError(type_name, "type is used but never defined")
                parser.tk = tk = Tokens(self._definitions[type_name])
                self._env[type_name].define(parser.typ())
                tk.accept(";")
                if tk.peek()[0] != "eof":
                    raise tk.error(f"expected the end of the definition of {type_name}")
            missing = [n for n, ref in self._env.items() if ref.target is None]
        return mtype.resolve()


def parse_did(text):
    """Parse the text of a ``.did`` file into a ``DidFile``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return _parse(text)
    except RecursionError:
        raise CandidError("did", "types are nested too deeply") from None


def _parse(text):
    tk = Tokens(text)
    env = {}
    parser = TypeParser(tk, env, forward=True)
    while True:
        if tk.is_kw("import"):
            raise tk.error("import is not supported; paste the imported definitions into "
                           "this file")
        if not tk.is_kw("type"):
            break
        tk.next()
        name_tok = tk.next()
        if name_tok[0] != "id":
            raise tk.error("expected a type name", name_tok)
        tk.expect("=")
        ref = env.get(name_tok[1])
        if ref is None:
            ref = env[name_tok[1]] = T.Rec(name_tok[1])
        elif ref.target is not None:
            raise tk.error(f"type {name_tok[1]!r} is defined twice", name_tok)
        ref.define(parser.typ())
        if not tk.accept(";"):
            break
    for name, ref in env.items():
        if ref.target is None:
            raise tk.error(f"type {name!r} is not defined; define it with 'type {name} = ...'",
                           parser.uses[name])
    parser.forward = False
    service_type = init_args = init_names = None
    start = tk.peek()
    if tk.is_kw("service"):
        tk.next()
        if tk.peek()[0] == "id":
            tk.next()
        tk.expect(":")
        if tk.is_punct("("):
            init_args, init_names = parser.tuple()
            tk.expect("->")
        service_type = parser.service()
        tk.accept(";")
    if tk.peek()[0] != "eof":
        raise tk.error("expected 'type', 'service' or the end of the file")
    _check_cycles(env)
    roots = list(env.values())
    if service_type is not None:
        actual = service_type.resolve()
        if actual.code != T.SERVICE:
            raise error(text, start[2], f"the service must have a service type, not {actual}")
        service_type = actual
        roots.append(actual)
        roots.extend(init_args or ())
    _check_services(roots)
    return DidFile(env, service_type, init_args, init_names)


def _check_cycles(env):
    for name, ref in env.items():
        seen = {name}
        t = ref.target
        while t.code == T.REC:
            if t.name in seen:
                raise CandidError(name, "type definition is cyclic; a type cannot be just "
                                  "another name for itself")
            seen.add(t.name)
            t = t.target


def _check_services(roots):
    """Every service method, anywhere in the file, must have a function type."""
    seen = set()
    stack = list(roots)
    while stack:
        t = stack.pop().resolve()
        if id(t) in seen:
            continue
        seen.add(id(t))
        code = t.code
        if code in (T.OPT, T.VEC):
            stack.append(t.inner)
        elif code in (T.RECORD, T.VARIANT):
            stack.extend(f.type for f in t.fields)
        elif code == T.FUNC:
            stack.extend(t.args + t.rets)
        elif code == T.SERVICE:
            for name, mtype in t.methods:
                if mtype.resolve().code != T.FUNC:
                    raise CandidError(f"service.{name}", f"method has type {mtype}, not a "
                                      "function type")
                stack.append(mtype)
