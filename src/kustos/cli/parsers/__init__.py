"""The parsers of the `kustos` commands, one module per area.

These modules import nothing but argparse and ``kustos.core.lazy``: every subcommand names its
implementation as ``"kustos.cli.<area>:cmd_x"`` (``Deferred``), which is imported only when the
command runs, so ``kustos --help`` and simple commands start without the vault, the search
index, the mail parser or HTTP clients.
"""
