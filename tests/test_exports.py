"""The public surface is exactly what ``__all__`` lists (nothing leaks, nothing vanishes silently).

The expectation is derived from the module itself: every public name the package binds that is one of
ours (a class or function defined in agentcore_mcp), plus the names it loads on first use.
"""

import inspect

import agentcore_mcp


def _ours(value: object) -> bool:
    module = getattr(value, "__module__", None) or ""
    return not inspect.ismodule(value) and module.split(".")[0] == "agentcore_mcp"


def test_all_is_exactly_the_public_names_the_package_binds() -> None:
    lazy = set(agentcore_mcp._LAZY)  # bound into the module by __getattr__ once a test has used one
    bound = {
        name
        for name, value in vars(agentcore_mcp).items()
        if not name.startswith("_") and name not in lazy and _ours(value)
    }
    assert set(agentcore_mcp.__all__) == bound | lazy | {"__version__"}


def test_all_is_sorted_and_every_name_resolves_to_something_documented() -> None:
    assert agentcore_mcp.__all__ == sorted(agentcore_mcp.__all__)
    for name in agentcore_mcp.__all__:
        value = getattr(agentcore_mcp, name)
        assert value is not None
        if name != "__version__":
            assert inspect.getdoc(value), f"{name} has no docstring"
