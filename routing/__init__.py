"""The call distribution engine (round-robin, ring-all, skill priority): pure functions over a
snapshot of operators.  Arrives with the distribution issue; the spine records who the PBX rang."""
