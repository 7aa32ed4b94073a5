"""The `haquang` commands we suggest to a person, written so that pasted as printed they act on
the warehouse the message is about.

A hint without `--warehouse` acts on the default warehouse (warehouse/haquang.duckdb of the
current folder): after `haquang load --warehouse /tmp/x/big.duckdb` it would query or withdraw
from another file. Here, not in flows/core, so that this text is not part of the parser version.
"""

from __future__ import annotations

from pathlib import Path

from flows.core.names import shell_argument

DEFAULT_WAREHOUSE = Path("warehouse/haquang.duckdb")  # the command line's default (flows/orchestration/defaults.py)
PROGRAM = ".venv/bin/haquang"  # as the project's make targets install it


def is_default_warehouse(warehouse: Path) -> bool:
    """Whether `warehouse` is the file a command without --warehouse would use from here."""
    try:
        return Path(warehouse).resolve() == DEFAULT_WAREHOUSE.resolve()
    except OSError:  # an unreadable link on the way: name it explicitly
        return False


def haquang_command(subcommand: str, *arguments: str, warehouse: Path | None = None, outputs: Path | None = None,
                    program: str = "haquang") -> str:
    """`haquang SUBCOMMAND ARGUMENTS... [--warehouse PATH] [--outputs DIR]`, each part quoted for the shell.

    --warehouse appears when `warehouse` is not the default one, as an absolute path (the hint
    may be pasted in another folder); --outputs when the outputs were not beside the warehouse.
    `arguments` are already shell words (quote names with shell_argument); they come first, so
    that a file name stays the first word after the subcommand whatever options follow.
    """
    words = [program, subcommand, *arguments]
    if warehouse is not None and not is_default_warehouse(warehouse):
        words += ["--warehouse", shell_argument(str(Path(warehouse).resolve()))]
    if outputs is not None and warehouse is not None and Path(outputs).resolve() != Path(warehouse).resolve().parent:
        words += ["--outputs", shell_argument(str(Path(outputs).resolve()))]
    return " ".join(words)


def withdraw_command(source_file: str, warehouse: Path, outputs: Path | None = None, program: str = "haquang") -> str:
    """`haquang withdraw FILE` for this warehouse, the file name quoted for the shell (it comes
    from whoever sent the workbook: $(...) in it stays text)."""
    return haquang_command("withdraw", shell_argument(source_file), warehouse=warehouse, outputs=outputs,
                           program=program)
