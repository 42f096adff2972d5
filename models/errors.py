class ModelLoadError(RuntimeError):
    """A configured model could not be loaded; the message names the setting and what was looked for."""
