"""The command line's exit codes (also in the README), at the bottom of the package so every command imports them
and none imports another command for them.

    0  the review completed and nothing reached --fail-on
    1  findings at or above --fail-on
    2  usage or configuration error (bad arguments, unknown concern or model, missing path, no git repository)
    3  the review is incomplete: an agent failed or was cancelled (and nothing reached --fail-on)
    130 interrupted
"""

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
