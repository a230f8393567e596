"""matcher_cy: fingerprint image -> minutiae template -> 1:1 score and 1:N search."""
