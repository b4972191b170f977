"""Style vectors of a styled model: embedding corpora (vectors.py), voice arithmetic and
clusters (space.py), the adapter from speaker embeddings (adapter.py) and the report's style
section (report.py). The VAE organ itself is models/style_vae.py."""
