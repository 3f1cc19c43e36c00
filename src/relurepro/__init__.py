"""relu-repro: the library behind the pipeline that reproduces five papers on the numerics of ReLU networks."""

from relurepro.reproducible import pin_source_date

__version__ = "0.1.0"

# Figures drawn by any part of the library (scripts, notebooks, tests) carry no build time.
pin_source_date()
