"""The soak's bots: a separate process, no Django. JSON plan on stdin, JSON on stdout.

Acts as the one trusted proxy: every request carries the X-Forwarded-For the proxy
would append (the bot's address), or a forged chain for the spoofing bot.
"""

import collections
import json
import random
import sys
import threading
import time
import urllib.parse

from bench.signing import BenchClient, send

GOOD_IP = "10.1.0.5"
BAD_IP = "198.51.100.7"
ORDER = {"symbol": "BTCUSDT", "side": "buy", "type": "limit", "price": "65000", "quantity": "0.01"}
WITHDRAWAL_AMOUNT = "1.5"  # at least USDT's minimum withdrawal (1)


class Budget:
    """Keeps each key under the rate limit (regular bots must never see a 429)."""

    def __init__(self, per_minute: int):
        self.limit = int(per_minute * 0.8)
        self.sent = collections.defaultdict(collections.deque)
        self.lock = threading.Lock()

    def take(self, api_key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            sent = self.sent[api_key]
            while sent and sent[0] < now - 61:
                sent.popleft()
            if len(sent) >= self.limit:
                return False
            sent.append(now)
            return True


def run(plan: dict) -> dict:
    port = urllib.parse.urlsplit(plan["base_url"]).port
    deadline = time.monotonic() + plan["seconds"]
    budget = Budget(plan["rate_limit"])
    clients = {
        role: [BenchClient(plan["base_url"], key) for key in keys]
        for role, keys in plan["keys"].items()
    }
    lock = threading.Lock()
    tally = collections.Counter()
    unexpected = []
    withdrawals = {"count": 0, "amount": "0", "n": 0}
    churn_log = []

    def record(category, status, code, expected):
        with lock:
            tally[f"{category} {status} {code}".strip()] += 1
            if (status, code) not in expected and len(unexpected) < 50:
                unexpected.append([category, status, code, sorted(map(list, expected))])

    def signed(client, method, path, body=b"", xff=GOOD_IP, headers=None):
        headers = headers or client.signed_headers(method, path, body)
        return send(port, method, path, {**headers, "X-Forwarded-For": xff}, body), headers

    def pick(role):
        for _ in range(50):
            client = random.choice(clients[role])
            if budget.take(client.api_key):
                return client
            time.sleep(0.02)
        return None

    def mixed(seed: int):
        rng = random.Random(seed)
        actions = ["read", "read", "order", "withdraw", "bad_signature", "replay", "wrong_ip"]
        actions += ["spoofed_ip", "no_permission"]
        while time.monotonic() < deadline:
            action = rng.choice(actions)
            role = {"order": "trader", "withdraw": "withdrawer"}.get(action, "reader")
            client = pick(role)
            if client is None:
                continue
            if action == "read":
                (status, code, _), _h = signed(client, "GET", "/api/v1/account")
                record(action, status, code, {(200, "")})
            elif action == "order":
                body = json.dumps(ORDER).encode()
                (status, code, _), _h = signed(client, "POST", "/api/v1/orders", body)
                record(action, status, code, {(201, "")})
            elif action == "withdraw":
                body = json.dumps(
                    {"asset": "USDT", "amount": WITHDRAWAL_AMOUNT, "address": "soakaddr0001"}
                ).encode()
                (status, code, _), _h = signed(client, "POST", "/api/v1/withdrawals", body)
                record(action, status, code, {(201, "")})
                if status == 201:
                    with lock:
                        withdrawals["n"] += 1
            elif action == "bad_signature":
                headers = client.signed_headers("GET", "/api/v1/account")
                headers["X-API-SIGNATURE"] = headers["X-API-SIGNATURE"][::-1]
                (status, code, _), _h = signed(client, "GET", "/api/v1/account", headers=headers)
                record(action, status, code, {(401, "invalid_signature")})
            elif action == "replay":
                (status, code, _), headers = signed(client, "GET", "/api/v1/key")
                record("replay-original", status, code, {(200, "")})
                (status, code, _), _h = signed(client, "GET", "/api/v1/key", headers=headers)
                record(action, status, code, {(401, "replayed_request")})
            elif action == "wrong_ip":
                (status, code, _), _h = signed(client, "GET", "/api/v1/account", xff=BAD_IP)
                record(action, status, code, {(403, "ip_not_allowed")})
            elif action == "spoofed_ip":
                # The bot forges a whitelisted hop; the proxy appends the real address.
                xff = f"{GOOD_IP}, {BAD_IP}"
                (status, code, _), _h = signed(client, "GET", "/api/v1/account", xff=xff)
                record(action, status, code, {(403, "ip_not_allowed")})
            elif action == "no_permission":
                body = json.dumps(ORDER).encode()
                (status, code, _), _h = signed(client, "POST", "/api/v1/orders", body)
                record(action, status, code, {(403, "permission_denied")})
            time.sleep(plan["pause"])

    def burst():
        client = clients["burst"][0]
        while time.monotonic() < deadline:
            # The limit counts in fixed windows: a burst of limit + 30 can straddle two
            # and stay under in both. Twice the limit always overflows one; stop at the
            # first refusal, then pause and burst again.
            for _ in range(2 * plan["rate_limit"] + 30):
                if time.monotonic() >= deadline:
                    break
                (status, code, headers), _h = signed(client, "GET", "/api/v1/key")
                expected = {(200, ""), (429, "rate_limited")}
                if status == 429 and "Retry-After" not in headers:
                    expected = set()
                record("burst", status, code, expected)
                if status == 429:
                    break
            time.sleep(min(10, max(0, deadline - time.monotonic())))

    def churn():
        gone = set()
        while time.monotonic() < deadline:
            live = [c for c in clients["churn"] if c.api_key not in gone]
            if not live:
                time.sleep(0.1)
                continue
            for client in live:
                if time.monotonic() >= deadline:
                    break
                if not budget.take(client.api_key):
                    continue
                sent = time.time()
                (status, code, _), _h = signed(client, "GET", "/api/v1/key")
                churn_log.append([client.api_key, sent, time.time(), status, code])
                if status == 401:
                    gone.add(client.api_key)
                time.sleep(plan["pause"])

    threads = [threading.Thread(target=mixed, args=(n,)) for n in range(plan["mixed_threads"])]
    threads += [threading.Thread(target=burst), threading.Thread(target=churn)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "tally": dict(tally),
        "unexpected": unexpected,
        "withdrawals_201": withdrawals["n"],
        "withdrawal_amount": WITHDRAWAL_AMOUNT,
        "churn_log": churn_log,
    }


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
