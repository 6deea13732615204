"""Per-message instruction limits of an application subnet (replica defaults)."""

UPDATE_LIMIT = 40_000_000_000
QUERY_LIMIT = 5_000_000_000
INSTALL_LIMIT = 300_000_000_000
INSPECT_LIMIT = 200_000_000
