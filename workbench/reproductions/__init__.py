"""Reproductions of published NAS results: each module runs a study and holds the figures it is compared to."""
