"""CSV imports through the API: all rows or none, every bad row reported, re-import updates."""

from __future__ import annotations

from typing import Any

import pytest

from lending.circulation import luhn_check_digit

HEADER = "barcode,kind,model,serial_number,branch,replacement_cost,imei,notes\n"


def iccid(n: int) -> str:
    body = f"890126{n:012d}"
    return body + str(luhn_check_digit(body))


async def upload(api: Any, kind: str, data: bytes | str, *, dry_run: bool = False, **kw: Any):
    body = data.encode() if isinstance(data, str) else data
    params = {"dry_run": "true"} if dry_run else {}
    return await api.client.post(
        f"/api/imports/{kind}",
        content=body,
        params=params,
        headers={**api.headers["admin"], "content-type": "text/csv"},
        **kw,
    )


async def devices(api: Any) -> dict[str, dict]:
    r = await api.client.get("/api/devices", params={"limit": 500}, headers=api.headers["admin"])
    return {d["barcode"]: d for d in r.json()["items"]}


@pytest.fixture
async def branch(api):
    r = await api.client.post(
        "/api/branches", json={"code": "MAIN", "name": "Main"}, headers=api.headers["admin"]
    )
    assert r.status_code == 201, r.text


async def test_devices_are_created_then_updated_by_barcode_and_a_dry_run_writes_nothing(
    api, branch
):
    data = (
        HEADER + "A1,hotspot,Franklin T10,S1,MAIN,120,,\nA2,Laptop,Dell 3140,S2,main,$1,199.00,,\n"
    )
    data = data.replace("$1,199.00", '"$1,199.00"')
    r = await upload(api, "devices", data, dry_run=True)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 2 and r.json()["dry_run"] is True
    assert await devices(api) == {}

    r = await upload(api, "devices", data)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["updated"], r.json()["unchanged"]) == (2, 0, 0)
    stored = await devices(api)
    assert stored["A1"]["kind"] == "hotspot" and stored["A2"]["kind"] == "laptop"
    assert stored["A2"]["replacement_cost"] == 1199.0 and stored["A2"]["status"] == "available"

    again = "barcode,kind,model,serial_number,branch\nA1,hotspot,Franklin T10,S1,MAIN\nA2,laptop,Dell 3190,S2,MAIN\n"
    r = await upload(api, "devices", again, dry_run=True)
    assert r.json()["changes"] == [
        {"line": 3, "key": "A2", "change": "updated", "columns": ["model"]}
    ]
    r = await upload(api, "devices", again)
    assert (r.json()["created"], r.json()["updated"], r.json()["unchanged"]) == (0, 1, 1)
    stored = await devices(api)
    assert stored["A2"]["model"] == "Dell 3190"
    assert stored["A2"]["replacement_cost"] == 1199.0  # a column not in the file is kept

    r = await api.client.get("/api/events", params={"subject": "A2"}, headers=api.headers["admin"])
    assert [e["details"]["change"] for e in r.json()["items"]] == ["updated", "created"]
    r = await api.client.get(
        "/api/events", params={"action": "devices_imported"}, headers=api.headers["admin"]
    )
    assert [e["details"]["updated"] for e in r.json()["items"]] == [1, 0]


async def test_any_bad_row_imports_nothing_and_every_bad_row_is_listed(api, branch, problem_code):
    data = HEADER + (
        "B1,hotspot,M,S1,MAIN,10,,\n"
        "B2,toaster,M,S2,MAIN,10,,\n"
        "B3,hotspot,M,S3,NOWHERE,10,,\n"
        "B4,hotspot,M,S4,MAIN,-5,123,\n"
        "B1,laptop,M,S5,MAIN,10,,\n"
        "B6,hotspot,M,S6,MAIN,10,,fine\n"
        "31234000012345,hotspot,M,S7,MAIN,10,,\n"
    )
    r = await upload(api, "devices", data)
    assert problem_code(r, 422) == "import_rejected"
    body = r.json()
    found = {(e["line"], e["column"]) for e in body["errors"]}
    assert found == {
        (3, "kind"),
        (4, "branch"),
        (5, "replacement_cost"),
        (5, "imei"),
        (6, "barcode"),
        (8, "barcode"),
    }
    assert "check digit" in [e["reason"] for e in body["errors"] if e["line"] == 8][0]
    assert body["error_count"] == 6 and body["errors_not_listed"] == 0
    assert "B1 is also on line 2" in [e["reason"] for e in body["errors"] if e["line"] == 6]
    assert await devices(api) == {}


