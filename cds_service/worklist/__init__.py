"""The surveillance worklist: every resected NET patient of a population, ranked by what is due
(issue 15). Same pipeline as the hooks (record → inputs → assessment), run per patient."""
