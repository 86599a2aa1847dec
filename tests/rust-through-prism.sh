#!/usr/bin/env bash
# Proof of fidelity, part 3: the Rust client (through the real `intercom-mcp` binary) talks to the
# sandbox through Stoplight Prism's validating proxy (`prism proxy SPEC UPSTREAM --errors`), so any
# request the client sends or response the sandbox returns that breaks Intercom's OpenAPI spec
# fails this script. Runs `doctor`, then `call` of read tools and a few writes, with
# INTERCOM_API_BASE pointing at the proxy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
activate_tools
cd "$REPO_ROOT"

SPEC="${INTERCOM_OPENAPI_SPEC:-$REPO_ROOT/../shared/intercom-openapi/api.intercom.io.yaml}"
BIN="${INTERCOM_MCP_BIN:-${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/intercom-mcp}"
PRISM="$NODE_TESTS_DIR/node_modules/.bin/prism"
TOKEN="sandbox-test-token-prism"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$BIN" ] || die "$BIN does not exist: build it first (cargo build --workspace --all-features)"
[ -f "$SPEC" ] || die "the OpenAPI spec is not at $SPEC"
[ -x "$PRISM" ] || die "prism is not installed: run scripts/setup.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for NAME PID URL [HEADER...]: polls URL until it answers 200, at most 90 s.
wait_for() {
    local name="$1" pid="$2" url="$3"; shift 3
    local headers=() header
    for header in "$@"; do headers+=(-H "$header"); done
    for _ in $(seq 900); do
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.log" >&2; die "$name exited before it was ready"; }
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${headers[@]}" "$url")" = 200 ]; then return 0; fi
        sleep 0.1
    done
    cat "$WORK/$name.log" >&2
    die "$name was not ready within 90 s"
}

SANDBOX_PORT="$(free_port)"
"$BIN" sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" --scale tiny --seed 5 --token "$TOKEN" --rate-limit 100000 \
    > "$WORK/sandbox.log" 2>&1 &
PIDS+=($!)
SANDBOX="http://127.0.0.1:$SANDBOX_PORT"
AUTH="Authorization: Bearer $TOKEN"
wait_for sandbox "${PIDS[-1]}" "$SANDBOX/me" "$AUTH" "Intercom-Version: 2.16"

# Prism validates against the spec with its self-contradictions relaxed (tests/python/spec_errata.py
# prints each one), since the unrelaxed spec rejects its own examples.
RELAXED_SPEC="$WORK/intercom-openapi.json"
"$VENV_DIR/bin/python" "$REPO_ROOT/tests/python/spec_errata.py" "$SPEC" "$RELAXED_SPEC"

PRISM_PORT="$(free_port)"
"$PRISM" proxy "$RELAXED_SPEC" "$SANDBOX" --errors --host 127.0.0.1 --port "$PRISM_PORT" > "$WORK/prism.log" 2>&1 &
PIDS+=($!)
PROXY="http://127.0.0.1:$PRISM_PORT"
wait_for prism "${PIDS[-1]}" "$PROXY/me" "$AUTH" "Intercom-Version: 2.16"
log "sandbox at $SANDBOX, prism proxy at $PROXY"

# Real ids from the seeded workspace, read straight from the sandbox (an empty id makes the
# tool call that needs it fail, with the lookup's error above it).
sandbox_json() {
    curl -sS -f --max-time 10 -H "$AUTH" -H "Intercom-Version: 2.16" -H 'Content-Type: application/json' "$@"
}
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }
lookup() {
    local what="$1" expression="$2"; shift 2
    local value
    if value="$(sandbox_json "$@" | json_field "$expression")"; then
        echo "$value"
    else
        echo "could not look up $what in the sandbox" >&2
    fi
}
CONVERSATION_ID="$(lookup conversation 'd["conversations"][0]["id"]' "$SANDBOX/conversations?per_page=1")"
CONTACT_EMAIL="$(lookup contact 'next(c["email"] for c in d["data"] if c.get("email"))' "$SANDBOX/contacts?per_page=50")"
COMPANY_ID="$(lookup company 'd["data"][0]["id"]' "$SANDBOX/companies?per_page=1")"
COMPANY_EXTERNAL_ID="$(lookup "company's company_id" 'd["data"][0]["company_id"]' "$SANDBOX/companies?per_page=1")"
CONTACT_ID="$(lookup contact 'd["data"][0]["id"]' "$SANDBOX/contacts?per_page=1")"
TAG_NAME="$(lookup tag 'd["data"][0]["name"]' "$SANDBOX/tags")"
TICKET_ID="$(lookup ticket 'd["tickets"][0]["id"]' -X POST \
    -d '{"query":{"field":"open","operator":"=","value":true},"pagination":{"per_page":1}}' "$SANDBOX/tickets/search")"

