"""Subcommands of `edge-agent`: each module exposes `register(subparsers)` and sets
`handler=` (a function taking the parsed args and returning the exit code)."""
