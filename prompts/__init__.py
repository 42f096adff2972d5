"""Data, not code: summary presets and ranking weights read by `models.presets`."""
