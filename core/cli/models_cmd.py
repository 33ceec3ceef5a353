"""``resonote models``: list, download, locate and remove the models tools use."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("models", help="list, download and locate AI models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    p.set_defaults(func=lambda args: _usage(p))

    ls = msub.add_parser("list", help="every model, its size, licence and whether it is installed")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--task", help="only models for this task (speech, notes, separation, ...)")
    ls.set_defaults(func=run_list)

    dl = msub.add_parser("download", help="download models into the cache (resumes; Ctrl+C "
                                          "stops cleanly)")
    dl.add_argument("names", nargs="+", metavar="NAME")
    dl.add_argument("--force", action="store_true", help="download again even if present")
    dl.add_argument("--timeout", type=float, default=30.0, metavar="S",
                    help="give up after S seconds without an answer (default 30)")
    dl.add_argument("--base-url", help="fetch the files from this address instead (mirrors)")
    dl.set_defaults(func=run_download)

    pa = msub.add_parser("path", help="print where an installed model is (exit 1 if not)")
    pa.add_argument("name", metavar="NAME")
    pa.add_argument("--verify", action="store_true",
                    help="also check the files' SHA-256 (bundled models)")
    pa.set_defaults(func=run_path)

    rm = msub.add_parser("remove", help="delete a downloaded model from the cache")
    rm.add_argument("names", nargs="+", metavar="NAME")
    rm.set_defaults(func=run_remove)


def _usage(parser) -> int:
    parser.print_help()
    return 2


def _size(spec) -> str:
    n = spec.size_bytes
    if not n:
        return "?"
    text = f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"
    return text if spec.size_exact else f"~{text}"


def _state_text(st) -> str:
    if st.state == "not-installed":
        return "not downloaded" if st.detail == "not downloaded" else f"not installed ({st.detail})"
    if st.state in ("partial", "damaged"):
        return f"{st.state} ({st.detail})"
    return st.state


def _row(spec, st) -> dict:
    return {
        "name": spec.name, "task": spec.task, "description": spec.description,
        "source": spec.source, "size_bytes": spec.size_bytes, "size_exact": spec.size_exact,
        "licence": spec.licence, "loader": spec.loader, "origin": spec.origin,
        "package": spec.package, "package_version": spec.package_version, "notes": spec.notes,
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256,
                   "sha256_prefix": f.sha256_prefix, "optional": f.optional,
                   **({"url": spec.url_for(f)} if spec.source == "download" else {})}
                  for f in spec.files],
        "state": st.state, "installed": st.installed,
        "path": str(st.path) if st.path else None, "detail": st.detail,
    }


def run_list(args) -> int:
    from core import models

    specs = models.all_models(task=args.task)
    pairs = [(s, models.status(s.name)) for s in specs]
    if args.json:
        print(json.dumps([_row(s, st) for s, st in pairs], indent=2))
        return 0
    if not pairs:
        print(f"No models for task {args.task!r}.")
        return 0
    head = ("NAME", "TASK", "SIZE", "LICENCE", "STATUS")
    rows = [(s.name, s.task, _size(s), s.licence, _state_text(st)) for s, st in pairs]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
    print(f"\nCache: {models.models_dir()}")
    return 0


def run_download(args) -> int:
    import signal
    import threading

    from core import models
    from core.cli.progress import TerminalProgress
    from core.jobs import CancelToken

    for name in args.names:  # unknown names fail before anything is fetched
        models.get(name)
    cancel = CancelToken()
    # Ctrl+C asks the download to stop at its next chunk (leaving a resumable
    # .part file) instead of tearing the process down mid-write.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        for name in args.names:
            bar = TerminalProgress()
            try:
                path = models.download(name, progress=bar, cancel=cancel, force=args.force,
                                       base_url=args.base_url, timeout_s=args.timeout)
            finally:
                bar.close()
            print(f"{name}: {path}")
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return 0


def run_path(args) -> int:
    from core import models

    if args.verify:
        print(models.ensure(args.name, allow_download=False))
    else:
        print(models.path(args.name))
    return 0


def run_remove(args) -> int:
    from core import models

    for name in args.names:
        spec = models.get(name)
        if spec.source == "bundled":
            where = f"pip package {spec.package}" if spec.package else "Resonote itself"
            print(f"{name}: bundled in {where}; nothing to remove from the cache")
            continue
        print(f"{name}: {'removed' if models.remove(name) else 'was not downloaded'}")
    return 0
