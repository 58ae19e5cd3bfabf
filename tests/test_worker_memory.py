"""Worker memory (target: every gunicorn worker under 150 MB resident, bench/run.py): what a
web worker loads, checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)


def test_tokenising_thai_does_not_build_pythainlps_63_mb_trie():
    """Workers must stay under 150 MB: the word dictionary is a set (thai.WordSet), so
    PyThaiNLP's Trie of 62,000 words is never built in a process that only tokenises."""
    script = (
        "from exchange.search import thai\n"
        "from pythainlp.tokenize import word_dict_trie\n"
        "assert thai.search_tokens('การประชุมองค์การมหาชนเรื่องระบบราชการ 4.0')\n"
        "print(word_dict_trie.cache_info().currsize)\n"
        "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])\n"
    )
    env = {"PYTHAINLP_OFFLINE": "1", "PYTHAINLP_READ_ONLY": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=PROJECT_ROOT,
    )
    built, rss_kb = map(int, result.stdout.split())
    assert built == 0
    assert rss_kb < 110 * 1024  # 83 MB here; with the Trie 63 MB more


def test_a_web_worker_loads_no_alembic(tmp_path):
    """Memory: Flask-Migrate (and Alembic, ~10 MB) only on the command line and in tests;
    a gunicorn worker imports the app without them."""
    script = (
        "import sys\n"
        "from app import app\n"
        "assert 'alembic' not in sys.modules, 'alembic loaded'\n"
        "assert 'migrate' not in app.extensions\n"
    )
    env = {
        "PYTHAINLP_OFFLINE": "1",
        "SECRET_KEY": "x",
        "EXCHANGE_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=PROJECT_ROOT)
