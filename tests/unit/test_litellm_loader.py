"""What load_litellm leaves out of memory: tiktoken's default encoding until something encodes, and the parsed
tokenizer JSON litellm never reads again; and that token counting still gives tiktoken's numbers."""

import copy
import subprocess
import sys
import threading

from manyeyes.llm.loader import LazyEncoding


def test_litellm_loads_with_its_default_encoding_deferred_and_still_counts_tokens():
    code = """
import sys
from manyeyes.llm.loader import load_litellm
litellm = load_litellm()
encoding = sys.modules["litellm.litellm_core_utils.default_encoding"].encoding
print(type(encoding).__name__, encoding.built, hasattr(litellm.utils, "json_data"), bool(litellm.utils.claude_json_str))
text = "def run(cmd):\\n    subprocess.call(cmd, shell=True)  # émoji 🐍"
ours = encoding.encode(text)
import tiktoken
print(encoding.built, ours == tiktoken.get_encoding("cl100k_base").encode(text), encoding.name)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["LazyEncoding False False True", "True True cl100k_base"]


def test_a_lazy_encoding_is_built_once_on_first_use_even_from_many_threads():
    builds = []

    class Real:
        name = "real"

        def encode(self, text):
            return [len(text)]

    def build():
        builds.append(1)
        return Real()

    lazy = LazyEncoding(build)
    copy.copy(lazy)  # probes for dunders (copy, pickle) must not build the table
    assert not lazy.built and builds == []
    results = []
    threads = [threading.Thread(target=lambda: results.append(lazy.encode("abc"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[3]] * 8 and builds == [1] and lazy.name == "real"
