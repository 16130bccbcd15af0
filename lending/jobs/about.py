"""What each job does, in words for the jobs page, and whether running it by hand changes
data (then the page asks first)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ABOUT", "JobAbout", "about"]


@dataclass(frozen=True)
class JobAbout:
    what: str  # one sentence: what a run does
    changes_data: bool  # True: "Run now" asks for confirmation first


ABOUT: dict[str, JobAbout] = {
    "due_soon": JobAbout("Queues a reminder to patrons whose loans are due soon.", False),
    "overdue": JobAbout("Queues overdue notices at each of the policy's overdue days.", False),
    "plan_renewals": JobAbout("Queues the digest of data plans coming up for renewal.", False),
    "auto_renew": JobAbout(
        "Renews loans due today that may be renewed, and tells the patrons.", True
    ),
    "suspend_lines": JobAbout(
        "Queues a carrier suspend for hotspots overdue past the policy's limit.", True
    ),
    "carrier_actions": JobAbout(
        "Carries out queued line suspends and restores with the carrier (or makes staff tasks).",
        True,
    ),
    "mark_lost": JobAbout(
        "Marks loans overdue past the policy's limit as lost and charges the replacement cost.",
        True,
    ),
    "expire_holds": JobAbout(
        "Ends holds not picked up in time and passes their devices to the next patron.", True
    ),
    "anonymize": JobAbout(
        "Removes the patron from loan history older than the privacy setting, and failed logins "
        "older than the lockout window. This cannot be undone.",
        True,
    ),
    "deliver_notices": JobAbout(
        "Sends the queued notices by email or SMS (or to the local outbox).", True
    ),
    "reservations": JobAbout(
        "Sets devices aside for bookings about to start (replacing an overdue or damaged one), "
        "cancels no-shows and lets go of what an event did not take.",
        True,
    ),
    "check": JobAbout(
        "Checks the data's consistency (lending check) and lists what is wrong; changes nothing.",
        False,
    ),
    "check_fix": JobAbout(
        "Checks the data's consistency and repairs what has one safe repair (lending check "
        "--fix), with an audit event for each.",
        True,
    ),
}


def about(name: str) -> JobAbout:
    return ABOUT.get(name, JobAbout("", True))
