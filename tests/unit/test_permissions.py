"""The permission table: who may do what, the contract's Roles line, and the README copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lending.circulation import Forbidden
from lending.circulation.permissions import (
    PERMISSIONS,
    Action,
    Role,
    allows,
    markdown_table,
    patron_change_actions,
    refusal,
    require,
)

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- permissions:start -->", "<!-- permissions:end -->"
SUPERVISOR_ONLY = {
    Action.PATRON_SET_PIN,
    Action.PATRON_UNBLOCK,
    Action.DEVICE_EDIT,
    Action.DEVICE_STATUS,
    Action.POLICY_EDIT,
    Action.BRANCH_EDIT,
    Action.LINE_MANAGE,
    Action.IMPORT,
    Action.JOB_RUN,
    Action.STAFF_MANAGE,
    Action.LABEL_PRINT,
}


def test_every_action_has_a_row_and_a_description():
    assert set(PERMISSIONS) == set(Action)
    assert all(p.description and p.roles for p in PERMISSIONS.values())


def test_an_admin_may_do_everything_but_act_as_a_resident():
    for action in Action:
        assert allows("admin", action) is (action is not Action.SELF_SERVICE)


def test_a_resident_may_only_use_self_service_and_log_out():
    assert [a for a in Action if allows("resident", a)] == [
        Action.SELF_SERVICE,
        Action.SESSION_END,
    ]


def test_desk_does_circulation_and_patrons_but_needs_a_supervisor_for_the_rest():
    for action in (Action.CHECKOUT, Action.CHECKIN, Action.RENEW, Action.HOLD_MANAGE,
                   Action.PATRON_READ, Action.PATRON_CREATE, Action.PATRON_EDIT,
                   Action.PATRON_BLOCK, Action.DEVICE_READ, Action.RECEIPT_PRINT):  # fmt: skip
        assert allows("desk", action), action
    for action in SUPERVISOR_ONLY:
        assert not allows("desk", action), action


def test_unknown_roles_may_do_nothing_and_the_server_itself_everything():
    assert not any(allows("volunteer", a) or allows("", a) for a in Action)
    assert all(allows("system", a) for a in Action)


def test_a_refusal_is_a_403_that_names_the_permission_and_who_has_it():
    with pytest.raises(Forbidden) as refused:
        require("desk", Action.PATRON_SET_PIN)
    assert refused.value.status == 403 and refused.value.code == "forbidden"
    assert refused.value.detail == refusal(Action.PATRON_SET_PIN)
    assert refused.value.detail == (
        "Only administrators may set or reset an existing patron's PIN (permission patron.set_pin)."
    )
    require("admin", Action.PATRON_SET_PIN)


@pytest.mark.parametrize(
    ("changes", "blocked_now", "actions"),
    [
        ({"phone": "1"}, False, [Action.PATRON_EDIT]),
        ({"pin": "1234"}, False, [Action.PATRON_SET_PIN]),
        ({"pin": None}, False, []),
        ({"phone": "1", "pin": "1234"}, False, [Action.PATRON_EDIT, Action.PATRON_SET_PIN]),
        ({"blocked": True, "block_reason": "x"}, False, [Action.PATRON_BLOCK]),
        ({"block_reason": "changed"}, True, [Action.PATRON_BLOCK]),
        ({"blocked": False}, True, [Action.PATRON_UNBLOCK]),
        ({"blocked": False}, False, []),
    ],
    ids=["contact", "pin", "no-pin", "contact-and-pin", "block", "reason", "unblock", "noop"],
)
def test_a_patron_change_is_the_actions_it_performs(changes, blocked_now, actions):
    assert patron_change_actions(changes, blocked_now=blocked_now) == actions


def test_the_markdown_table_has_a_column_per_role_and_a_row_per_action():
    lines = markdown_table().splitlines()
    assert lines[0] == "| Action | What it allows | admin | desk | resident | partner | kiosk |"
    assert len(lines) == 2 + len(Action)
    assert "| `patron.unblock` | Lift a patron's block | yes |  |  |  |  |" in lines
    assert all(line.count("|") == 3 + len(Role) for line in lines)


def test_the_readme_shows_the_permission_table_as_the_code_has_it():
    text = README.read_text(encoding="utf-8")
    block = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.S)
    assert block, f"README.md needs the permission table between {START} and {END}"
    assert block.group(1) == markdown_table(), (
        "README.md's permission table is out of date: paste lending.circulation.permissions"
        ".markdown_table() between the markers"
    )
