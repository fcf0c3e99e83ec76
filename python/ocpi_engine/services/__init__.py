"""Version-agnostic use cases. Controllers call these; only services touch the store, the cache and `_core`."""
