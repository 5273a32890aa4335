"""The password hasher of the test settings."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at its smallest cost: the same algorithm and hash format (``argon2$argon2id$``),
    so that upgrades of legacy hashes at sign-in are real, without the 100 MiB and the fifth
    of a second that each hash costs at Django's defaults (every user a test creates has one)."""

    time_cost = 1
    memory_cost = 8  # KiB: Argon2's least, 8 per lane
    parallelism = 1
