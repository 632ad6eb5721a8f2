"""PBX webhook intake: verify, store in the inbox, acknowledge; then turn stored rows into call events."""
