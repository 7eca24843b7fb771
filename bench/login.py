"""Login: the time of one password check with the configured hasher and parameters.

python -m bench.login [--repeat 9]
"""

import argparse
import json
import time
from statistics import median

from bench.stack import Stack, machine

AIM_MS = (50, 150)
# OWASP Password Storage Cheat Sheet, Argon2id minimum: 19 MiB, 2 iterations, 1 lane.
OWASP_MIN = {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}


def run(repeat: int) -> dict:
    from django.contrib.auth.hashers import check_password, get_hasher, make_password

    hasher = get_hasher("default")
    encoded = make_password("correct horse battery staple")
    check_password("correct horse battery staple", encoded)  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert check_password("correct horse battery staple", encoded)
        times.append(time.perf_counter() - start)
    params = {
        name: getattr(hasher, name, None) for name in ("time_cost", "memory_cost", "parallelism")
    }
    return {
        "hasher": f"{type(hasher).__module__}.{type(hasher).__name__}",
        "algorithm": hasher.algorithm,
        "params": params,
        "ms": median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
        "encoded_prefix": encoded.split("$", 4)[:4],
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    with Stack("login") as stack:
        stack.configure_django()
        result = run(args.repeat)

    params = result["params"]
    strong = result["algorithm"] == "argon2" and all(
        (params[name] or 0) >= minimum for name, minimum in OWASP_MIN.items()
    )
    in_aim = AIM_MS[0] <= result["ms"] <= AIM_MS[1]
    print("== Login: one password check ==")
    print(f"machine: {machine()}")
    print(
        f"hasher {result['hasher']}: time_cost={params['time_cost']}, "
        f"memory_cost={params['memory_cost']} KiB ({params['memory_cost'] / 1024:g} MiB), "
        f"parallelism={params['parallelism']}"
    )
    print(
        f"check_password: median {result['ms']:.1f} ms (min {result['min_ms']:.1f}, max "
        f"{result['max_ms']:.1f}) of {args.repeat}; aim {AIM_MS[0]}-{AIM_MS[1]} ms: "
        f"{'met' if in_aim else 'MISSED'}; at least OWASP's Argon2id minimum "
        f"(m=19 MiB, t=2, p=1): {'yes' if strong else 'NO'}"
    )
    result["passed"] = {"aim": in_aim, "owasp": strong}
    return result


if __name__ == "__main__":
    print("BENCH-RESULT " + json.dumps(main()))
