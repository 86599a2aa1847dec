// Proof of fidelity, part 2 (Node): Intercom's official Node SDK (npm `intercom-client`) runs
// scripted scenarios against the sandbox and gets what it expects. Writes are read back; searches
// are checked against an oracle (the full conversation list, filtered here).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { IntercomClient } from "intercom-client";
import { API_VERSION, startSandbox } from "./harness.mjs";

const NOW = Math.floor(Date.now() / 1000);
const SIXTY_DAYS_AGO = NOW - 60 * 86400;
const THIRTY_DAYS_AGO = NOW - 30 * 86400;

let sandbox;
let client;

before(async () => {
  sandbox = await startSandbox();
  // The SDK sends Intercom-Version 2.14 unless told otherwise.
  client = new IntercomClient({ token: sandbox.token, baseUrl: sandbox.baseUrl, version: API_VERSION });
});

after(() => sandbox?.stop());

async function allConversations() {
  const found = [];
  let query = "per_page=150";
  for (let guard = 0; guard < 1000; guard += 1) {
    const body = await sandbox.rest("GET", `/conversations?${query}`);
    found.push(...body.conversations);
    const cursor = body.pages?.next?.starting_after;
    if (!cursor) return found;
    query = `per_page=150&starting_after=${encodeURIComponent(cursor)}`;
  }
  throw new Error("the conversation list never ended");
}

test("lists contacts across pages", async () => {
  const { total_count: total } = await sandbox.rest("GET", "/contacts?per_page=1");
  assert.ok(total >= 4, "the tiny workspace should have several contacts");
  const perPage = Math.max(1, Math.floor(total / 3));
  let page = await client.contacts.list({ per_page: perPage });
  const ids = [...page.data.map((contact) => contact.id)];
  let pages = 1;
  while (page.hasNextPage() && pages < 1000) {
    page = await page.getNextPage();
    pages += 1;
    ids.push(...page.data.map((contact) => contact.id));
  }
  assert.ok(pages >= 3, `expected several pages of ${perPage}, got ${pages}`);
  assert.equal(new Set(ids).size, ids.length, "a contact came back on two pages");
  assert.equal(ids.length, total);
});

test("searches conversations with a nested query across pages", async () => {
  const query = {
    operator: "OR",
    value: [
      { operator: "AND", value: [
        { field: "state", operator: "=", value: "open" },
        { field: "created_at", operator: ">", value: String(SIXTY_DAYS_AGO) },
      ] },
      { operator: "AND", value: [
        { field: "state", operator: "=", value: "closed" },
        { field: "updated_at", operator: ">", value: String(THIRTY_DAYS_AGO) },
      ] },
    ],
  };
  const expected = new Set((await allConversations())
    .filter((c) => (c.state === "open" && c.created_at > SIXTY_DAYS_AGO) || (c.state === "closed" && c.updated_at > THIRTY_DAYS_AGO))
    .map((c) => c.id));
  assert.ok(expected.size >= 3, "the seeded workspace should have recent open and closed conversations");
  const perPage = Math.max(1, Math.floor(expected.size / 3));
  let page = await client.conversations.search({ query, pagination: { per_page: perPage } });
  assert.equal(page.response.total_count, expected.size);
  const seen = page.data.map((c) => c.id);
  let pages = 1;
  while (page.hasNextPage() && pages < 1000) {
    page = await page.getNextPage();
    pages += 1;
    seen.push(...page.data.map((c) => c.id));
  }
  assert.ok(pages >= 3, `${expected.size} results in pages of ${perPage} should take several pages`);
  assert.equal(new Set(seen).size, seen.length, "a conversation came back on two pages");
  assert.deepEqual(new Set(seen), expected);
});

test("creates a conversation, replies to it and closes it", async () => {
  const admin = await client.admins.identify();
  const { data: [contact] } = await sandbox.rest("GET", "/contacts?per_page=1");
  const marker = `node sdk scenario ${randomUUID().slice(0, 8)}`;
  const message = await client.conversations.create({ from: { type: contact.role, id: contact.id }, body: `${marker}: refund please` });
  assert.equal(message.type, "user_message");
  const conversationId = String(message.conversation_id);

  await client.conversations.reply({
    conversation_id: conversationId,
    body: { message_type: "comment", type: "admin", admin_id: String(admin.id), body: "Refund issued" },
  });
  const closed = await client.conversations.manage({
    conversation_id: conversationId,
    body: { message_type: "close", type: "admin", admin_id: String(admin.id), body: "Done" },
  });
  assert.equal(closed.state, "closed");

  const readBack = await client.conversations.find({ conversation_id: conversationId });
  assert.equal(readBack.state, "closed");
  assert.equal(readBack.open, false);
  assert.match(readBack.source.body, new RegExp(marker));
  const parts = readBack.conversation_parts.conversation_parts;
  assert.ok(parts.some((part) => part.part_type === "comment" && /Refund issued/.test(part.body ?? "")), "the reply is not in the parts");
  assert.ok(parts.some((part) => part.part_type === "close"), "the close is not in the parts");
  assert.ok(readBack.statistics.first_admin_reply_at, "first_admin_reply_at was not set by the reply");
  assert.ok(readBack.statistics.last_close_at, "last_close_at was not set by the close");
});

test("creates and updates a ticket", async () => {
  const { data: [ticketType] } = await sandbox.rest("GET", "/ticket_types");
  const { data: [contact] } = await sandbox.rest("GET", "/contacts?per_page=1");
  const title = `Node ticket ${randomUUID().slice(0, 6)}`;
  const created = await client.tickets.create({
    ticket_type_id: String(ticketType.id),
    contacts: [{ id: contact.id }],
    ticket_attributes: { _default_title_: title },
  });
  assert.ok(created.id);
  const { data: states } = await sandbox.rest("GET", "/ticket_states");
  const inProgress = states.find((state) => state.category === "in_progress");
  assert.ok(inProgress, "the workspace has no in_progress ticket state");
  await client.tickets.update({ ticket_id: created.id, ticket_state_id: String(inProgress.id) });
  const readBack = await client.tickets.get({ ticket_id: created.id });
  assert.equal(readBack.ticket_state.id, String(inProgress.id));
  assert.equal(readBack.ticket_state.category, "in_progress");
  assert.equal(readBack.ticket_attributes._default_title_, title);
});

test("upserts a company on company_id", async () => {
  const companyId = `node-sdk-${randomUUID().slice(0, 8)}`;
  const first = await client.companies.createOrUpdate({ company_id: companyId, name: "Acme Node", monthly_spend: 50 });
  const again = await client.companies.createOrUpdate({ company_id: companyId, name: "Acme Node Renamed", monthly_spend: 75 });
  assert.equal(again.id, first.id, "a second POST with the same company_id must update, not create");
  const readBack = await client.companies.find({ company_id: first.id });
  assert.equal(readBack.name, "Acme Node Renamed");
  assert.equal(readBack.monthly_spend, 75);
  assert.equal(readBack.company_id, companyId);
});
