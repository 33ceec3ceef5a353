"""``resonote batch TOOL... IN_FOLDER -o OUT_FOLDER [tool options]``: a folder tree, one tool.

The batch command registers every tool command of :data:`core.batch.tools.TOOL_MODULES`
again under ``batch``, with its own options, help and checks; only the input and
output become folders and the batch options are added (``--jobs``, ``--cluster``,
``--retries``, ``--report``, ``--out-ext``).  Each file then runs through the tool's own
``run(args)``.  Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core.batch.tools import TOOL_MODULES, TOOLS

BATCH_HELP = ("run a tool on every audio file in a folder tree (resumable, with a report; "
              "local worker processes or a Dask cluster)")


def register(sub) -> None:
    p = sub.add_parser(
        "batch", help=BATCH_HELP,
        description="Run one tool on every audio file under IN_FOLDER, writing the results "
        "under OUT_FOLDER in the same folder tree. Finished outputs are skipped, so an "
        "interrupted batch resumes where it stopped. A report (batch-report.csv and .json) "
        "lists every file with its status. Example: resonote batch restore loudness songs/ "
        "-o out/ --target -14 --jobs 2")
    tools = p.add_subparsers(dest="batch_tool", metavar="TOOL", required=True)
    for name in TOOL_MODULES:
        importlib.import_module(name).register(tools)
    for path, leaf in _leaves(p, ()):
        name = " ".join(path)
        if name in TOOLS:
            _adapt(leaf, name)


def _subparsers(parser: argparse.ArgumentParser):
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)),
                None)


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...]):
    """``(command path, parser)`` of every command under ``parser`` that runs something."""
    sub = _subparsers(parser)
    if sub is None:
        yield path, parser
        return
    for name, child in sub.choices.items():
        yield from _leaves(child, path + (name,))


def _drop(parser: argparse.ArgumentParser, dest: str) -> None:
    """Remove the argument ``dest`` (argparse has no public way to)."""
    for action in [a for a in parser._actions if a.dest == dest]:
        parser._remove_action(action)
        for group in parser._action_groups:
            if action in group._group_actions:
                group._group_actions.remove(action)
        for opt in action.option_strings:
            parser._option_string_actions.pop(opt, None)


def _adapt(leaf: argparse.ArgumentParser, name: str) -> None:
    """Turn a tool's parser into its batch parser: folders in and out, batch options."""
    spec = TOOLS[name]
    tool_func = leaf.get_default("func")
    for dest in ("input", "output", "files"):
        _drop(leaf, dest)
    leaf.add_argument("input", metavar="IN_FOLDER",
                      help="folder of audio files (searched recursively)")
    leaf.add_argument("-o", "--output", metavar="OUT_FOLDER", required=True,
                      help="folder for the results, mirroring IN_FOLDER's tree")
    if "force" not in {a.dest for a in leaf._actions}:
        leaf.add_argument("-f", "--force", action="store_true")
    for a in leaf._actions:
        if a.dest == "force":
            a.help = "redo files whose output already exists (default: skip them)"
    g = leaf.add_argument_group("batch")
    g.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="files processed at once, each in its own worker process (default 1)")
    g.add_argument("--cluster", metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://scheduler:8786 (needs a folder "
                   "shared by every machine)")
    g.add_argument("--retries", type=int, default=None, metavar="K",
                   help="try a failed file K more times (default 0, 2 with --cluster)")
    g.add_argument("--report", metavar="PATH",
                   help="report path without extension (default OUT_FOLDER/batch-report); "
                   ".csv and .json are written")
    if spec.kind != "folder":
        g.add_argument("--out-ext", metavar="EXT",
                       help=f"output format: {', '.join(e.lstrip('.') for e in spec.extensions)}"
                       + (" (default: the input's own)" if spec.default_ext is None
                          else f" (default {spec.default_ext.lstrip('.')})"))
    leaf.set_defaults(func=run, batch_tool=name, batch_tool_func=tool_func)
    leaf.description = (f"Run 'resonote {name}' on every audio file under IN_FOLDER; the "
                        f"results mirror its folder tree under OUT_FOLDER. "
                        f"{leaf.description or ''}").strip()


def run(args) -> int:
    from core.batch import FAILED, run_batch, tool_options
    from core.cli.progress import TerminalProgress

    bar = TerminalProgress()
    try:
        summary = run_batch(args.batch_tool, args.input, args.output, tool_options(args),
                            out_ext=getattr(args, "out_ext", None), force=args.force,
                            jobs=args.jobs, cluster=args.cluster, retries=args.retries,
                            report=args.report, progress=bar)
    finally:
        bar.close()
    for f in summary.files:
        if f.status == FAILED:
            print(f"resonote: failed: {f.input}: {f.error}", file=sys.stderr)
    print(f"{summary.line()} ({summary.workers})")
    print(f"report: {summary.report_csv}")
    return 0 if summary.ok else 1
