"""Candid subtyping (``t1 <: t2``), as the spec's "Upgrading and Subtyping" rules define it."""
from . import types as T


def is_subtype(t1, t2, assumed=None):
    """Return True when every value of type ``t1`` can be read at type ``t2``.

    Recursive types are handled coinductively: a pair under examination is assumed to hold.
    """
    if assumed is None:
        assumed = set()
    a = t1.resolve()
    b = t2.resolve()
    if a is b:
        return True
    key = (id(a), id(b))
    if key in assumed:
        return True
    assumed.add(key)
    ok = _check(a, b, assumed)
    if not ok:
        assumed.discard(key)
    return ok


def _opt_like(t):
    return t.resolve().code in (T.NULL, T.RESERVED, T.OPT)


def _check(a, b, assumed):
    ca, cb = a.code, b.code
    if cb == T.RESERVED or ca == T.EMPTY or cb == T.OPT:
        # anything is a subtype of reserved and of any opt type (the spec's opt rules)
        return True
    if ca in T.PRIMITIVE_BY_CODE or cb in T.PRIMITIVE_BY_CODE:
        if ca == cb:
            return True
        if ca == T.NAT and cb == T.INT:
            return True
        return cb == T.PRINCIPAL and ca == T.SERVICE
    if ca != cb:
        return False
    if ca == T.VEC:
        return is_subtype(a.inner, b.inner, assumed)
    if ca == T.RECORD:
        have = a.field_by_id()
        for f in b.fields:
            g = have.get(f.id)
            if g is None:
                if not _opt_like(f.type):
                    return False
            elif not is_subtype(g.type, f.type, assumed):
                return False
        return True
    if ca == T.VARIANT:
        want = b.field_by_id()
        for f in a.fields:
            hit = want.get(f.id)
            if hit is None or not is_subtype(f.type, hit[1].type, assumed):
                return False
        return True
    if ca == T.FUNC:
        if set(a.modes) != set(b.modes):
            return False
        return (_tuple_sub(b.args, a.args, assumed)
                and _tuple_sub(a.rets, b.rets, assumed))
    if ca == T.SERVICE:
        have = dict(a.methods)
        for name, mt in b.methods:
            g = have.get(name)
            if g is None or not is_subtype(g, mt, assumed):
                return False
        return True
    return False


def _tuple_sub(sub, sup, assumed):
    """record {sub...} <: record {sup...} for argument/result sequences."""
    for i, t in enumerate(sup):
        if i < len(sub):
            if not is_subtype(sub[i], t, assumed):
                return False
        elif not _opt_like(t):
            return False
    return True
