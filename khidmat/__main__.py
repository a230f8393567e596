"""``python -m khidmat`` is the same as the ``khidmat`` command."""

import sys

from khidmat.cli import main

sys.exit(main())
