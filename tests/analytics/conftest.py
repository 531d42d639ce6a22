from tests.conftest_demo import demo  # noqa: F401  (until tests/conftest.py exists)
