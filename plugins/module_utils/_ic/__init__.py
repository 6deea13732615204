"""Internet Computer client: principals, CBOR, identities, certificates, Candid and the agent.

Submodules are imported on demand; this package imports nothing eagerly so that loading one
piece (for example ``ic.principal``) stays cheap.
"""
