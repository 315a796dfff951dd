"""Browser tests (a package, so that its conftest is ``browser.conftest`` and never shadows
``tests/conftest.py`` for the modules that import from it)."""
