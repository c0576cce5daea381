"""manyeyes: a code reviewer that works like a small team."""

__version__ = "0.1.0"
# Where the project lives (SARIF's tool.informationUri and the help links of rules that have no page of their own).
HOMEPAGE = "https://github.com/manyeyes/manyeyes"
