"""A virtual PBX for demos, tests and benchmarks: ``callfunnel simulate``.

It plays a PBX against a running callfunnel in a vendor's real wire format, signed with the
vendor module's own signing (``telephony.mango``, ``telephony.zadarma``, ``telephony.generic``),
obeys callfunnel's routing decisions, rings simulated operators who work over ``/ws/operator``,
serves the vendor's command and call-history APIs on loopback, and checks at the end that
callfunnel's reports agree with what really happened.
"""
