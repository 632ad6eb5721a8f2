"""What a PBX event or an operator's act sets going across the domains: a call's events become
its state, its queue entry, its callback and its deal's touch; an after-call disposition moves
the deal; a command's outcome hands the call back; two contacts merge.  Above the domains it
coordinates, below the live clients and the edges."""
