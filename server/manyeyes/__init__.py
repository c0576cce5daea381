"""manyeyes: a code reviewer that works like a small team."""

__version__ = "0.1.0"
