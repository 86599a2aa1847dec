"""Proof of fidelity, part 1: the sandbox's responses validate against Intercom's OpenAPI spec.

Two layers:
- schemathesis generates requests (deterministic seed, bounded examples) for the read and search
  operations the sandbox serves, with `response_schema_conformance,not_a_server_error`;
- a scripted tour calls every served operation on real seeded objects, writes included, and
  validates each recorded response against the spec's schema for that operation and status.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import httpx
import pytest

from conftest import API_VERSION, SandboxHandle
from spec import GENERATED_OPERATIONS, assert_matches_spec, relaxed_spec_path


def test_schemathesis_generated_requests_conform(sandbox: SandboxHandle, tmp_path) -> None:
    argv = [
        sys.executable, "-m", "schemathesis.cli", "run", relaxed_spec_path(),
        "--url", sandbox.base_url,
        "-H", f"Authorization: Bearer {sandbox.token}",
        "-H", f"Intercom-Version: {API_VERSION}",
        "--checks", "response_schema_conformance,not_a_server_error",
        "--mode", "positive",
        "--phases", "examples,fuzzing",
        "--max-examples", "8",
        "--seed", "20240216",
        "--workers", "1",
        "--no-shrink",
        "--request-timeout", "10",
        "--max-failures", "25",
        "--suppress-health-check", "all",
        "--warnings", "off",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]
    for operation_id in GENERATED_OPERATIONS:
        argv += ["--include-operation-id", operation_id]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=420)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"schemathesis found spec violations:\n{output[-12000:]}"
    # Guard against a filter typo that silently selects nothing.
    assert "No operations" not in output, output[-2000:]


def first(items: list, what: str):
    assert items, f"the seeded workspace has no {what}"
    return items[0]


class Tour:
    """Calls the sandbox and validates every answer against the spec, keeping a count."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.checked = 0

    def call(self, method: str, template: str, path: str, expect: int = 200, **kwargs) -> dict:
        response = self.api.request(method, path, **kwargs)
        assert response.status_code == expect, (
            f"{method} {path}: expected {expect}, got {response.status_code}: {response.text[:1000]}"
        )
        assert_matches_spec(method, template, response)
        self.checked += 1
        return response.json() if response.content else {}


@pytest.fixture(scope="module")
def tour(api: httpx.Client) -> Tour:
    return Tour(api)


def test_workspace_reads_match_spec(tour: Tour) -> None:
    me = tour.call("GET", "/me", "/me")
    assert me["type"] == "admin"
    admins = tour.call("GET", "/admins", "/admins")["admins"]
    admin = first(admins, "admins")
    tour.call("GET", "/admins/{admin_id}", f"/admins/{admin['id']}")
    teams = tour.call("GET", "/teams", "/teams")["teams"]
    tour.call("GET", "/teams/{team_id}", f"/teams/{first(teams, 'teams')['id']}")
    tags = tour.call("GET", "/tags", "/tags")["data"]
    tour.call("GET", "/tags/{tag_id}", f"/tags/{first(tags, 'tags')['id']}")
    tour.call("GET", "/segments", "/segments")
    tour.call("GET", "/data_attributes", "/data_attributes", params={"model": "contact"})
    types = tour.call("GET", "/ticket_types", "/ticket_types")["data"]
    tour.call("GET", "/ticket_types/{ticket_type_id}", f"/ticket_types/{first(types, 'ticket types')['id']}")
    tour.call("GET", "/ticket_states", "/ticket_states")


