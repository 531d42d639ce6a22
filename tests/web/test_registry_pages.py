"""名录 pages over the in-process client, on the session's demo platform (its ~8,600 registry records): the public
reads recognised records only, search and filters, exports, the records behind each count on the cockpit, a
record's page, and every action with its feedback and refusals (scope, credit code, PDFs, merge, calls)."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.web.registry_builders import BAD_USCC, PDF, credit_code, entered, signed_in, unique
from yangfan.context import Yangfan
from yangfan.registry import intake
from yangfan.settings import REPO_ROOT
from yangfan.store.db import session_scope
from yangfan.store.models import RegistryAttachmentRow, RegistryRecordRow
from yangfan.web.registry_views import recounter


@pytest.fixture(scope="module")
def ministry(app: FastAPI, registry_users: dict[str, str]) -> tuple[TestClient, str]:
    return signed_in(app, registry_users["admin"])


@pytest.fixture(scope="module")
def guangdong(app: FastAPI, registry_users: dict[str, str]) -> tuple[TestClient, str]:
    return signed_in(app, registry_users["reporter"])


@pytest.fixture(scope="module")
def operator(app: FastAPI, registry_users: dict[str, str]) -> tuple[TestClient, str]:
    return signed_in(app, registry_users["operator"])


def statuses(page: str) -> set[str]:
    return set(re.findall(r'<tr data-id="\d+" data-status="(\w+)"', page))


def total(page: str) -> int:
    found = re.search(r'id="match-count"><strong>(?:共 )?([\d,]+)', page)
    assert found, page[:2000]
    return int(found[1].replace(",", ""))


def banner(page: str) -> str:
    found = re.search(r'id="result" role="status">(.*?)</p>', page, re.S)
    return html.unescape(found[1]).strip() if found else ""


def problems(page: str) -> str:
    found = re.search(r'class="rg-errors"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found[1])) if found else ""


def test_the_public_reads_recognised_records_only(client: TestClient, ministry: tuple[TestClient, str]) -> None:
    public = client.get("/registry?kind=organisation&category=supplier").text
    assert statuses(public) <= {"recognised", "withdrawn"} and "未登录时仅显示已认定" in public
    assert total(client.get("/registry?status=applied").text) == 0
    assert total(ministry[0].get("/registry?status=applied").text) > 0  # the demo's open applications
    assert "演示数据" in public and 'id="demo-note"' in public


def test_search_by_name_initials_credit_code_and_number(client: TestClient, demo: Yangfan) -> None:
    with session_scope(demo.engine) as s:
        demo_record = select(RegistryRecordRow).where(RegistryRecordRow.demo.is_(True),
                                                      RegistryRecordRow.status == "recognised")
        firm = s.scalars(demo_record.where(RegistryRecordRow.kind == "organisation")).first()
        standard = s.scalars(demo_record.where(RegistryRecordRow.kind == "standard")).first()
        assert firm is not None and standard is not None
        name, initials, code, ref, title = firm.name, firm.initials, firm.uscc, standard.ref, standard.name
    for text, wanted in ((name[2:8], name), (initials[:5], None), (code, name), (ref, title)):
        page = client.get("/registry", params={"q": text}).text
        assert total(page) >= 1, text
        if wanted:
            assert html.escape(wanted) in page, text
    assert total(client.get("/registry", params={"q": "没有这样的名称"}).text) == 0


def test_filters_narrow_the_list(client: TestClient) -> None:
    everything = total(client.get("/registry").text)
    page = client.get("/registry?kind=vpn&operator=cmcc&org_unit=440000").text
    assert 0 < total(page) < everything
    rows = re.findall(r'<tr data-id="\d+".*?</tr>', page, re.S)
    assert rows and all("中国移动" in r and "广东省" in r and "5G行业虚拟专网" in r for r in rows)
    by_year = client.get("/registry?kind=organisation&year=2024&sector=power").text
    dates = re.findall(r'<td class="nowrap">(\d{4})-\d\d-\d\d', by_year)
    assert dates and set(dates) == {"2024"}
    assert 'selected>智慧电力' in by_year  # the filters show what was chosen
    form = client.get("/registry?q=广州&kind=city&category=&sector=&org_unit=&operator=&year=&status=")
    assert form.status_code == 200 and total(form.text) == 1  # the form sends the fields left empty too


def test_exports_hold_the_current_list(client: TestClient) -> None:
    query = "kind=city&category=yangfan_key"
    listed = total(client.get(f"/registry?{query}").text)
    r = client.get(f"/registry/export.csv?{query}")
    assert r.headers["content-type"].startswith("text/csv") and r.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "名称", "类别"] and len(rows) - 1 == listed == 16  # the real 2024 key cities
    assert "广州市" in {row[1] for row in rows}
    wb = load_workbook(io.BytesIO(client.get("/registry/export.xlsx?kind=security_benchmark&lang=en").content))
    sheet = [[c.value for c in row] for row in wb.active.iter_rows()]  # type: ignore[union-attr]
    assert "demo data" in str(sheet[0][0])  # the demo note first, then the header
    assert sheet[1][:3] == ["id", "Name", "Kind"] and len(sheet) - 2 == total(
        client.get("/registry?kind=security_benchmark").text)


def test_a_count_on_the_cockpit_equals_the_records_behind_its_click(client: TestClient, demo: Yangfan) -> None:
    recounter(demo).wait()
    demo.count_registry()  # counts as of now (other tests changed records), then the analytics applies them
    demo.follow()
    cockpit = client.get("/").text
    links = re.findall(r'<a class="records" href="([^"]+)"[^>]*>([\d,]+) ', cockpit)
    assert len(links) >= 10
    suppliers = [u for u, _ in links if "indicator=solution_suppliers&amp;" in u]
    # A count is taken at its period's end: the cockpit shows the last year that has ended.
    assert suppliers and f"period={demo.today().year - 1}&amp;org_unit=100000" in suppliers[0]
    for url, shown in links:
        page = client.get(html.unescape(url)).text
        count = int(re.search(r'data-count="(\d*)"', page)[1])  # type: ignore[index]
        listed = int(re.search(r'data-listed="(\d+)"', page)[1])  # type: ignore[index]
        assert count == listed == int(shown.replace(",", "")) == total(page), url
        assert f"计数 {listed:,} 条 = 本列表 {listed:,} 条" in page
    assert "不由名录计数" in client.get("/registry?indicator=bs_5g").text


def test_a_record_page_shows_fields_history_and_attachments(client: TestClient, demo: Yangfan,
                                                            ministry: tuple[TestClient, str]) -> None:
    record, _a = entered(demo, "product", "redcap", unique("测试模组 RC-"), "440300", ref=unique("TEST/REF-"),
                         sector="industrial_internet", attach=True, attrs={"maker": "测试生产企业"})
    page = client.get(f"/registry/{record}").text
    for text in ("行业终端模组产品", "RedCap终端模组", "广东省 · 深圳市", "工业互联网", "生产企业", "测试生产企业",
                 "已认定", "证明材料.pdf", 'id="history-table"', "登记"):
        assert text in page, text
    assert 'id="actions"' in page and "未登录时仅显示" in page  # the public may not act
    assert 'id="withdraw-form"' in ministry[0].get(f"/registry/{record}").text
    assert "RedCap terminal or module" in client.get(f"/registry/{record}?lang=en").text


def test_an_operator_enters_its_own_networks_only(operator: tuple[TestClient, str]) -> None:
    c, csrf = operator
    fields = {"csrf_token": csrf, "kind": "vpn", "category": "dedicated", "name": unique("港口专网"),
              "org_unit": "440300", "operator": "cmcc", "sector": "transport", "attr_customer": "某港口集团"}
    r = c.post("/registry/new", data=fields, follow_redirects=False)
    assert r.status_code == 303 and "done=created" in r.headers["location"]
    page = c.get(r.headers["location"]).text
    assert "记录已登记，状态为“已认定”" in banner(page) and "某港口集团" in page
    refused = c.post("/registry/new", data={**fields, "name": unique("别家专网"), "operator": "ctcc"})
    assert refused.status_code == 403 and "无权登记该记录" in problems(refused.text)
    assert "请按以下提示修改后重新提交" in refused.text
    other_kind = c.get("/registry/new?kind=organisation").text  # operators enter networks and nodes only
    assert 'data-kind="vpn"' in other_kind and 'data-kind="organisation"' not in other_kind
    assert 'id="new-form"' not in other_kind


def test_a_province_enters_within_itself_and_bad_credit_codes_are_refused(guangdong: tuple[TestClient, str],
                                                                          demo: Yangfan) -> None:
    c, csrf = guangdong
    firm = {"csrf_token": csrf, "kind": "organisation", "category": "supplier", "name": unique("广州测试科技有限公司"),
            "org_unit": "440100", "uscc": credit_code()}
    outside = c.post("/registry/new", data={**firm, "org_unit": "110000"})
    assert outside.status_code == 403 and "无权" in problems(outside.text)
    bad = c.post("/registry/new", data={**firm, "uscc": BAD_USCC})
    assert bad.status_code == 400 and "校验码错误：第18位应为 T，实为 X" in problems(bad.text)
    assert f'value="{firm["name"]}"' in bad.text  # the form comes back as it was sent
    english = c.post("/registry/new?lang=en", data={**firm, "uscc": BAD_USCC})
    assert "wrong check digit: the 18th character should be T, not X" in problems(english.text)
    r = c.post("/registry/new", data=firm, follow_redirects=False)
    assert r.status_code == 303
    assert "“申报中”" in banner(c.get(r.headers["location"]).text)  # awaits the ministry
    with session_scope(demo.engine) as s:
        assert s.scalar(select(func.count()).where(RegistryRecordRow.name == firm["name"])) == 1


def test_attachments_pdf_only_and_downloaded_by_those_who_may_read(guangdong: tuple[TestClient, str],
                                                                  client: TestClient, demo: Yangfan) -> None:
    c, csrf = guangdong
    record, _a = entered(demo, "case", "typical_case", unique("附件测试案例"), "440100", status="applied")
    form = {"csrf_token": csrf, "record_id": str(record)}
    fake = c.post("/registry/attachments", data=form, files={"file": ("伪装.pdf", b"MZ not a pdf")})
    assert fake.status_code == 400 and "不是 PDF 文件" in problems(fake.text)
    r = c.post("/registry/attachments", data=form, files={"file": ("申报书.pdf", PDF)}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "附件“申报书.pdf”已上传" in banner(page)
    url = re.search(r'href="(/registry/\d+/attachments/\d+)" class="attachment-link"', page)[1]  # type: ignore[index]
    got = c.get(url)
    assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert client.get(url).status_code == 404  # an application's files are not the public's
    with session_scope(demo.engine) as s:
        a = s.scalars(select(RegistryAttachmentRow).where(RegistryAttachmentRow.record_id == record)).one()
        path = intake.attachment_path(demo.settings.attachments_dir, a)
    assert path.read_bytes() == PDF and REPO_ROOT not in path.parents  # outside the web root and the code
    assert client.get(f"/static/{path.name}").status_code == 404


def test_recognise_reject_and_withdraw_with_feedback(ministry: tuple[TestClient, str], demo: Yangfan) -> None:
    c, csrf = ministry
    first, _ = entered(demo, "case", "leader", unique("领航者测试"), "320500", status="applied")
    second, _ = entered(demo, "case", "leader", unique("领航者测试"), "320500", status="applied")
    no_reason = c.post(f"/registry/{second}/decision", data={"csrf_token": csrf, "decision": "reject"})
    assert no_reason.status_code == 400 and "驳回须说明理由" in problems(no_reason.text)
    assert 'id="decision-form"' in no_reason.text  # still undecided: the form is there to try again
    r = c.post(f"/registry/{first}/decision", data={"csrf_token": csrf, "decision": "recognise",
                                                   "valid_from": "2026-03-01"})
    assert "已认定，自 2026-03-01 起计入指标" in banner(r.text)
    r = c.post(f"/registry/{second}/decision", data={"csrf_token": csrf, "decision": "reject",
                                                    "message": "材料不全，请补充后重新申报"})
    assert "已驳回" in banner(r.text) and "材料不全" in r.text
    no_reason = c.post(f"/registry/{first}/withdraw", data={"csrf_token": csrf})
    assert no_reason.status_code == 400 and "撤销须说明理由" in problems(no_reason.text)
    r = c.post(f"/registry/{first}/withdraw", data={"csrf_token": csrf, "message": "企业注销",
                                                   "valid_to": "2026-06-30"})
    assert "已撤销认定，2026-06-30 之后不再计数" in banner(r.text) and 'data-status="withdrawn"' in r.text
    assert [a for a in re.findall(r'<tr data-action="(\w+)"', r.text)] == ["create", "recognise", "withdraw"]


def test_merge_keeps_both_histories(ministry: tuple[TestClient, str], demo: Yangfan) -> None:
    c, csrf = ministry
    code = credit_code()
    keep, _ = entered(demo, "organisation", "integrator", unique("深圳合并测试股份有限公司"), "440300", uscc=code)
    drop, _ = entered(demo, "organisation", "integrator", unique("深圳合并测试有限公司"), "440300",
                      sector="power", attach=True, uscc=credit_code())
    duplicates = c.get("/registry/duplicates?kind=organisation").text
    assert 'class="rg-pair"' in duplicates and "疑似重复记录" in duplicates
    wrong = c.post("/registry/merge", data={"csrf_token": csrf, "keep": "1", "pair": f"{keep},{drop}"})
    assert wrong.status_code == 400 and "请选择这一对记录中保留的一条" in problems(wrong.text)
    r = c.post("/registry/merge", data={"csrf_token": csrf, "keep": str(keep), "pair": f"{keep},{drop}",
                                        "message": "同一企业"})
    assert f"记录 #{drop} 已合并入本记录" in banner(r.text)
    actions = re.findall(r'<tr data-action="(\w+)">.*?</tr>', r.text, re.S)
    assert sorted(actions) == ["attach", "create", "create", "merge", "merged"]
    assert "智慧电力" in r.text and "证明材料.pdf" in r.text  # the kept record took the sector and the file
    dropped = c.get(f"/registry/{drop}").text
    assert 'data-status="merged"' in dropped and f'href="/registry/{keep}?lang=zh" id="merged-into"' in dropped
    assert c.get("/registry/duplicates").status_code == 200


def test_calls_and_an_application_with_its_pdf(ministry: tuple[TestClient, str], guangdong: tuple[TestClient, str],
                                               demo: Yangfan) -> None:
    c, csrf = ministry
    today = demo.today().isoformat()
    r = c.post("/registry/calls", data={"csrf_token": csrf, "kind": "security_benchmark", "opens": today,
                                        "title_zh": "安全标杆征集测试", "closes": today})
    assert "征集“安全标杆征集测试”已发起" in banner(r.text)
    call = re.search(r'<tr data-id="(\d+)" data-state="open">\s*<td>安全标杆征集测试', r.text)[1]  # type: ignore[index]
    bad = c.post("/registry/calls", data={"csrf_token": csrf, "kind": "nope", "title_zh": "x", "opens": today,
                                          "closes": today})
    assert bad.status_code == 400 and "未知的名录类别" in problems(bad.text)
    g, gcsrf = guangdong
    form = g.get(f"/registry/calls/{call}/apply").text
    assert 'id="apply-form"' in form and 'name="file"' in form
    fields = {"csrf_token": gcsrf, "call_id": call, "category": "benchmark", "name": unique("安全标杆申报"),
              "org_unit": "440100"}
    for sent, message in ((None, "请附上申报材料"), (("a.pdf", b"GIF89a"), "不是 PDF 文件")):
        refused = g.post("/registry/applications", data=fields, files={"file": sent} if sent else None)
        assert refused.status_code == 400 and message in problems(refused.text)
        assert f'value="{fields["name"]}"' in refused.text
    with session_scope(demo.engine) as s:  # a refused file leaves no application behind
        assert s.scalar(select(func.count()).where(RegistryRecordRow.name == fields["name"])) == 0
    r = g.post("/registry/applications", data=fields, files={"file": ("申报材料.pdf", PDF)})
    assert "申报已提交" in banner(r.text) and "申报材料.pdf" in r.text and 'data-status="applied"' in r.text
    review = c.get("/registry/review").text
    assert fields["name"] in review and "安全标杆征集测试" in review
    record = re.search(r'href="/registry/(\d+)\?lang=zh" class="record-link">' + fields["name"], review)[1]  # type: ignore[index]
    r = c.post(f"/registry/{record}/decision", data={"csrf_token": csrf, "decision": "recognise", "back": "review"})
    assert f"#{record} · 已认定" in banner(r.text) and fields["name"] not in r.text.split('id="result"')[1]


def test_ministry_pages_refuse_others(guangdong: tuple[TestClient, str], registry_users: dict[str, str],
                                      app: FastAPI, client: TestClient) -> None:
    c, _csrf = guangdong
    for path in ("/registry/review", "/registry/duplicates"):
        r = c.get(path)
        assert r.status_code == 403 and "仅工业和信息化部" in r.text
        assert client.get(path, follow_redirects=False).headers["location"] == "/login?lang=zh"
    reviewer, _ = signed_in(app, registry_users["reviewer"])
    r = reviewer.get("/registry/new")
    assert r.status_code == 403 and "不能登记名录记录" in r.text
    assert "名录" in c.get("/registry/import").text and 'src="/static/registry.js"' in c.get("/registry/import").text


def test_english_pages(client: TestClient) -> None:
    page = client.get("/registry?lang=en&kind=city").text
    assert "records match" in page and "designated cities" in page
    assert 'href="/registry?lang=en" id="registry-link" class="active">Registries' in page
    assert "Calls for applications" in client.get("/registry/calls?lang=en").text


def test_an_edit_saves_what_changed_and_shows_it_in_the_history(guangdong: tuple[TestClient, str],
                                                                demo: Yangfan) -> None:
    c, csrf = guangdong
    name = unique("编辑测试载体")
    record, _ = entered(demo, "carrier", "innovation_centre", name, "440100", status="applied")
    page = c.get(f"/registry/{record}").text
    assert 'id="edit-form"' in page and f'value="{name}"' in page and 'name="attr_operator_org"' in page
    fields = {"csrf_token": csrf, "category": "innovation_centre", "name": name, "org_unit": "440300",
              "sector": "education", "attr_operator_org": "某大学", "message": "补充运营主体"}
    r = c.post(f"/registry/{record}/edit", data=fields)
    assert "修改已保存" in banner(r.text) and "地区" in banner(r.text) and "类别字段" in banner(r.text)
    assert "广东省 · 深圳市" in r.text and "某大学" in r.text and "补充运营主体" in r.text
    assert "地区: 440100 → 440300" in html.unescape(r.text)
    unchanged = c.post(f"/registry/{record}/edit", data=fields)
    assert "没有需要保存的修改" in banner(unchanged.text)
    moved = c.post(f"/registry/{record}/edit", data={**fields, "org_unit": "110000", "name": ""})
    assert moved.status_code == 400 and 'id="edit-errors"' in moved.text and "名称不能为空" in moved.text
    assert "<details class=\"rg-card\" id=\"edit\" open>" in moved.text  # the form stays open as it was sent
