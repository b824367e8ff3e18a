"""``firstlayer projector VECTORS -o page.html``: an interactive page of a vectors file.

The page is ``firstlayer.projector``'s; this module reads the arguments, checks what can be
checked before the slow steps (the output's folder, the numbers, plotly and the projection's
library, the words and labels files, the port) and turns every mistake a user can fix into a
``UsageError``: one line, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from typing import Any

from ._common import PROG, UsageError, command, one_line

DEFAULT_LIMIT = 10000


def add_projector(subparsers: Any) -> None:
    p = command(
        subparsers,
        "projector",
        help="an interactive page of a vectors file: 2-D/3-D, search, neighbours",
        description=(
            "Write one self-contained HTML page (no network needed to open it) that draws the "
            "vectors in 2-D and 3-D (PCA, or t-SNE / UMAP), with a search box, each point's "
            "nearest neighbours (cosine, in the original space) and colours per group. Needs "
            'plotly: pip install "firstlayer[projector]".'
        ),
        run=run_projector,
    )
    p.add_argument(
        "vectors", metavar="VECTORS",
        help="a word-vector file, any format that 'firstlayer vectors' reads",
    )
    p.add_argument(
        "-o", "--output", metavar="PAGE",
        help="the .html file to write (required, except with --serve: then "
        "firstlayer-projector.html in the temporary folder)",
    )
    p.add_argument(
        "--limit", type=int, metavar="N",
        help=f"draw the first N vectors of the file (default: {DEFAULT_LIMIT:,})",
    )
    p.add_argument(
        "--words", metavar="FILE",
        help="draw these keys instead, one per line (keys the file lacks are left out, named)",
    )
    p.add_argument(
        "--labels", metavar="FILE",
        help="a group per key, 'key<TAB>group' lines: colours and a legend",
    )
    p.add_argument(
        "--projection", choices=("pca", "tsne", "umap"), default="pca",
        help='pca (default), tsne (pip install "firstlayer[tsne]") or umap '
        '(pip install "firstlayer[umap]")',
    )
    p.add_argument(
        "--neighbors", "--neighbours", dest="neighbors", type=int, default=10, metavar="K",
        help="how many nearest neighbours the page lists (default: 10)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of t-SNE and UMAP (default: 0)")
    p.add_argument(
        "--format", default="auto",
        help="the vectors file's format (default: auto, from the content)",
    )
    p.add_argument("--title", help="the page's title (default: the file's name)")
    p.add_argument(
        "--serve", action="store_true",
        help="then serve the page on http://127.0.0.1:PORT/ until Ctrl+C",
    )
    p.add_argument("--port", type=int, metavar="PORT", help="--serve's port (default: 8765)")


def _read_words(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            words = [line.strip("\r\n") for line in f]
    except FileNotFoundError:
        raise UsageError(f"--words: no such file: {path!r}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--words: can't read {path!r}: {one_line(exc)}") from None
    words = [w for w in words if w.strip()]
    if not words:
        raise UsageError(f"--words: {path!r} holds no keys (one per line)")
    return words


def _check_arguments(args: argparse.Namespace) -> None:
    """The mistakes found without loading anything."""
    from ..projector import MissingExtraError, check_projection
    from ..projector.page import check_plotly
    from ..vectors.formats.detect import FORMATS as VECTOR_FORMATS

    if args.output is None and not args.serve:
        raise UsageError("give the page to write with -o PAGE (or --serve to only serve it)")
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be at least 1, got {args.limit}")
    if args.neighbors < 0:
        raise UsageError(f"--neighbors must be 0 or more, got {args.neighbors}")
    if args.port is not None and not args.serve:
        raise UsageError("--port goes with --serve")
    if args.output is not None:
        folder = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(folder):
            raise UsageError(f"can't write {args.output!r}: folder {folder!r} does not exist")
    if args.format not in ("auto", *VECTOR_FORMATS):
        raise UsageError(f"unknown vector format {args.format!r}; valid formats: auto, "
                         + ", ".join(VECTOR_FORMATS))
    try:
        check_plotly()
        check_projection(args.projection)
    except MissingExtraError as exc:
        raise UsageError(str(exc)) from None


def run_projector(args: argparse.Namespace) -> int:
    """``firstlayer projector``: load, place, write the page (and serve it with --serve)."""
    from .._atomic import atomic_write
    from ..projector import prepare
    from ..projector.data import read_labels
    from ..projector.page import render
    from ..projector.serve import DEFAULT_PORT, bind
    from ..vectors import load

    _check_arguments(args)
    words = _read_words(args.words) if args.words is not None else None
    if args.labels is not None:  # read now to say its mistakes now; read again by prepare
        try:
            read_labels(args.labels)
        except FileNotFoundError:
            raise UsageError(f"--labels: no such file: {args.labels!r}") from None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise UsageError(f"--labels: {one_line(exc)}") from None
    # without -o (--serve only): one fixed name in the temporary folder, overwritten each time
    output = args.output or os.path.join(tempfile.gettempdir(), "firstlayer-projector.html")
    server = None
    if args.serve:  # bound first: a taken port is said before the work, not after
        try:
            server = bind(output, DEFAULT_PORT if args.port is None else args.port)
        except (OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    try:
        limit = DEFAULT_LIMIT if args.limit is None else args.limit
        try:
            if words is not None:
                kv = load(args.vectors, format=args.format, vocab=words)
            else:
                kv = load(args.vectors, format=args.format, limit=limit)
        except FileNotFoundError as exc:
            raise UsageError(f"no such file: {exc.filename or args.vectors!r}") from None
        except (OSError, ValueError, EOFError) as exc:
            raise UsageError(one_line(exc)) from None
        if words is None and args.limit is not None and len(kv) < args.limit:
            _warn(f"{args.vectors} holds {len(kv):,} vectors, fewer than --limit "
                  f"{args.limit:,}: drawing all {len(kv):,}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                data = prepare(
                    kv, keys=words, limit=limit, labels=args.labels, projection=args.projection,
                    neighbors=args.neighbors, seed=args.seed,
                    title=args.title or os.path.basename(args.vectors),
                )
            except (ValueError, ImportError) as exc:
                raise UsageError(one_line(exc)) from None
        for warning in caught:
            _warn(str(warning.message))
        try:
            with atomic_write(output, "w", encoding="utf-8", newline="\n") as f:
                f.write(render(data))
        except OSError as exc:
            raise UsageError(f"can't write {output!r}: {one_line(exc)}") from None
        print(f"wrote {output}: {len(data['keys']):,} points, {data['variance']}; "
              f"{data['k']} neighbours each")
        if server is None:
            return 0
        print(f"serving it at {server.url} (Ctrl+C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print()
        return 0
    finally:
        if server is not None:
            server.server_close()


def _warn(message: str) -> None:
    print(f"{PROG} projector: warning: {message}", file=sys.stderr)
