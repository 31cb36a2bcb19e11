"""Issue 23 item 10: a storm of sign-ins never runs more than users.HASH_SLOTS argon2 hashes at once
(the production cost stays; pages keep a core)."""

from __future__ import annotations

import threading
import time

from workbench.lager import users


class CountingHasher:
    def __init__(self):
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def verify(self, stored, password):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
        return True

    def hash(self, password):
        return "$argon2id$falsk"


def test_concurrent_sign_ins_hash_at_most_slots(sqlite_engine, monkeypatch):
    fake = CountingHasher()
    users._dummy_hash()  # the real dummy hash first (cached), then count the storm
    monkeypatch.setattr(users, "_hasher", fake)
    threads = [threading.Thread(target=users.authenticate, args=(sqlite_engine, f"ukendt{i}", "forkert"),
                                kwargs={"demo_allowed": False}) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= fake.peak <= users.HASH_SLOTS, fake.peak
