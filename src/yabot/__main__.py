"""`python -m yabot`."""

import sys

from yabot.cli import main

sys.exit(main())
