"""``python -m firstlayer``: the same as the ``firstlayer`` command."""

import sys

from .cli import main

sys.exit(main())
