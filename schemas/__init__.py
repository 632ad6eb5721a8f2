"""Pydantic models of everything that crosses a boundary (PBX events, REST bodies)."""