def test_contact_operations_match_spec(tour: Tour) -> None:
    listed = tour.call("GET", "/contacts", "/contacts", params={"per_page": 5})
    contact = first(listed["data"], "contacts")
    tour.call("GET", "/contacts/{contact_id}", f"/contacts/{contact['id']}")
    tour.call("POST", "/contacts/search", "/contacts/search", json={
        "query": {"operator": "AND", "value": [
            {"field": "role", "operator": "=", "value": "user"},
            {"field": "email", "operator": "~", "value": "@"},
        ]},
        "pagination": {"per_page": 5},
    })
    email = f"spec-{uuid.uuid4().hex[:8]}@example.org"
    created = tour.call("POST", "/contacts", "/contacts", json={"role": "user", "email": email, "name": "Spec Tour"})
    cid = created["id"]
    tour.call("PUT", "/contacts/{contact_id}", f"/contacts/{cid}", json={"name": "Spec Tour Renamed"})
    tour.call("POST", "/contacts/{contact_id}/notes", f"/contacts/{cid}/notes", json={"body": "<p>spec note</p>"})
    tour.call("GET", "/contacts/{contact_id}/notes", f"/contacts/{cid}/notes")
    tag = tour.call("POST", "/tags", "/tags", json={"name": f"spec-tag-{uuid.uuid4().hex[:6]}"})
    tour.call("POST", "/contacts/{contact_id}/tags", f"/contacts/{cid}/tags", json={"id": tag["id"]})
    tour.call("GET", "/contacts/{contact_id}/tags", f"/contacts/{cid}/tags")
    tour.call("DELETE", "/contacts/{contact_id}/tags/{tag_id}", f"/contacts/{cid}/tags/{tag['id']}")
    company = tour.call("POST", "/companies", "/companies", json={"company_id": f"spec-{uuid.uuid4().hex[:8]}", "name": "Spec Co"})
    tour.call("POST", "/contacts/{contact_id}/companies", f"/contacts/{cid}/companies", json={"id": company["id"]})
    tour.call("GET", "/contacts/{contact_id}/companies", f"/contacts/{cid}/companies")
    lead = tour.call("POST", "/contacts", "/contacts", json={"role": "lead", "name": "Spec Lead"})
    tour.call("POST", "/contacts/merge", "/contacts/merge", json={"from": lead["id"], "into": cid, "skip_duplicate_validation": True})
    tour.call("POST", "/contacts/{contact_id}/archive", f"/contacts/{cid}/archive")
    tour.call("GET", "/contacts/{contact_id}", "/contacts/does-not-exist", expect=404)


def test_company_operations_match_spec(tour: Tour) -> None:
    listed = tour.call("GET", "/companies", "/companies", params={"per_page": 5})
    company = first(listed["data"], "companies")
    tour.call("GET", "/companies/{company_id}", f"/companies/{company['id']}")
    tour.call("GET", "/companies/{company_id}/contacts", f"/companies/{company['id']}/contacts")
    tour.call("POST", "/companies/list", "/companies/list", params={"per_page": 5})
    tour.call("GET", "/companies/scroll", "/companies/scroll")


def test_conversation_operations_match_spec(tour: Tour, api: httpx.Client) -> None:
    listed = tour.call("GET", "/conversations", "/conversations", params={"per_page": 5})
    seeded = first(listed["conversations"], "conversations")
    tour.call("GET", "/conversations/{conversation_id}", f"/conversations/{seeded['id']}")
    tour.call("POST", "/conversations/search", "/conversations/search", json={
        "query": {"operator": "OR", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"operator": "AND", "value": [
                {"field": "state", "operator": "=", "value": "closed"},
                {"field": "created_at", "operator": ">", "value": int(time.time()) - 90 * 86400},
            ]},
        ]},
        "pagination": {"per_page": 5},
    })
    admin_id = api.get("/me").json()["id"]
    contact = api.get("/contacts", params={"per_page": 1}).json()["data"][0]
    message = tour.call("POST", "/conversations", "/conversations", json={
        "from": {"type": contact["role"], "id": contact["id"]}, "body": "Spec tour: my invoice is wrong",
    })
    conv_id = str(message["conversation_id"])
    tour.call("POST", "/conversations/{conversation_id}/reply", f"/conversations/{conv_id}/reply", json={
        "message_type": "comment", "type": "admin", "admin_id": admin_id, "body": "Looking into it",
    })
    tour.call("POST", "/conversations/{conversation_id}/parts", f"/conversations/{conv_id}/parts", json={
        "message_type": "close", "type": "admin", "admin_id": admin_id, "body": "Fixed",
    })
    tour.call("POST", "/conversations/{conversation_id}/parts", f"/conversations/{conv_id}/parts", json={
        "message_type": "assignment", "type": "admin", "admin_id": admin_id, "assignee_id": admin_id,
    })
    tour.call("PUT", "/conversations/{conversation_id}", f"/conversations/{conv_id}", json={"read": True})
    tag_id = api.get("/tags").json()["data"][0]["id"]
    tour.call("POST", "/conversations/{conversation_id}/tags", f"/conversations/{conv_id}/tags",
              json={"id": tag_id, "admin_id": admin_id})
    tour.call("DELETE", "/conversations/{conversation_id}/tags/{tag_id}", f"/conversations/{conv_id}/tags/{tag_id}",
              json={"admin_id": admin_id})
    other = api.get("/contacts", params={"per_page": 2}).json()["data"][-1]
    tour.call("POST", "/conversations/{conversation_id}/customers", f"/conversations/{conv_id}/customers",
              json={"admin_id": admin_id, "customer": {"intercom_user_id": other["id"]}})
    customer_type = next(t for t in api.get("/ticket_types").json()["data"] if t.get("category") == "Customer")
    tour.call("POST", "/conversations/{conversation_id}/convert", f"/conversations/{conv_id}/convert",
              json={"ticket_type_id": str(customer_type["id"])})
    tour.call("GET", "/conversations/{conversation_id}", "/conversations/999999999", expect=404)


