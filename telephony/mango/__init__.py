"""MANGO OFFICE VPBX API: webhooks (``webhooks``), commands (``api``), call history (``stats``),
scripted call sequences for tests and benchmarks (``script``); ``vendor`` joins them at the seam."""
