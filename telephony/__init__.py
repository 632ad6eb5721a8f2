"""Virtual-PBX vendors: signatures, webhook parsing into ``schemas.pbx_events``, outbound clients.

Each vendor module exposes the same small surface used by the webhook intake and the
inbox processor: ``dedup_key`` (from the content, never the URL) and ``parse``.
"""


class PayloadError(ValueError):
    """A signed webhook whose content cannot be understood; kept in the inbox, answered 422."""
