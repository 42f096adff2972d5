"""The HTTP service, the article store and the CLI: thin faces over `models/`."""
