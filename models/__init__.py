"""The model layer: loads pretrained models once and runs them. Knows nothing of HTTP or storage."""
