"""Zadarma (and Novofon "classic"): ``NOTIFY_*`` webhooks (``webhooks``), click-to-call (``api``),
call history (``stats``); ``vendor`` joins them at the seam."""