HOSTILE = {
    "not utf-8": (
        "barcode,kind,model,serial_number,branch\nC1,laptop,Portátil,S,MAIN\n".encode("cp1252"),
        "not UTF-8",
    ),
    "missing column": (
        b"barcode,kind,model,branch\nC1,laptop,M,MAIN\n",
        "required column is missing",
    ),
    "unknown column": (
        b"barcode,kind,model,serial_number,branch,colour\nC1,laptop,M,S,MAIN,red\n",
        "unknown column",
    ),
    "formula": (
        b'barcode,kind,model,serial_number,branch\nC1,laptop,"=HYPERLINK(""http://evil"",""x"")",S,MAIN\n',
        "formula",
    ),
    "10 MB line": (
        b"barcode,kind,model,serial_number,branch\nC1,laptop,M,S,MAIN\nC2,laptop,"
        + b"M" * (10 * 1024 * 1024)
        + b",S,MAIN\n",
        "characters long",
    ),
    "empty": (b"", "empty"),
    "header only": (b"barcode,kind,model,serial_number,branch\n", "no rows"),
    "duplicate keys": (
        b"barcode,kind,model,serial_number,branch\nC1,laptop,M,S,MAIN\nC1,laptop,M,S,MAIN\n",
        "also on line 2",
    ),
}


async def test_hostile_files_are_refused_whole_with_a_reason(api, branch, problem_code):
    for name, (data, reason) in HOSTILE.items():
        r = await upload(api, "devices", data)
        assert problem_code(r, 422) == "import_rejected", name
        assert any(reason in e["reason"] for e in r.json()["errors"]), (name, r.json())
    assert await devices(api) == {}
    bom = "\ufeffbarcode,kind,model,serial_number,branch\nC1,laptop,Café,S,MAIN\n".encode()
    r = await upload(api, "devices", bom)
    assert r.status_code == 200, r.text
    assert (await devices(api))["C1"]["model"] == "Café"


