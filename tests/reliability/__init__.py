"""Faults survived, nothing lost. tests/README.md maps each case of the security and
reliability table to the tests that prove it, here and in the apps' suites."""
