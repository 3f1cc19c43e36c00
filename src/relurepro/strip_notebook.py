"""`python -m relurepro.strip_notebook NOTEBOOK...`: remove the execution times from executed notebooks in place
(the papermill rules' step before the HTML export; see relurepro.reproducible)."""

import sys

from relurepro.reproducible import strip_notebook_file


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m relurepro.strip_notebook NOTEBOOK.ipynb...", file=sys.stderr)
        return 2
    for path in argv:
        strip_notebook_file(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
