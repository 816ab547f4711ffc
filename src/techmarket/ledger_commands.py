"""``techmarket ledger …``: the auditor's offline commands. They import no database code, so
an auditor's machine needs none (``tests/audit/test_offline_verifier.py``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from techmarket.ledger.note import NoteError, Verifier
from techmarket.terminal import console, err

if TYPE_CHECKING:
    import httpx

    from techmarket.ledger.verify import Summary

ledger_app = typer.Typer(help="Verify the ledger offline", no_args_is_help=True)


def _verifier(key: str) -> Verifier:
    """A verifier key given as the key string itself or as a file holding it."""
    path = Path(key)
    text = path.read_text().strip() if "+" not in key and path.is_file() else key
    try:
        return Verifier.parse(text)
    except NoteError as exc:
        err.print(f"[red]bad key: {exc}[/red]")
        raise typer.Exit(2) from None


@contextmanager
def _export_lines(export: Path | None, url: str | None) -> Iterator[Iterable[bytes]]:
    """The export's lines, from a file or a live server (read as bytes: lines end at
    ``\n`` only, see ``verify.export_lines``)."""
    if export is not None:
        with export.open("rb") as lines:
            yield lines
        return
    import httpx

    from techmarket.ledger.verify import export_lines

    assert url is not None
    with httpx.stream("GET", url.rstrip("/") + "/api/v1/ledger/export", timeout=60) as response:
        if response.status_code != 200:
            err.print(f"[red]{url} answered {response.status_code}[/red]")
            raise typer.Exit(2)
        yield export_lines(response.iter_bytes())


def _fetcher(http: httpx.Client, url: str) -> Callable[[str], bytes | None]:
    """A path below the log's prefix to its body; None when the server has none."""

    def fetch(path: str) -> bytes | None:
        response = http.get(path)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            err.print(f"[red]{url} answered {response.status_code} for {path}[/red]")
            raise typer.Exit(2)
        return response.content

    return fetch


def _verify_tiles(url: str, verifier: Verifier, checks: dict[str, Any]) -> Summary | None:
    """The log read and checked through its C2SP tlog-tiles; None if the server has none."""
    import httpx

    from techmarket.ledger.tile_reader import TilesNotOffered, verify_tiles

    with httpx.Client(base_url=url.rstrip("/") + "/api/v1/ledger/", timeout=60) as http:
        try:
            summary = verify_tiles(_fetcher(http, url), verifier, **checks)
        except TilesNotOffered:
            err.print(f"{url} serves no tiles: reading its export")
            return None
    console.print(f"read through the tiles of {url}")
    return summary


@ledger_app.command("verify")
def ledger_verify(
    key: Annotated[str, typer.Option(help="The log's verifier key, or a file holding it")],
    export: Annotated[Path | None, typer.Option(help="A JSON Lines export to check")] = None,
    url: Annotated[
        str | None,
        typer.Option(help="A live server to check, read through its tiles (else its export)"),
    ] = None,
    since_checkpoint: Annotated[
        Path | None, typer.Option(help="A checkpoint saved earlier: the log must extend it")
    ] = None,
    save_checkpoint: Annotated[
        Path | None, typer.Option(help="Where to save the verified checkpoint for next time")
    ] = None,
) -> None:
    """Check every encoding, chain link and the Merkle root against the signed checkpoint,
    consistency with an earlier checkpoint, and replay the business rules."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from techmarket.audit import rule_books
    from techmarket.ledger.verify import VerificationFailed, verify_export

    if (export is None) == (url is None):
        err.print("[red]give exactly one of --export FILE or --url URL[/red]")
        raise typer.Exit(2)
    verifier = _verifier(key)
    earlier = since_checkpoint.read_text() if since_checkpoint else None
    progress = Progress(
        TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    )
    task = progress.add_task("entries", total=None)
    checks: dict[str, Any] = {
        "earlier_note": earlier,
        "rule_books": rule_books(),
        "on_entry": lambda i: progress.update(task, completed=i + 1) if i % 1000 == 0 else None,
    }
    try:
        with progress:
            summary = _verify_tiles(url, verifier, checks) if url else None
            if summary is None:
                with _export_lines(export, url) as lines:
                    summary = verify_export(lines, verifier, **checks)
    except VerificationFailed as exc:
        where = f"entry {exc.index}" if exc.index is not None else "log"
        err.print(f"[red]FAILED[/red] at {where}: {exc.message}")
        raise typer.Exit(1) from None
    console.print(
        f"[green]OK[/green] {summary.entries} entries, root {summary.root.hex()}, "
        f"checkpoint of {summary.checkpoint.origin} signed by {verifier.name}"
    )
    if summary.earlier:
        console.print(f"consistent with the checkpoint saved at size {summary.earlier.size}")
    for event_type, count in sorted(summary.event_types.items()):
        console.print(f"  {event_type}: {count}")
    if save_checkpoint:
        save_checkpoint.write_text(summary.checkpoint_note)


@ledger_app.command("check-entry")
def ledger_check_entry(
    index: Annotated[int, typer.Argument(help="The entry's index")],
    url: Annotated[str, typer.Option(help="A live server serving its tiles")],
    key: Annotated[str, typer.Option(help="The log's verifier key, or a file holding it")],
    save_receipt: Annotated[
        Path | None, typer.Option(help="Where to save the entry's receipt (.tlog-proof)")
    ] = None,
) -> None:
    """Prove one entry in the signed log from the server's tiles alone (a few tiles, not
    the whole log): its bytes, its inclusion proof, the checkpoint's signature."""
    import httpx

    from techmarket.ledger.tile_reader import TilesNotOffered, check_entry
    from techmarket.ledger.verify import VerificationFailed

    verifier = _verifier(key)
    with httpx.Client(base_url=url.rstrip("/") + "/api/v1/ledger/", timeout=60) as http:
        try:
            receipt = check_entry(_fetcher(http, url), verifier, index)
        except (VerificationFailed, TilesNotOffered) as exc:
            err.print(f"[red]FAILED[/red]: {exc}")
            raise typer.Exit(1) from None
    console.print(f"[green]OK[/green] entry {index} is in the log signed by {verifier.name}")
    if save_receipt:
        save_receipt.write_text(receipt.text())


@ledger_app.command("verify-receipt")
def ledger_verify_receipt(
    receipt: Annotated[Path, typer.Argument(help="A receipt (.tlog-proof) file")],
    key: Annotated[str, typer.Option(help="The log's verifier key, or a file holding it")],
) -> None:
    """Check one receipt offline: the entry, its inclusion proof, the signed checkpoint."""
    from techmarket.ledger.verify import VerificationFailed, verify_receipt

    try:
        verified = verify_receipt(receipt.read_text(), _verifier(key))
    except VerificationFailed as exc:
        err.print(f"[red]FAILED[/red]: {exc}")
        raise typer.Exit(1) from None
    console.print(
        f"[green]OK[/green] entry {verified.index} is in {verified.checkpoint.origin} "
        f"at tree size {verified.checkpoint.size}"
    )
    console.print_json(json.dumps(verified.entry, ensure_ascii=False))
