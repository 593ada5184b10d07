"""tools/scan_report.py: every scanner finding and every 5xx must be explained, or `make scan` fails."""
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import scan_report  # noqa: E402

ROUTES = """| route | methods | anonymous | rep | director | gm | admin |
|---|---|---|---|---|---|---|
| `/` | GET |  | ✓ | ✓ | ✓ | ✓ |
| `/customers/<int:customer_id>` | GET |  | ✓ | ✓ | ✓ |  |
| `/admin/settings` | GET,POST |  |  |  |  | ✓ |
"""


def finding(path="/", info="X-Frame-Options is not set", module="http_headers"):
    return {"method": "GET", "path": path, "info": info, "level": 1, "parameter": "", "module": module}


@pytest.fixture
def results(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (tmp_path / "ROUTES.md").write_text(ROUTES)
    (tmp_path / "SECURITY.md").write_text("## Outside scanner (wapiti)\n`frame-header`: explained here.\n")
    (out / "run.json").write_text(json.dumps({"modules": ["http_headers"], "roles": {"rep": {"account": "li.na"}}}))
    (out / "rep.access.log").write_text(
        '127.0.0.1 - - [x] "GET / HTTP/1.1" 200 10 "-" "ua"\n'
        '127.0.0.1 - - [x] "GET /customers/7?page=2 HTTP/1.1" 200 10 "-" "ua"\n')
    (out / "rep.wapiti.log").write_text("[*] Launching module http_headers\n[+] GET https://h/ (0)\n")
    return tmp_path


def write_report(root, vulns=None, anomalies=None):
    report = {"vulnerabilities": vulns or {}, "anomalies": anomalies or {}, "additionals": {},
              "infos": {"version": "Wapiti 3.2.3", "crawled_pages_nbr": 12}}
    (root / "results" / "rep.json").write_text(json.dumps(report))


def run(root, allow=""):
    (root / "allow.toml").write_text(allow)
    return scan_report.main(["--results", str(root / "results"), "--allowlist", str(root / "allow.toml"),
                             "--security", str(root / "SECURITY.md"), "--routes", str(root / "ROUTES.md"),
                             "--summary", str(root / "SUMMARY.md")])


ALLOW = """[[allow]]
id = "frame-header"
module = "http_headers"
info = "X-Frame-Options"
reason = "test"
"""


def test_clean_run_passes_and_summarises(results):
    write_report(results)
    assert run(results) == 0
    summary = (results / "SUMMARY.md").read_text()
    assert "| rep (li.na) | 12 | 2 |" in summary
    assert "2 of 2" in summary  # routes reached of routes the rep is admitted to
    assert "http_headers 1" in summary


def test_unlisted_finding_fails(results, capsys):
    write_report(results, vulns={"Content Security Policy Configuration": [finding(module="csp", info="no CSP")]})
    assert run(results, ALLOW) == 1
    assert "UNEXPLAINED rep: csp" in capsys.readouterr().out


def test_listed_finding_passes_only_when_security_md_explains_it(results, capsys):
    write_report(results, vulns={"HTTP Secure Headers": [finding()]})
    assert run(results, ALLOW) == 0
    (results / "SECURITY.md").write_text("## Outside scanner (wapiti)\nnothing\n")
    assert run(results, ALLOW) == 1
    assert "'frame-header' is not explained" in capsys.readouterr().out


def test_server_errors_in_the_access_log_fail(results, capsys):
    write_report(results)
    with (results / "results" / "rep.access.log").open("a") as log:
        log.write('127.0.0.1 - - [x] "GET /customers/3 HTTP/1.1" 500 10 "-" "ua"\n')
    assert run(results) == 1
    assert "HTTP 500: GET /customers/3" in capsys.readouterr().out


def test_anomalies_count_as_findings(results):
    write_report(results, anomalies={"Internal Server Error": [finding(module="xss", info="500 on payload")]})
    assert run(results) == 1


def test_allowlist_entry_needs_a_reason(results):
    write_report(results)
    with pytest.raises(SystemExit):
        run(results, '[[allow]]\nid = "x"\nmodule = "csp"\nreason = ""\n')


def test_scan_exclusions_name_real_routes(app):
    """Each URL `make scan` keeps away from is still a route (else the scan would sign itself out)."""
    import fnmatch

    import scan

    rules = [re.sub(r"<[^>]+>", "1", rule.rule) for rule in app.url_map.iter_rules()]
    for pattern in scan.EXCLUDED:
        assert any(fnmatch.fnmatchcase(rule, pattern) for rule in rules), pattern


def test_scan_sign_in_finds_the_login_form_token(client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
