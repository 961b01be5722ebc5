"""report.html: language, self-containment, escaping, content and filters."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from conformance.reporting import write_reports
from conformance.reporting.html import render_html, write_html
from conformance.reporting.i18n import LABELS, LEVELS, OUTCOMES

HOSTILE_SCRIPT = "<script>alert(1)</script>"


def render(report: dict[str, Any], lang: str | None = None) -> tuple[str, Any]:
    """The page for ``report`` (in ``lang`` when given) and its parsed tree."""
    if lang is not None:
        report = {**report, "lang": lang}
    page = render_html(report)
    return page, lxml.html.document_fromstring(page)


def results_rows(tree: Any) -> list[Any]:
    return list(tree.xpath('//table[@id="results-table"]/tbody/tr'))


@pytest.mark.parametrize(
    ("fixture", "vi", "en"),
    [
        ("conformant_report", "Phù hợp", "Conformant"),
        ("nonconformant_report", "Không phù hợp", "Non-conformant"),
        ("inconclusive_report", "Chưa kết luận", "Inconclusive"),
    ],
)
def test_verdict_banner_in_both_languages(
    request: pytest.FixtureRequest, fixture: str, vi: str, en: str
) -> None:
    report = request.getfixturevalue(fixture)
    for lang, heading in (("vi", f"Kết luận: {vi}"), ("en", f"Verdict: {en}")):
        _, tree = render(report, lang)
        assert tree.get("lang") == lang
        banner = tree.get_element_by_id("verdict")
        assert banner.get("data-verdict") == report["verdict"]
        assert f"verdict-{report['verdict']}" in banner.get("class").split()
        assert banner.findtext("h1") == heading


def test_vietnamese_page_has_no_english_headings(nonconformant_report: dict[str, Any]) -> None:
    _, tree = render(nonconformant_report, "vi")
    english = {v for k, v in LABELS["en"].items() if LABELS["vi"][k] != v}
    headings = [h.text_content().strip() for h in tree.xpath("//th | //h2 | //dt | //legend")]
    assert headings
    assert [h for h in headings if h in english or re.sub(r" \(\d+\)$", "", h) in english] == []
    assert "Bắt buộc" in headings and "Không đạt" in headings and "Lỗi công cụ" in headings


def test_page_references_nothing_outside_itself(nonconformant_report: dict[str, Any]) -> None:
    page, tree = render(nonconformant_report)
    assert (
        tree.xpath("//link | //img | //iframe | //object | //embed | //base | //form | //audio | //video")
        == []
    )
    assert tree.xpath("//@src | //@srcset | //@action | //@poster | //@data") == []
    assert all(href.startswith("#") for href in tree.xpath("//@href"))
    styles = " ".join(s.text or "" for s in tree.xpath("//style"))
    scripts = " ".join(s.text or "" for s in tree.xpath("//script"))
    for code in (styles, scripts):
        assert "@import" not in code and "url(" not in code and "http" not in code
    csp = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert len(csp) == 1 and "default-src 'none'" in csp[0]
    assert "fetch(" not in page and "XMLHttpRequest" not in page


def test_content_security_policy_allows_exactly_the_inline_style_and_script(
    conformant_report: dict[str, Any],
) -> None:
    _, tree = render(conformant_report)
    csp = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')[0]
    (style,) = tree.xpath("//style")
    (script,) = tree.xpath("//script")
    for element, directive in ((style, "style-src"), (script, "script-src")):
        digest = base64.b64encode(hashlib.sha256(element.text.encode("utf-8")).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp


def test_hostile_strings_are_escaped(nonconformant_report: dict[str, Any]) -> None:
    page, tree = render(nonconformant_report)
    assert HOSTILE_SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.lower().count("<script") == 1  # the page's own filter script
    assert "\x01" not in page and "␁" in page
    (row,) = [r for r in results_rows(tree) if HOSTILE_SCRIPT in r.text_content()]
    assert row.xpath('string(td[@class="subj"])') == f"samples/{HOSTILE_SCRIPT}.edxml"
    assert "']]>" + HOSTILE_SCRIPT in row.xpath('string(td[@class="msg"])')


def test_lone_surrogates_and_controls_never_reach_the_file(
    make_report: Callable[..., dict[str, Any]], make_result: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    report = make_report(
        [
            make_result(
                "EDX-01",
                "fail",
                "bad\ud800name",
                "bad \udcff byte\x1b[31m",
                evidence={"raw": "\x00\x7f\ud83d"},
            )
        ]
    )
    path = write_html(report, tmp_path)
    text = path.read_text("utf-8")
    assert "bad\ufffdname" in text and "␛[31m" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)


def test_every_listed_result_is_a_row(nonconformant_report: dict[str, Any]) -> None:
    _, tree = render(nonconformant_report)
    rows = results_rows(tree)
    results = nonconformant_report["results"]
    assert len(rows) == len(results)
    for row, result in zip(rows, results, strict=True):
        assert (row.get("data-o"), row.get("data-l")) == (result["outcome"], result["level"])
        cells = row.xpath("td")
        assert cells[0].xpath("string(.//strong)") == result["requirement"]
        assert cells[2].text_content() == result["subject"].replace("\x01", "␁")
        assert cells[0].xpath(".//a/@href") == [f"#req-{result['requirement']}"]


def test_filters_by_outcome_and_level_exist_and_degrade_without_script(
    nonconformant_report: dict[str, Any],
) -> None:
    _, tree = render(nonconformant_report)
    (box,) = tree.xpath('//fieldset[@id="filters"]')
    assert box.get("hidden") is not None  # without script: no dead controls, every row shows
    boxes = box.xpath(".//input[@type='checkbox']")
    assert [(b.get("data-filter"), b.get("value")) for b in boxes] == [
        *(("o", o) for o in OUTCOMES),
        *(("l", lv) for lv in LEVELS),
    ]
    assert all(b.get("checked") is not None for b in boxes)
    style = tree.xpath("//style")[0].text
    for o in OUTCOMES:
        assert f'#results-table.hide-o-{o} tr[data-o="{o}"]{{display:none}}' in style
    for lv in LEVELS:
        assert f'#results-table.hide-l-{lv} tr[data-l="{lv}"]{{display:none}}' in style
    script = tree.xpath("//script")[0].text
    assert 'getElementById("filters")' in script and 'getElementById("results-table")' in script
    assert not [r for r in results_rows(tree) if r.get("hidden") is not None or r.get("style")]


def test_filter_counts_are_the_listed_results(nonconformant_report: dict[str, Any]) -> None:
    _, tree = render(nonconformant_report)
    counts = {
        b.get("value"): int(b.getparent().text_content().split()[-1])
        for b in tree.xpath('//fieldset[@id="filters"]//input')
    }
    assert counts["pass"] == 48 and counts["fail"] == 3 and counts["error"] == 1
    assert counts["mandatory"] == 51 and counts["recommended"] == 2 and counts["optional"] == 1


def test_evidence_findings_other_keys_and_cuts(nonconformant_report: dict[str, Any]) -> None:
    page, tree = render(nonconformant_report)
    (row,) = [r for r in results_rows(tree) if HOSTILE_SCRIPT in r.text_content()]
    items = row.xpath('.//ul[@class="findings"]/li')
    assert len(items) == 2
    assert items[0].text_content().startswith(f"bad date {HOSTILE_SCRIPT}")
    assert "(path /edXML/PromulgationDate, line 12)" in items[0].text_content()
    assert items[0].xpath("string(pre)") == "2014/02/30]]>␁"
    assert "A" * 5000 not in page and "A" * 2000 in page
    assert "Cut: 2000 of 5000 characters shown." in items[1].text_content()
    assert "7 more findings were not recorded." in row.text_content()
    (other,) = row.xpath(".//details")
    assert other.get("open") is not None
    assert '"status": 500' in other.xpath("string(pre)")
    assert '"findings"' not in other.xpath("string(pre)")


def test_summary_counts_by_level_and_outcome(nonconformant_report: dict[str, Any]) -> None:
    _, tree = render(nonconformant_report)
    summary = nonconformant_report["summary"]
    rows = tree.xpath('//table[@id="by-level"]/tbody/tr')
    assert len(rows) == 4
    for row, level in zip(rows, LEVELS, strict=False):
        numbers = [int(td.text_content()) for td in row.xpath("td")]
        assert numbers == [
            *(summary["by_level"][level][o] for o in OUTCOMES),
            sum(summary["by_level"][level].values()),
        ]
    totals = [int(td.text_content()) for td in rows[3].xpath("td")]
    assert totals == [*(summary["by_outcome"][o] for o in OUTCOMES), summary["results"]]


def test_requirement_table_joins_the_catalogue_in_the_report_language(
    conformant_report: dict[str, Any],
) -> None:
    _, tree = render(conformant_report, "vi")
    by_requirement = conformant_report["summary"]["by_requirement"]
    rows = tree.xpath('//table[@id="requirements-table"]/tbody/tr')
    assert [r.get("id") for r in rows] == [f"req-{req}" for req in by_requirement]
    titles = {r.get("id"): r.xpath("string(td[3])") for r in rows}
    assert titles["req-EDX-08"] == "Ngày ban hành là một ngày có thật"
    assert titles["req-EDX-20"] == "The XML signature verifies"  # no Vietnamese title: English
    edx08 = tree.get_element_by_id("req-EDX-08")
    assert edx08.xpath("string(td[4])") == "QCVN 102:2016/BTTTT, 2.2.3"
    assert edx08.xpath("string(td[5])") == "Đạt" and edx08.get("data-o") == "pass"
    assert [int(td.text_content()) for td in edx08.xpath("td[position() > 6]")] == [3, 0, 0, 0, 0]


def test_untested_requirements_are_listed_with_their_reasons(inconclusive_report: dict[str, Any]) -> None:
    _, tree = render(inconclusive_report)
    rows = tree.xpath('//section[@id="untested"]//tbody/tr')
    listed = {r.xpath("string(td[1])"): (r.xpath("string(td[2])"), r.xpath("string(td[3])")) for r in rows}
    assert listed == {
        "SB-TLS-01": ("Only TLS 1.2 or later is offered", "the target file has no TLS endpoint"),
        "EDX-12": ("The subject line is at most 500 characters", "no e-document among the subjects"),
    }
    assert tree.get_element_by_id("req-SB-TLS-01").xpath("string(td[5])") == "Untested"


def test_failed_recommended_requirements_are_warnings(nonconformant_report: dict[str, Any]) -> None:
    _, tree = render(nonconformant_report)
    (section,) = tree.xpath('//section[@id="warnings"]')
    assert section.findtext("h2") == "Warnings (1)"
    assert [li.xpath("string(.//strong)") for li in section.xpath(".//li")] == ["EDX-12"]


def test_non_passing_listing_says_passes_are_counted_not_listed(
    non_passing_report: dict[str, Any], conformant_report: dict[str, Any]
) -> None:
    page, tree = render(non_passing_report)
    note = tree.get_element_by_id("counted-not-listed").text_content()
    assert note.startswith("Passes and not-applicable results are counted, not listed")
    assert "4 of 8000 results listed" in page
    assert len(results_rows(tree)) == 4
    assert [
        int(td.text_content()) for td in tree.get_element_by_id("req-EDX-01").xpath("td[position() > 6]")
    ] == [
        1999,
        0,
        1,
        0,
        0,
    ]
    _, vi_tree = render(non_passing_report, "vi")
    assert (
        vi_tree.get_element_by_id("counted-not-listed")
        .text_content()
        .startswith("Các kết quả Đạt và Không áp dụng chỉ được đếm, không được liệt kê")
    )
    _, full = render(conformant_report)
    assert full.xpath('//*[@id="counted-not-listed"]') == []


def test_banner_shows_the_run(nonconformant_report: dict[str, Any]) -> None:
    _, tree = render({**nonconformant_report, "claims": ["edxml.signature"]}, "vi")
    banner = tree.get_element_by_id("verdict").text_content()
    for text in (
        "edxml",
        "1.0.0",
        "security-baseline",
        "0.3.0",
        "Công ty Phần mềm Ví dụ",
        "edxml.signature",
        "2025-03-01T09:03:04+07:00",
        "2025-03-01T02:03:04Z",
        "lienthong-conformance 0.1.0",
    ):
        assert text in banner
    assert tree.get_element_by_id("reproduce").text_content() == nonconformant_report["reproduce"]["command"]


def test_writer_is_registered_and_writes_report_html(
    conformant_report: dict[str, Any], tmp_path: Path
) -> None:
    (path,) = [p for p in write_reports(conformant_report, tmp_path, ["html"]) if p.suffix == ".html"]
    assert path == tmp_path / "report.html"
    assert path.read_text("utf-8") == render_html(conformant_report)
    assert not list(tmp_path.glob("*.tmp"))


def test_ten_thousand_results_render_in_linear_time(
    make_report: Callable[..., dict[str, Any]], make_result: Callable[..., dict[str, Any]]
) -> None:
    def report_of(n: int) -> dict[str, Any]:
        results = [
            make_result(
                "EDX-08",
                "fail" if i % 3 else "pass",
                f"corpus/{i:05}.edxml",
                f"bad date {i}",
                evidence={"findings": [{"message": "not a real date", "line": i, "value": "2014/02/30"}]},
            )
            for i in range(n)
        ]
        return make_report(results, listing="all")

    def seconds(report: dict[str, Any]) -> float:
        start = time.perf_counter()
        page = render_html(report)
        elapsed = time.perf_counter() - start
        assert page.count('<tr data-o="') == len(report["results"])
        return elapsed

    small, large = report_of(1000), report_of(10_000)
    seconds(small)  # warm the template cache
    ratio = seconds(large) / max(seconds(small), 1e-3)
    assert ratio < 25, f"10x the results took {ratio:.1f}x the time"
