"""One Danish line for every error the CLI prints (exit 2/3), with CPR numbers masked.

`one_line(exc)`: argparse's English phrases and Python's file-system errors in Danish, the first line
only, any CPR-looking number (ddmmåå-nnnn / ddmmåånnnn) shown as ddmmåå-xxxx. No polars import: this
runs on the error path of every command.
"""

from __future__ import annotations

import re

_CPR = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")

_ARGPARSE = (
    (r"the following arguments are required: (.*)", r"mangler påkrævede argumenter: \1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"argument \1: ugyldigt valg \2 (vælg mellem \3)"),
    (r"unrecognized arguments: (.*)", r"ukendte argumenter: \1"),
    (r"argument (\S+): expected one argument", r"argument \1: mangler en værdi"),
    (r"argument (\S+): expected at least one argument", r"argument \1: mangler mindst én værdi"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"argument \1: ugyldig værdi \3"),
    (r"argument (\S+): not allowed with argument (\S+)", r"argument \1 kan ikke bruges sammen med \2"),
    (r"one of the arguments (.*) is required", r"et af argumenterne \1 er påkrævet"),
    (r"ambiguous option: (\S+) could match (.*)", r"tvetydigt flag: \1 kan være \2"),
)


def mask_cpr(text: str) -> str:
    return _CPR.sub(r"\1-xxxx", text)


def danish_usage(text: str) -> str:
    for pattern, repl in _ARGPARSE:
        text = re.sub(pattern, repl, text)
    return text


def _os_error(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else ""
    if isinstance(exc, FileNotFoundError):
        return f"findes ikke: {name}"
    if isinstance(exc, PermissionError):
        return f"ingen adgang (rettigheder): {name}"
    if isinstance(exc, IsADirectoryError):
        return f"er en mappe, ikke en fil: {name}"
    if isinstance(exc, NotADirectoryError):
        return f"er ikke en mappe: {name}"
    if isinstance(exc, FileExistsError):
        return f"findes allerede: {name}"
    return f"filsystemfejl (errno {exc.errno}): {name}".rstrip(": ")


def one_line(exc: BaseException) -> str:
    """The message of an exception as one Danish line, CPR masked."""
    if isinstance(exc, OSError) and exc.errno is not None:
        text = _os_error(exc)
    else:
        lines = str(exc).strip().splitlines()
        text = danish_usage(lines[0]) if lines else type(exc).__name__
    return mask_cpr(text)


_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?[/\\](?:[^\s:'\"/\\]+[/\\])+([^\s:'\"/\\]*)")


def for_browser(exc: BaseException | str) -> str:
    """One Danish line for a page: as `one_line`, and no server path (a path becomes its last part)."""
    text = one_line(exc) if isinstance(exc, BaseException) else mask_cpr(str(exc))
    return _PATH.sub(lambda m: m.group(1) or "(mappe)", text)


# --- warnings of a CLI run ------------------------------------------------------------------------
# A command's warnings (rows rejected at load, a date after a derived udtraeksdato, a part left out)
# go through `advarsel`. Inside `samlede_advarsler()` (workbench.cli) they are held and printed when
# the command succeeds; a failing command prints its one error line and nothing else.

_held: list[str] | None = None


def advarsel(text: str) -> None:
    """One warning line on stderr (held until the command ends when the CLI collects them)."""
    import sys

    if _held is None:
        print(text, file=sys.stderr)
    else:
        _held.append(text)


class samlede_advarsler:
    """Hold every `advarsel` of a command; `udskriv()` prints them (on success), leaving drops them."""

    def __enter__(self) -> "samlede_advarsler":
        global _held
        self._before, _held = _held, []
        return self

    def udskriv(self) -> None:
        import sys

        for text in _held or []:
            print(text, file=sys.stderr)
        if _held is not None:
            _held.clear()

    def __exit__(self, *exc) -> None:
        global _held
        _held = self._before
