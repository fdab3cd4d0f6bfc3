"""``python -m advval``: the same command line as the ``advval`` console script."""

from advval.cli import main

if __name__ == "__main__":
    main()