def test_conversation_from_contact_without_email_matches_spec(tour: Tour) -> None:
    """A lead with no email starts a conversation: its author email must be null, not a non-email."""
    lead = tour.call("POST", "/contacts", "/contacts", json={"role": "lead", "name": "No Email Lead"})
    message = tour.call("POST", "/conversations", "/conversations",
                        json={"from": {"type": "lead", "id": lead["id"]}, "body": "no email here"})
    conversation = tour.call("GET", "/conversations/{conversation_id}", f"/conversations/{message['conversation_id']}")
    assert conversation["source"]["author"]["id"] == lead["id"]


def test_ticket_operations_match_spec(tour: Tour, api: httpx.Client) -> None:
    ticket_type = api.get("/ticket_types").json()["data"][0]
    contact = api.get("/contacts", params={"per_page": 1}).json()["data"][0]
    ticket = tour.call("POST", "/tickets", "/tickets", json={
        "ticket_type_id": str(ticket_type["id"]),
        "contacts": [{"id": contact["id"]}],
        "ticket_attributes": {"_default_title_": "Spec tour ticket", "_default_description_": "Broken export"},
    })
    tid = ticket["id"]
    tour.call("GET", "/tickets/{ticket_id}", f"/tickets/{tid}")
    states = api.get("/ticket_states").json()["data"]
    resolved = next(s for s in states if s["category"] == "resolved")
    tour.call("PUT", "/tickets/{ticket_id}", f"/tickets/{tid}", json={"ticket_state_id": str(resolved["id"])})
    admin_id = api.get("/me").json()["id"]
    tour.call("POST", "/tickets/{ticket_id}/reply", f"/tickets/{tid}/reply", json={
        "message_type": "note", "type": "admin", "admin_id": admin_id, "body": "internal",
    })
    tag_id = api.get("/tags").json()["data"][0]["id"]
    tour.call("POST", "/tickets/{ticket_id}/tags", f"/tickets/{tid}/tags", json={"id": tag_id, "admin_id": admin_id})
    tour.call("DELETE", "/tickets/{ticket_id}/tags/{tag_id}", f"/tickets/{tid}/tags/{tag_id}", json={"admin_id": admin_id})
    tour.call("POST", "/tickets/search", "/tickets/search", json={
        "query": {"field": "open", "operator": "=", "value": True}, "pagination": {"per_page": 5},
    })


def test_article_operations_match_spec(tour: Tour, api: httpx.Client) -> None:
    listed = tour.call("GET", "/articles", "/articles")
    article = first(listed["data"], "articles")
    tour.call("GET", "/articles/{article_id}", f"/articles/{article['id']}")
    tour.call("GET", "/articles/search", "/articles/search", params={"phrase": "the"})
    author_id = int(api.get("/me").json()["id"])
    created = tour.call("POST", "/articles", "/articles", json={
        "title": "Spec tour article", "author_id": author_id, "body": "<p>hello</p>", "state": "draft",
    })
    tour.call("PUT", "/articles/{article_id}", f"/articles/{created['id']}", json={"title": "Spec tour article v2"})


def test_error_bodies_match_spec(sandbox: SandboxHandle) -> None:
    with httpx.Client(base_url=sandbox.base_url, timeout=10.0) as anonymous:
        response = anonymous.get("/me", headers={"Authorization": "Bearer wrong", "Intercom-Version": API_VERSION})
    assert response.status_code == 401
    assert response.json()["type"] == "error.list"
    assert_matches_spec("GET", "/me", response)


