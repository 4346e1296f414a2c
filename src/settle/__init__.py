"""settle — month-end settlement of a hospital marketing department's pay from spreadsheets.

The library face (the command line is another):

    import settle
    result = settle.run_month("工作目录", "2024-05")   # computes; writes nothing
    result.ok, result.problems, result.to_json()
    settle.publish(result)                            # payslips, summary, settlement.json
"""

__version__ = "0.1.0"

from settle._python import refuse_unsupported_python  # noqa: E402  (64-bit Python 3.11+: SPEC §13)

refuse_unsupported_python()

__all__ = ["Result", "run_month", "validate_month", "check_cards", "explain", "verify", "publish", "settle_month",
           "close_month", "init_workspace", "inspect_file", "__version__"]


from settle.verify import verify  # noqa: E402  (light: its heavy parts load when it runs)


def __getattr__(name: str):
    """The rest of the library face, imported when first used: `settle --help` and `--version`
    never load pandas or pyarrow (SPEC §9: they answer in under 0.2 s)."""
    if name in __all__:
        from settle import api
        return getattr(api, name)
    raise AttributeError(f"module 'settle' has no attribute {name!r}")