export INTERCOM_API_BASE="$PROXY" INTERCOM_ACCESS_TOKEN="$TOKEN" INTERCOM_MCP_LOG=warn
unset INTERCOM_REGION

failures=0
run_client() {
    local label="$1"; shift
    if "$@" > "$WORK/out.txt" 2>&1; then
        printf '  ok    %s\n' "$label"
    else
        printf '  FAIL  %s (exit %s)\n' "$label" "$?"
        sed 's/^/        /' "$WORK/out.txt" | tail -20
        failures=$((failures + 1))
    fi
}

log "running the Rust client through the validating proxy"
run_client "doctor" "$BIN" doctor
run_client "whoami" "$BIN" call whoami '{}'
run_client "list_admins" "$BIN" call list_admins '{}'
run_client "list_teams" "$BIN" call list_teams '{}'
run_client "list_tags" "$BIN" call list_tags '{}'
run_client "list_segments" "$BIN" call list_segments '{}'
run_client "list_data_attributes" "$BIN" call list_data_attributes '{}'
run_client "search_conversations" "$BIN" call search_conversations '{"state":"open","limit":5}'
run_client "get_conversation" "$BIN" call get_conversation "{\"id\":\"$CONVERSATION_ID\"}"
run_client "find_contact" "$BIN" call find_contact "{\"email\":\"$CONTACT_EMAIL\"}"
run_client "search_contacts" "$BIN" call search_contacts "{\"email\":\"$CONTACT_EMAIL\"}"
run_client "list_companies" "$BIN" call list_companies '{"per_page":5}'
run_client "get_company" "$BIN" call get_company "{\"id\":\"$COMPANY_ID\"}"
run_client "list_companies by company_id" "$BIN" call list_companies "{\"company_id\":\"$COMPANY_EXTERNAL_ID\"}"
run_client "list_company_contacts" "$BIN" call list_company_contacts "{\"id\":\"$COMPANY_ID\"}"
run_client "get_contact" "$BIN" call get_contact "{\"id\":\"$CONTACT_ID\"}"
run_client "list_ticket_types" "$BIN" call list_ticket_types '{}'
run_client "list_ticket_states" "$BIN" call list_ticket_states '{}'
run_client "search_tickets" "$BIN" call search_tickets '{"limit":5}'
run_client "get_ticket" "$BIN" call get_ticket "{\"id\":\"$TICKET_ID\"}"
run_client "list_articles" "$BIN" call list_articles '{}'
run_client "search_articles" "$BIN" call search_articles '{"phrase":"account"}'
# Writes too: prism checks the request bodies the client sends.
run_client "create_conversation" "$BIN" call create_conversation \
    "{\"contact_email\":\"$CONTACT_EMAIL\",\"body\":\"Through prism: my export fails\"}"
run_client "reply_to_conversation" "$BIN" call reply_to_conversation \
    "{\"id\":\"$CONVERSATION_ID\",\"message_type\":\"note\",\"body\":\"checked through prism\"}"
run_client "manage_conversation" "$BIN" call manage_conversation "{\"id\":\"$CONVERSATION_ID\",\"action\":\"close\"}"
run_client "update_conversation" "$BIN" call update_conversation "{\"id\":\"$CONVERSATION_ID\",\"read\":true}"
run_client "tag_conversation" "$BIN" call tag_conversation "{\"id\":\"$CONVERSATION_ID\",\"add\":[\"$TAG_NAME\"]}"
run_client "create_contact" "$BIN" call create_contact "{\"role\":\"user\",\"email\":\"prism-$$@example.org\",\"name\":\"Prism Check\"}"
run_client "add_contact_note" "$BIN" call add_contact_note "{\"id\":\"$CONTACT_ID\",\"body\":\"checked through prism\"}"
run_client "upsert_company" "$BIN" call upsert_company "{\"company_id\":\"prism-$$\",\"name\":\"Prism Co\",\"monthly_spend\":10}"

# Prism logs each request/response violation; with --errors it also answers with an error, but a
# warning-level violation only shows in the log.
# Each violation is shown after the request line it belongs to.
violations="$(grep -E -i -B4 'violation|✖' "$WORK/prism.log" | grep -E -i 'violation|✖|Request received' || true)"
requests="$(grep -c -E 'Request received|Forwarding' "$WORK/prism.log" || true)"
log "prism saw $requests proxied requests"
if [ -n "$violations" ]; then
    echo "prism reported spec violations:"
    echo "$violations" | head -60
    failures=$((failures + 1))
fi
[ "${requests:-0}" -gt 0 ] || { echo "no request went through the proxy"; failures=$((failures + 1)); }

if [ "$failures" -ne 0 ]; then
    echo "rust-through-prism: $failures problem(s)"
    exit 1
fi
echo "rust-through-prism: every call passed through the validating proxy without a violation"
