"""A document keeps the identity its front end gave it: the result names every reviewed document by the key it was
asked about under (the editor's URI), with the text it reviewed, so no front end rebuilds one from a path."""

import anyio

from manyeyes.config import Settings
from manyeyes.engine import ReviewRun
from manyeyes.models import Concern, DocumentSource, ReviewKind, ReviewRequest

UNSAVED = "import os\n\n\ndef run(cmd):\n    os.system('ls ' + cmd)\n"


def review(request: ReviewRequest):
    return anyio.run(ReviewRun(request, Settings(concerns=[Concern.security])).execute)


def test_the_result_gives_back_the_key_and_reviews_the_front_ends_text(workspace):
    (workspace / "app.py").write_text("x = 1\n")  # on disk: nothing to find
    key = "file:///editor/spelling/app.py"
    source = DocumentSource(key=key, path=workspace / "app.py", text=UNSAVED)
    result = review(ReviewRequest(workspace=workspace, paths=[workspace / "app.py"], sources=[source]))
    assert result.keys == {"app.py": key}
    assert result.texts["app.py"] == UNSAVED
    assert [f.rules[0] for f in result.findings if f.path == "app.py"][:1] == ["B605"]


def test_a_document_named_through_a_symbolic_link_keeps_its_key(workspace, tmp_path):
    real = workspace / "src"
    real.mkdir()
    (real / "app.py").write_text(UNSAVED)
    link = tmp_path / "linked"
    link.symlink_to(real)
    key = "file:///linked/app.py"
    source = DocumentSource(key=key, path=link / "app.py", text=UNSAVED)
    request = ReviewRequest(workspace=workspace, paths=[real / "app.py"], sources=[source])
    assert request.source(real / "app.py") == source
    assert review(request).keys == {"src/app.py": key}


def test_files_the_front_end_did_not_name_have_no_key(workspace):
    (workspace / "a.py").write_text("x = 1\n")
    (workspace / "b.py").write_text("y = 2\n")
    named = DocumentSource(key="file:///a", path=workspace / "a.py")
    result = review(ReviewRequest(kind=ReviewKind.files, workspace=workspace, paths=[workspace], sources=[named]))
    assert result.keys == {"a.py": "file:///a"}
    assert sorted(result.reviewed) == ["a.py", "b.py"]
