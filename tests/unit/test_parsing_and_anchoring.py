import pytest

from manyeyes.agents.anchoring import anchor
from manyeyes.agents.parsing import ParseError, parse_reply
from manyeyes.models import Severity

ITEM = '{"title": "Shell injection", "severity": "high", "confidence": 0.9, "line": 2, "quote": "os.system(cmd)"}'


@pytest.mark.parametrize(
    "reply",
    [
        '{"findings": [%s]}' % ITEM,
        '```json\n{"findings": [%s]}\n```' % ITEM,
        'Here is my review:\n{"findings": [%s]}\nHope it helps.' % ITEM,
        "[%s]" % ITEM,
    ],
)
def test_json_is_found_in_fences_and_prose(reply):
    parsed = parse_reply(reply)
    assert [f.title for f in parsed.findings] == ["Shell injection"]
    assert not parsed.salvaged


def test_truncated_reply_keeps_complete_items():
    parsed = parse_reply('{"findings": [%s, %s, {"title": "Half' % (ITEM, ITEM))
    assert parsed.salvaged and len(parsed.findings) == 2


def test_invalid_items_are_dropped_one_by_one():
    no_quote = '{"title": "no quote", "severity": "high"}'
    bad_severity = '{"title": "bad", "severity": "???", "quote": "x"}'
    reply = '{"findings": [%s, %s, 42, %s]}' % (ITEM, no_quote, bad_severity)
    parsed = parse_reply(reply)
    assert len(parsed.findings) == 1 and len(parsed.dropped) == 3


def test_lenient_fields_are_normalised():
    parsed = parse_reply(
        '{"findings": [{"title": "Weak hash", "severity": "Warning", "confidence": 85, '
        '"line": "3", "quote": "md5(x)", "cwe": "327"}]}'
    )
    finding = parsed.findings[0]
    assert finding.severity is Severity.medium and finding.confidence == 0.85
    assert finding.line == 3 and finding.cwe == "CWE-327"


def test_reply_without_json_is_a_parse_error():
    with pytest.raises(ParseError):
        parse_reply("I looked at the code and it seems fine.")


LINES = [
    "import os",
    "",
    "def run(cmd):",
    "    os.system(cmd)",
    "",
    "def again(cmd):",
    "    os.system(cmd)",
]


def test_anchor_finds_the_quote_nearest_the_hint():
    assert anchor("os.system(cmd)", LINES, 7).start_line == 7
    assert anchor("os.system(cmd)", LINES, 3).start_line == 4


def test_anchor_columns_for_a_single_line_quote():
    span = anchor("system(cmd)", LINES, 4)
    assert (span.start_line, span.start_col, span.end_col) == (4, 8, 19)


def test_anchor_tolerates_gutter_and_indentation():
    span = anchor("    3 | def run(cmd):\n    4 |         os.system(cmd)", LINES, None)
    assert (span.start_line, span.end_line) == (3, 4)


def test_quote_not_in_the_document_is_not_anchored():
    assert anchor("eval(request.args['x'])", LINES, 4) is None
    assert anchor("   ", LINES, 4) is None
