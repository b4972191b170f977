"""`python -m voxgraft.cli` works as `python -m voxgraft` does."""

import sys

from voxgraft.cli import main

sys.exit(main())
