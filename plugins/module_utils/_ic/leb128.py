"""LEB128 and signed LEB128 integers: the Candid binary format's numbers, and the IC's
numbers in certified state and request ids."""


def write_leb(out, n):
    """Append the unsigned LEB128 form of ``n`` (>= 0) to the bytearray ``out``."""
    if n < 0x80:
        out.append(n)
        return
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def write_sleb(out, n):
    """Append the signed LEB128 form of ``n`` to the bytearray ``out``."""
    if -0x40 <= n < 0x40:
        out.append(n & 0x7F)
        return
    while True:
        byte = n & 0x7F
        n >>= 7
        if (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40):
            out.append(byte)
            return
        out.append(byte | 0x80)


def leb(n):
    """Return the unsigned LEB128 bytes of ``n``."""
    out = bytearray()
    write_leb(out, n)
    return bytes(out)


def sleb(n):
    """Return the signed LEB128 bytes of ``n``."""
    out = bytearray()
    write_sleb(out, n)
    return bytes(out)
