import sys

from voxgraft.cli import main

sys.exit(main())
