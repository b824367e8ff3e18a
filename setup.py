"""Build steps beyond pyproject.toml: one C extension, and numba's cache filled ahead of time.

* ``firstlayer.vectors.formats._cformats``: the vector-file readers' and text writer's loops,
  so that loading or saving a vector file needs neither numba nor LLVM (fast and small from the
  first call: nothing to compile after installing). Optional: where no C compiler is there the
  install still succeeds, and the same loops come from numba.
* An editable install (``pip install -e .``) then compiles the numba kernels of the models
  (``python -m firstlayer._precompile``, ~30 s of CPU), so that the first ``train_supervised``
  or ``Word2Vec`` call finds them compiled. ``FIRSTLAYER_PRECOMPILE=0`` skips it; a failure
  only warns (the first call then compiles, as without this step). A regular (non-editable)
  install skips it: numba's cache is keyed to the installed files, which the build never sees.
"""

import os
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


class BuildExtThenPrecompile(build_ext):
    """build_ext, then (in place, i.e. editable) the numba kernels compiled into their cache."""

    def run(self) -> None:
        super().run()
        in_place = getattr(self, "editable_mode", False) or self.inplace
        if not in_place or os.environ.get("FIRSTLAYER_PRECOMPILE", "1") == "0":
            return
        paths = [str(HERE / "src"), os.environ.get("PYTHONPATH", "")]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
        try:
            done = subprocess.run(
                [sys.executable, "-m", "firstlayer._precompile"], env=env, timeout=1200
            )
            if done.returncode:
                print("warning: firstlayer's numba kernels were not all compiled ahead of "
                      "time; they compile on first use", file=sys.stderr)
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"warning: precompiling firstlayer's numba kernels failed ({exc}); they "
                  "compile on first use", file=sys.stderr)


setup(
    ext_modules=[
        Extension(
            "firstlayer.vectors.formats._cformats",
            ["src/firstlayer/vectors/formats/_cformats.c"],
            extra_compile_args=[] if os.name == "nt" else ["-O3"],
            libraries=[] if os.name == "nt" else ["m"],
            optional=True,
        )
    ],
    cmdclass={"build_ext": BuildExtThenPrecompile},
)
