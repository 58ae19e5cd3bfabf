"""Use-cases and read queries shared by views, the CLI and tests. They flush, never commit."""
