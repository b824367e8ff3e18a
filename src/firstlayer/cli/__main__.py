"""``python -m firstlayer.cli``: the same as the ``firstlayer`` command."""

import sys

from . import main

sys.exit(main())
