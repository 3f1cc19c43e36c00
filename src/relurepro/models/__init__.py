"""Model constructors, one per architecture."""
