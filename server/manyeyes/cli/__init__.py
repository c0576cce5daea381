"""The command line (`manyeyes.cli.main:main` is the `manyeyes` program)."""
