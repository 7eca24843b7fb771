from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id tuned for our 2-core servers: about 100 ms a check.

    Django's defaults (t=2, m=100 MiB, p=8) take ~190 ms here: eight lanes on two cores
    add waiting, not strength. t=2, m=64 MiB, p=2 stays well above OWASP's minimum for
    Argon2id (m=19 MiB, t=2, p=1). Measured with ``python -m bench.login``. The
    algorithm name is unchanged, so older hashes verify and are upgraded at next login.
    """

    time_cost = 2
    memory_cost = 65536  # KiB
    parallelism = 2
