"""One MCP scenario, run by an independent client (PyPI `mcp`) over each transport.

The checks compare tool results with the sandbox's own state read over its REST API, and a write
is read back from the sandbox, so a server that answers without doing the work fails.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from mcp import Client
from mcp.shared.exceptions import MCPError

# Tools issue 4 requires by name (the hosted server's names and ours); ALIASES are callable by
# name but not listed (folded into the tool they name, issue 17).
ALIASES = {"search_contacts": "find_contact", "get_contact": "find_contact"}
REQUIRED_TOOLS = {
    "search", "fetch", "search_conversations", "get_conversation",
    "list_companies", "get_company", "list_articles", "search_articles", "get_article", "create_article",
    "update_article", "create_conversation", "reply_to_conversation", "manage_conversation",
    "update_conversation", "tag_conversation", "convert_conversation_to_ticket", "search_tickets",
    "get_ticket", "create_ticket", "update_ticket", "reply_to_ticket", "list_ticket_types",
    "list_ticket_states", "ticket_queue", "find_contact", "create_contact", "update_contact",
    "merge_contacts", "archive_contact", "add_contact_note", "tag_contact", "attach_contact_to_company",
    "upsert_company", "list_company_contacts", "whoami", "list_admins", "list_teams", "list_tags",
    "create_tag", "list_segments", "list_data_attributes",
}

WRITE_TOOLS = {"create_conversation", "reply_to_conversation", "manage_conversation", "create_ticket", "update_ticket"}


def rendered(result: Any) -> str:
    """Everything a tool result says, structured and text, as one string to look ids up in."""
    pieces = []
    if getattr(result, "structured_content", None) is not None:
        pieces.append(json.dumps(result.structured_content))
    for block in result.content or []:
        text = getattr(block, "text", None)
        if text:
            pieces.append(text)
    return "\n".join(pieces)


async def call_ok(client: Client, tool: str, arguments: dict) -> Any:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}({arguments}) failed: {rendered(result)[:2000]}"
    return result


async def enable_toolsets(client: Client, toolsets: str) -> dict[str, Any]:
    """What a model does when the server starts a session with a few core tools (dynamic toolsets,
    the default): call enable_toolset, then read the tool list again. A list that is already whole
    (static toolsets, or a sessionless 2026-07-28 request) has no enable_toolset and stays as it is.
    Returns the tools listed afterwards."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    if "enable_toolset" not in tools:
        return tools
    enabled = await call_ok(client, "enable_toolset", {"toolset": toolsets})
    added = set((enabled.structured_content or {}).get("added_tools", []))
    after = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert added <= after.keys(), f"enable_toolset added {sorted(added - after.keys())} but tools/list lacks them"
    return after


async def check_catalogue(client: Client) -> None:
    first = {tool.name for tool in (await client.list_tools()).tools}
    if "enable_toolset" in first:
        # A dynamic session starts small, with search/fetch and the everyday tools.
        assert {"search", "fetch", "search_conversations", "get_conversation", "find_contact"} <= first, sorted(first)
        assert len(first) < len(REQUIRED_TOOLS), f"a dynamic session should start small: {sorted(first)}"
        toolsets = rendered(await call_ok(client, "list_toolsets", {}))
        for name in ("tickets", "contacts", "companies", "articles", "workspace"):
            assert name in toolsets, f"list_toolsets lacks {name}: {toolsets[:1000]}"
    tools = await enable_toolsets(client, "all")
    missing = REQUIRED_TOOLS - tools.keys()
    assert not missing, f"tools/list lacks required tools: {sorted(missing)}"
    for name, tool in tools.items():
        assert tool.description, f"{name} has no description"
        assert tool.input_schema.get("type") == "object", f"{name}'s inputSchema is not an object schema"
        hints = tool.annotations
        assert hints is not None, f"{name} has no annotations"
        if name in WRITE_TOOLS:
            assert hints.read_only_hint is not True, f"{name} writes but claims readOnlyHint"
    for name in ("whoami", "get_conversation", "find_contact", "list_teams"):
        assert tools[name].annotations.read_only_hint is True, f"{name} reads only but lacks readOnlyHint"
    for alias, tool in ALIASES.items():
        assert alias not in tools, f"the alias {alias} is listed; it should only be callable"
        assert tool in tools, f"{alias} names {tool}, which is not listed"


async def check_reads(client: Client, api: httpx.Client) -> None:
    me = api.get("/me").json()
    whoami = rendered(await call_ok(client, "whoami", {}))
    assert str(me["id"]) in whoami and me["email"] in whoami, whoami[:1000]

    contact = next(c for c in api.get("/contacts", params={"per_page": 50}).json()["data"] if c.get("email"))
    found = rendered(await call_ok(client, "find_contact", {"email": contact["email"]}))
    assert contact["id"] in found, found[:1000]
    # The hosted server's names still answer, by alias.
    by_id = await call_ok(client, "get_contact", {"id": contact["id"]})
    assert by_id.structured_content == (await call_ok(client, "find_contact", {"id": contact["id"]})).structured_content
    listed = await call_ok(client, "search_contacts", {"email": contact["email"]})
    assert [c["id"] for c in listed.structured_content["contacts"]] == [contact["id"]], rendered(listed)[:1000]

    conversation = api.get("/conversations", params={"per_page": 1}).json()["conversations"][0]
    fetched = rendered(await call_ok(client, "get_conversation", {"id": str(conversation["id"])}))
    assert str(conversation["id"]) in fetched, fetched[:1000]
    # `detail: summary` trims the structured copy; the client checks it against the output schema.
    short = await call_ok(client, "get_conversation", {"id": str(conversation["id"]), "detail": "summary"})
    assert rendered(short).count(str(conversation["id"])) >= 2, rendered(short)[:1000]
    await call_ok(client, "find_contact", {"id": contact["id"], "detail": "summary"})

    teams = api.get("/teams").json()["teams"]
    assert "list_teams" in await enable_toolsets(client, "workspace"), "list_teams is not listed"
    listed = rendered(await call_ok(client, "list_teams", {}))
    for team in teams:
        assert team["name"] in listed, f"list_teams lacks {team['name']}"


async def check_write_is_applied(client: Client, api: httpx.Client) -> None:
    conversation = api.get("/conversations", params={"per_page": 1}).json()["conversations"][0]
    conversation_id = str(conversation["id"])
    note = f"independent-client note {uuid.uuid4().hex}"
    await call_ok(client, "reply_to_conversation", {
        "id": conversation_id, "message_type": "note", "body": note,
    })
    parts = api.get(f"/conversations/{conversation_id}").json()["conversation_parts"]["conversation_parts"]
    notes = [p for p in parts if note in (p.get("body") or "")]
    assert len(notes) == 1, f"the note was not applied exactly once: {len(notes)} parts carry it"
    assert notes[0]["part_type"] == "note"


async def check_errors(client: Client) -> None:
    try:
        result = await client.call_tool("no_such_tool", {})
    except MCPError:
        pass  # a protocol error is a correct answer to an unknown tool
    else:
        assert result.is_error, "an unknown tool must fail"
    bad = await client.call_tool("get_conversation", {"id": "999999999"})
    assert bad.is_error, "a missing conversation must come back as isError"
    assert "not found" in rendered(bad).lower(), rendered(bad)
