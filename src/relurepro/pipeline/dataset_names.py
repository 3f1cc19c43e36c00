"""The embedded datasets' names, importable without torch: the workflow reads them while planning, which must
stay fast (see relurepro.data for what each set is)."""

EMBEDDED = ("mnist5k", "mnist5k_rgb32", "digits")
SPLITS = ("train", "test", "all")

