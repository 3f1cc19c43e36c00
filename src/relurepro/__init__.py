"""relu-repro: the library behind the pipeline that reproduces five papers on the numerics of ReLU networks."""

__version__ = "0.1.0"
