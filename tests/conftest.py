"""Put tests/ on sys.path so test files can ``from gradcheck import gradcheck``."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from _launch import one_thread  # noqa: E402,F401  (a fixture of the tests that launch examples)
