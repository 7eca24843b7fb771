#!/bin/sh
# Sign and send one request with curl and openssl.
#   sign.sh GET /api/v1/account
#   sign.sh POST /api/v1/orders '{"symbol":"BTCUSDT","side":"buy","type":"limit","price":"65000","quantity":"0.01"}'
# HMAC-SHA256 keys: set API_SECRET. Ed25519 keys: set API_PRIVATE_KEY_FILE (PEM) instead.
# API_RECV_WINDOW (optional, ms) is sent as X-API-RECV-WINDOW and signed as sent.
set -eu
API_URL="${API_URL:-https://portal.example}"
METHOD="$1"
PATH_QUERY="$2"              # exactly as sent, query string included
BODY="${3:-}"                # the raw body; empty for GET and DELETE
RECV_WINDOW="${API_RECV_WINDOW:-}"  # signed as sent; empty when no header is sent
TIMESTAMP=$(date +%s%3N)     # Unix ms (GNU date; macOS: python3 -c 'import time; print(time.time_ns() // 10**6)')
PAYLOAD="$TIMESTAMP$API_KEY$RECV_WINDOW$METHOD$PATH_QUERY$BODY"

if [ -n "${API_PRIVATE_KEY_FILE:-}" ]; then
  # Ed25519 signs the message in one go: openssl wants it in a file, not a pipe.
  PAYLOAD_FILE=$(mktemp)
  printf '%s' "$PAYLOAD" > "$PAYLOAD_FILE"
  SIGNATURE=$(openssl pkeyutl -sign -rawin -inkey "$API_PRIVATE_KEY_FILE" -in "$PAYLOAD_FILE" \
    | base64 | tr -d '\n')
  rm -f "$PAYLOAD_FILE"
else
  SIGNATURE=$(printf '%s' "$PAYLOAD" \
    | openssl dgst -sha256 -hmac "$API_SECRET" -r | cut -d' ' -f1)
fi

if [ -n "$BODY" ]; then set -- --data-raw "$BODY" -H "Content-Type: application/json"; else set --; fi
if [ -n "$RECV_WINDOW" ]; then set -- "$@" -H "X-API-RECV-WINDOW: $RECV_WINDOW"; fi
curl -sS -X "$METHOD" "$API_URL$PATH_QUERY" \
  -H "X-API-KEY: $API_KEY" \
  -H "X-API-TIMESTAMP: $TIMESTAMP" \
  -H "X-API-SIGNATURE: $SIGNATURE" \
  "$@"