def test_remaining_served_operations_match_spec(tour: Tour, api: httpx.Client) -> None:
    """Every other operation the sandbox serves: away mode, segments, help centers, notes,
    external ids, unarchive, detaching, company update and the deletes."""
    admin_id = api.get("/me").json()["id"]
    tour.call("PUT", "/admins/{admin_id}/away", f"/admins/{admin_id}/away",
              json={"away_mode_enabled": True, "away_mode_reassign": False})
    tour.call("PUT", "/admins/{admin_id}/away", f"/admins/{admin_id}/away",
              json={"away_mode_enabled": False, "away_mode_reassign": False})
    segments = tour.call("GET", "/segments", "/segments")["segments"]
    tour.call("GET", "/segments/{segment_id}", f"/segments/{first(segments, 'segments')['id']}")
    centers = tour.call("GET", "/help_center/help_centers", "/help_center/help_centers")["data"]
    tour.call("GET", "/help_center/help_centers/{help_center_id}",
              f"/help_center/help_centers/{first(centers, 'help centers')['id']}")

    external_id = f"ext-{uuid.uuid4().hex[:8]}"
    contact = tour.call("POST", "/contacts", "/contacts",
                        json={"role": "user", "external_id": external_id, "email": f"{external_id}@example.org"})
    cid = contact["id"]
    tour.call("GET", "/contacts/find_by_external_id/{external_id}", f"/contacts/find_by_external_id/{external_id}")
    note = tour.call("POST", "/contacts/{contact_id}/notes", f"/contacts/{cid}/notes", json={"body": "remember"})
    tour.call("GET", "/notes/{note_id}", f"/notes/{note['id']}")
    tour.call("POST", "/contacts/{contact_id}/archive", f"/contacts/{cid}/archive")
    tour.call("POST", "/contacts/{contact_id}/unarchive", f"/contacts/{cid}/unarchive")

    company = tour.call("POST", "/companies", "/companies", json={"company_id": f"rest-{uuid.uuid4().hex[:8]}", "name": "Rest Co"})
    tour.call("PUT", "/companies/{company_id}", f"/companies/{company['id']}", json={"name": "Rest Co Renamed"})
    tour.call("POST", "/contacts/{contact_id}/companies", f"/contacts/{cid}/companies", json={"id": company["id"]})
    tour.call("DELETE", "/contacts/{contact_id}/companies/{company_id}", f"/contacts/{cid}/companies/{company['id']}")

    message = tour.call("POST", "/conversations", "/conversations",
                        json={"from": {"type": "user", "id": cid}, "body": "please detach me"})
    conv_id = str(message["conversation_id"])
    other = next(c for c in api.get("/contacts", params={"per_page": 20}).json()["data"] if c["id"] != cid)
    tour.call("POST", "/conversations/{conversation_id}/customers", f"/conversations/{conv_id}/customers",
              json={"admin_id": admin_id, "customer": {"intercom_user_id": other["id"]}})
    tour.call("DELETE", "/conversations/{conversation_id}/customers/{contact_id}",
              f"/conversations/{conv_id}/customers/{other['id']}", json={"admin_id": admin_id})

    ticket_type = api.get("/ticket_types").json()["data"][0]
    ticket = tour.call("POST", "/tickets", "/tickets", json={
        "ticket_type_id": str(ticket_type["id"]), "contacts": [{"id": cid}],
        "ticket_attributes": {"_default_title_": "to delete"},
    })
    tour.call("DELETE", "/tickets/{ticket_id}", f"/tickets/{ticket['id']}")
    article = tour.call("POST", "/articles", "/articles",
                        json={"title": "to delete", "author_id": int(admin_id), "state": "draft"})
    tour.call("DELETE", "/articles/{article_id}", f"/articles/{article['id']}")
    tag = tour.call("POST", "/tags", "/tags", json={"name": f"to-delete-{uuid.uuid4().hex[:6]}"})
    tour.call("DELETE", "/tags/{tag_id}", f"/tags/{tag['id']}")
    tour.call("DELETE", "/companies/{company_id}", f"/companies/{company['id']}")
    tour.call("DELETE", "/contacts/{contact_id}", f"/contacts/{cid}")
    tour.call("GET", "/contacts/{contact_id}", f"/contacts/{cid}", expect=404)
