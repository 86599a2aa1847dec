"""Intercom's OpenAPI description, loaded once, and the list of operations the sandbox serves."""

from __future__ import annotations

import functools

import httpx
import schemathesis

from conftest import REPO_ROOT, SPEC_PATH
from spec_errata import write_relaxed_spec

RELAXED_SPEC_PATH = REPO_ROOT / "target" / "spec-errata" / "intercom-openapi.json"

# Operations that only read, with no path parameter: schemathesis may generate any input for these.
READ_OPERATIONS_WITHOUT_IDS = [
    "identifyAdmin",
    "listAdmins",
    "listTeams",
    "listTags",
    "listSegments",
    "lisDataAttributes",
    "listHelpCenters",
    "ListContacts",
    "retrieveCompany",
    "listAllCompanies",
    "listConversations",
    "listTicketTypes",
    "listTicketStates",
    "listArticles",
    "searchArticles",
]

# Read operations on one object: generated ids do not exist, so these check Intercom's 404 bodies.
READ_OPERATIONS_WITH_IDS = [
    "retrieveAdmin",
    "retrieveTeam",
    "findTag",
    "retrieveSegment",
    "retrieveHelpCenter",
    "retrieveNote",
    "ShowContact",
    "ShowContactByExternalId",
    "listNotes",
    "listTagsForAContact",
    "listCompaniesForAContact",
    "RetrieveACompanyById",
    "ListAttachedContacts",
    "retrieveConversation",
    "getTicket",
    "getTicketType",
    "retrieveArticle",
]

# Searches take a query in the body: generated queries exercise the validation rules.
SEARCH_OPERATIONS = [
    "searchConversations",
    "SearchContacts",
    "searchTickets",
]

GENERATED_OPERATIONS = READ_OPERATIONS_WITHOUT_IDS + READ_OPERATIONS_WITH_IDS + SEARCH_OPERATIONS


@functools.cache
def relaxed_spec_path() -> str:
    """Intercom's spec with only its self-contradictions relaxed (see spec_errata.py)."""
    for erratum in write_relaxed_spec(SPEC_PATH, RELAXED_SPEC_PATH):
        print(f"spec erratum: {erratum}")
    return str(RELAXED_SPEC_PATH)


@functools.cache
def intercom_schema():
    return schemathesis.openapi.from_path(relaxed_spec_path())


def assert_matches_spec(method: str, path_template: str, response: httpx.Response) -> None:
    """Fails when `response` breaks the spec's schema for that operation and status."""
    operation = intercom_schema()[path_template][method.upper()]
    try:
        operation.validate_response(response)
    except Exception as error:  # schemathesis raises a group of check failures
        raise AssertionError(
            f"{method.upper()} {response.request.url} -> {response.status_code} does not match "
            f"the spec for {operation.label}:\n{error}\nbody: {response.text[:2000]}"
        ) from None
