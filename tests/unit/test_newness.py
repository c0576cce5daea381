"""Which findings a change adds (synthesis/newness.py): matched by file, rule and code without comments, counted,
and placed through the diff so a moved line is not new and a line left alone never explains another."""

from manyeyes.synthesis.newness import code_only, comment_markers, split_new

from tests.unit.test_synthesis import finding

BASE = "import os\n\n\ndef run(c):\n    os.system(c)\n"


def shell(line: int, code: str = "os.system(c)", path: str = "a.py"):
    return finding(line, "shell", rules=("B605",), evidence=code, path=path)


def test_comments_are_not_code_but_markers_inside_strings_are():
    assert code_only("os.system(c)  # run it", comment_markers("a.py")) == "os.system(c)"
    assert code_only("x = '#not a comment' # but this is", ("#",)) == "x = '#not a comment'"
    assert code_only("eval(s); // later", comment_markers("a.ts")) == "eval(s);"
    assert code_only("a // b", comment_markers("a.py")) == "a // b"  # floor division in Python
    assert code_only("x  =   1", comment_markers("notes.txt")) == "x = 1"


def test_a_line_that_moved_and_got_a_comment_is_not_new():
    now = "import os\n\n\n\n\n\ndef run(c):\n    os.system(c)  # why\n"
    new, old = split_new([shell(8, "os.system(c)  # why")], [shell(5)], versions={"a.py": (BASE, now)})
    assert (new, len(old)) == ([], 1)


def test_counted_not_just_compared_and_the_new_copy_is_the_new_one():
    now = BASE + "\n\ndef again(c):\n    os.system(c)\n"
    # A files review reports both; the one on the line the change left alone is the old one.
    new, _ = split_new([shell(5), shell(9)], [shell(5)], versions={"a.py": (BASE, now)})
    assert [f.span.start_line for f in new] == [9]
    # A diff review reports only the changed line's: the base's copy stayed where it was, so it explains nothing.
    new, _ = split_new([shell(9)], [shell(5)], versions={"a.py": (BASE, now)})
    assert [f.span.start_line for f in new] == [9]


def test_another_rule_another_file_or_other_code_is_new():
    base = [shell(5)]
    assert len(split_new([finding(5, "x", rules=("B307",), evidence="os.system(c)")], base)[0]) == 1
    assert len(split_new([shell(5, path="b.py")], base)[0]) == 1
    assert len(split_new([shell(5, "os.system(user)")], base)[0]) == 1


def test_a_renamed_file_is_followed():
    new, old = split_new([shell(5, path="b.py")], [shell(5)], renamed={"a.py": "b.py"})
    assert (new, len(old)) == ([], 1)