async def test_patrons_upload_as_multipart_and_only_a_pin_column_sets_pins(api, branch):
    data = (
        "card_number,name,email,language,branch,expires_on,pin\n"
        "2000 0000 0000 48,Ana Ruiz,ana@example.org,es,MAIN,2030-01-01,4321\n"
        "P2,Ben,,en,,,\n"
    )
    r = await api.client.post(
        "/api/imports/patrons",
        files={"file": ("patrons.csv", data.encode(), "text/csv")},
        headers=api.headers["admin"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 2
    await api.login(card_number="20000000000048", pin="4321")  # normalized card, PIN set
    r = await api.client.post("/api/auth/token", json={"card_number": "P2", "pin": "0000"})
    assert r.status_code == 401
    r = await api.client.get("/api/patrons/20000000000048", headers=api.headers["desk"])
    assert r.json()["language"] == "es" and r.json()["branch"] == "MAIN"

    r = await upload(
        api, "patrons", "card_number,name,blocked,block_reason\nP2,Ben B,yes,Lost card\n"
    )
    assert r.json()["updated"] == 1
    r = await api.client.get("/api/patrons/P2", headers=api.headers["desk"])
    assert (r.json()["name"], r.json()["blocked"], r.json()["block_reason"]) == (
        "Ben B",
        True,
        "Lost card",
    )


async def test_lines_import_resolves_plans_and_devices_and_records_the_sim_move(
    api, branch, problem_code
):
    admin = api.headers["admin"]
    r = await api.client.post(
        "/api/plans",
        json={"carrier": "T-Mobile", "name": "Unlimited", "monthly_cost": 20},
        headers=admin,
    )
    plan_id = r.json()["id"]
    await upload(
        api,
        "devices",
        "barcode,kind,model,serial_number,branch\nH1,hotspot,M,S,MAIN\nH2,hotspot,M,S,MAIN\n",
    )
    data = (
        "iccid,phone_number,carrier,plan,status,device\n"
        f"{iccid(1)},(555) 010-0101,T-Mobile,unlimited,,H1\n"
        f"{iccid(2)},+15550100102,T-Mobile,{plan_id},suspended,\n"
    )
    r = await upload(api, "lines", data)
    assert r.status_code == 200, r.text
    r = await api.client.get(f"/api/lines/{iccid(1)}", headers=admin)
    line = r.json()
    assert (line["phone_number"], line["plan"], line["device"]) == ("+15550100101", plan_id, "H1")
    assert [m["to_device"] for m in line["moves"]] == ["H1"]

    moved = f"iccid,phone_number,carrier,device\n{iccid(1)},5550100101,T-Mobile,H2\n"
    r = await upload(api, "lines", moved)
    assert r.json()["changes"][0]["columns"] == ["device"]
    r = await api.client.get(f"/api/lines/{iccid(1)}", headers=admin)
    assert [(m["from_device"], m["to_device"]) for m in r.json()["moves"]] == [
        (None, "H1"),
        ("H1", "H2"),
    ]

    clash = (
        "iccid,phone_number,carrier,plan,device\n"
        f"{iccid(3)},5550100102,T-Mobile,Gold,H2\n"
        f"{iccid(4)}9,5550100104,T-Mobile,,NOPE\n"
    )
    r = await upload(api, "lines", clash)
    assert problem_code(r, 422) == "import_rejected"
    assert {(e["line"], e["column"]) for e in r.json()["errors"]} == {
        (2, "phone_number"),
        (2, "plan"),
        (2, "device"),
        (3, "iccid"),
        (3, "device"),  # checked although the row's ICCID is bad: every problem at once
    }


async def test_imports_are_for_admins_and_unknown_kinds_are_refused(api, problem_code):
    r = await api.client.post(
        "/api/imports/devices",
        content=b"barcode\n",
        headers={**api.headers["desk"], "content-type": "text/csv"},
    )
    assert problem_code(r, 403) == "forbidden"
    r = await upload(api, "toasters", b"a\n")
    assert problem_code(r, 422) == "validation_error"


async def test_a_row_with_a_bad_cell_still_has_its_references_checked_in_the_same_pass(
    api, branch, problem_code
):
    data = HEADER + (
        "D1,hotspot,M,S1,NOWHERE,10,123,\n"  # a bad IMEI and an unknown branch
        'D2,hotspot,"=cmd()",S2,ELSEWHERE,10,,\n'  # a formula and an unknown branch
        "D3,hotspot,M,S3,MAIN,10,,\n"
    )
    for dry_run in (True, False):
        r = await upload(api, "devices", data, dry_run=dry_run)
        assert problem_code(r, 422) == "import_rejected"
        found = {(e["line"], e["column"]) for e in r.json()["errors"]}
        assert found == {(2, "imei"), (2, "branch"), (3, "model"), (3, "branch")}
    assert await devices(api) == {}


async def test_a_bad_line_row_reports_its_number_and_plan_problems_together(
    api, branch, problem_code
):
    data = f"iccid,phone_number,carrier,plan\n{iccid(1)[:-1]}0,555,T-Mobile,No such plan\n"
    r = await upload(api, "lines", data)
    assert problem_code(r, 422) == "import_rejected"
    found = {(e["line"], e["column"]) for e in r.json()["errors"]}
    assert {(2, "phone_number"), (2, "plan")} <= found


async def test_the_progress_counts_every_row_of_the_file(api, branch, clock):
    from lending.services.actors import SYSTEM
    from lending.services.data.imports import import_csv

    seen: list[tuple[str, int, int]] = []
    data = HEADER + "E1,hotspot,M,S1,MAIN,10,,\nE2,hotspot,M,S2,MAIN,10,,\nE3,hotspot,M,S3,MAIN\n"
    with pytest.raises(Exception, match="Nothing was imported: 1 problem"):
        await import_csv(
            SYSTEM, clock.now, "devices", data.encode(), progress=lambda *a: seen.append(a)
        )
    assert ("checking", 3, 3) in seen
    assert all(total == 3 for stage, _, total in seen if stage == "checking")


async def test_an_acquired_date_can_be_imported_and_comes_back_in_the_export(api, branch):
    data = "barcode,kind,model,serial_number,branch,acquired_on\nF1,hotspot,M,S1,MAIN,2024-03-15\n"
    r = await upload(api, "devices", data)
    assert r.status_code == 200, r.text
    assert (await devices(api))["F1"]["acquired_on"] == "2024-03-15"
    r = await api.client.get("/api/exports/devices.csv", headers=api.headers["admin"])
    assert "acquired_on" in r.text.splitlines()[0] and "2024-03-15" in r.text
    bad = "barcode,kind,model,serial_number,branch,acquired_on\nF2,hotspot,M,S1,MAIN,March\n"
    r = await upload(api, "devices", bad)
    assert r.status_code == 422
    assert [(e["line"], e["column"]) for e in r.json()["errors"]] == [(2, "acquired_on")]
