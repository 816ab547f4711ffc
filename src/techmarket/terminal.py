"""Where the command line writes: results on stdout, progress and errors on stderr."""

from rich.console import Console

console = Console(width=max(Console().width, 120))
err = Console(stderr=True)
