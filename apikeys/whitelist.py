"""The IP whitelist of an API key: parsed from what a trader types, normalised to CIDR.

Accepted entries, separated by commas, spaces or new lines:

    203.0.113.7            a single IPv4 address
    2001:db8::1            a single IPv6 address
    198.51.100.0/24        a CIDR block (host bits are dropped: 198.51.100.9/24 is the /24)
    192.0.2.10-192.0.2.20  a range, both ends included (spaces around "-" are fine)

The result is the fewest CIDR blocks that admit exactly the same addresses: ranges are
split into blocks, duplicates and blocks inside other blocks are merged, neighbours are
joined. IPv4 blocks come first, each family in address order.
"""

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_SEPARATORS = re.compile(r"[\s,;]+")
# "10.0.0.1 - 10.0.0.9" is one range, not three entries.
_RANGE_DASH = re.compile(r"\s*-\s*")
# Accepted with a warning: a bot's requests reach us from a public address, so these
# only match when the bot runs next to our servers, which it does not.
_SPECIAL_NETWORKS = [
    (ipaddress.ip_network("127.0.0.0/8"), "loopback"),
    (ipaddress.ip_network("::1/128"), "loopback"),
    (ipaddress.ip_network("10.0.0.0/8"), "private"),
    (ipaddress.ip_network("172.16.0.0/12"), "private"),
    (ipaddress.ip_network("192.168.0.0/16"), "private"),
    (ipaddress.ip_network("169.254.0.0/16"), "private"),
    (ipaddress.ip_network("fc00::/7"), "private"),
    (ipaddress.ip_network("fe80::/10"), "private"),
]
# At most this many problems are listed; the rest would only bury the first ones.
_MAX_ERRORS = 5


class WhitelistError(ValueError):
    """The whitelist is refused. ``messages`` name each bad entry, fit for the form."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# IPv4 addresses in IPv6 clothing (IPv4-mapped, NAT64): one such entry would pass the
# IPv6 breadth rule while covering IPv4 addresses past the IPv4 one.
IPV4_AS_IPV6 = (ipaddress.ip_network("::ffff:0:0/96"), ipaddress.ip_network("64:ff9b::/96"))


@dataclass(frozen=True)
class IpWhitelist:
    """A normalised IP whitelist. Empty means unrestricted: any IP may use the key."""

    networks: tuple[Network, ...] = ()
    # Entries that are accepted but probably not what the trader meant.
    warnings: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls, text: str, *, max_entries: int | None = None, min_prefix: dict | None = None
    ) -> "IpWhitelist":
        """Parse and normalise ``text``, or raise WhitelistError naming the bad entries.

        ``min_prefix`` ({4: 16, 6: 32} from the settings) bounds how broad one entry may
        be: a whitelist of a few huge blocks would let a Withdraw key work from almost
        anywhere, and never expire, while looking restricted.
        """
        limit = settings.APIKEY_MAX_WHITELIST_ENTRIES if max_entries is None else max_entries
        if min_prefix is None:
            min_prefix = {
                4: settings.APIKEY_WHITELIST_MIN_PREFIX_V4,
                6: settings.APIKEY_WHITELIST_MIN_PREFIX_V6,
            }
        errors: list[str] = []
        networks: list[Network] = []
        largest_range: tuple[str, int] | None = None
        for entry in _entries(text):
            try:
                parsed = _parse_entry(entry, min_prefix)
            except ValueError as refused:
                errors.append(str(refused))
                continue
            networks.extend(parsed)
            if "-" in entry and (largest_range is None or len(parsed) > largest_range[1]):
                largest_range = (entry, len(parsed))
        if errors:
            raise WhitelistError(_capped(errors))

        normalised = _collapse(networks)
        for network in normalised:
            if network.prefixlen == 0:
                # Only where the settings allow very broad entries that together span
                # a whole family.
                raise WhitelistError(
                    [
                        f"Together these entries allow every {_family(network)} address: "
                        "that is no whitelist at all. List the addresses your bot uses."
                    ]
                )
        if len(normalised) > limit:
            message = (
                f"That is {len(normalised)} entries after merging and splitting ranges into "
                f"CIDR blocks; at most {limit} are allowed."
            )
            if largest_range and largest_range[1] > 1:
                entry, blocks = largest_range
                message += f" The range “{entry}” alone takes {blocks} blocks."
            raise WhitelistError([message])
        return cls(networks=tuple(normalised), warnings=tuple(_warnings(normalised)))

    @classmethod
    def from_blocks(cls, blocks: Iterable[str]) -> "IpWhitelist":
        """The whitelist stored on a key (already normalised CIDR strings)."""
        return cls(networks=tuple(ipaddress.ip_network(block) for block in blocks))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __len__(self) -> int:
        return len(self.networks)

    def __contains__(self, ip: str | Address) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped  # how a dual-stack socket reports IPv4 clients
        return any(address in network for network in self.networks)

    def within(self, other: "IpWhitelist") -> bool:
        """Whether every address this list admits, ``other`` admits too."""
        return all(
            any(
                mine.version == theirs.version and mine.subnet_of(theirs)
                for theirs in other.networks
            )
            for mine in self.networks
        )

    def as_blocks(self) -> list[str]:
        """CIDR strings, as ``ApiKey.ip_whitelist`` stores them."""
        return [network.with_prefixlen for network in self.networks]

    def as_text(self) -> str:
        """The list as a trader would type it: single addresses without a /32 or /128."""
        return "\n".join(display_block(network) for network in self.networks)


def display_block(block: str | Network) -> str:
    """``203.0.113.7/32`` as ``203.0.113.7``; any other block as it is."""
    network = ipaddress.ip_network(block)
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return network.with_prefixlen


def _entries(text: str) -> list[str]:
    text = _RANGE_DASH.sub("-", (text or "").strip())
    return [entry for entry in _SEPARATORS.split(text) if entry]


def _parse_entry(entry: str, min_prefix: dict) -> list[Network]:
    shown = entry if len(entry) <= 60 else entry[:57] + "…"
    if "%" in entry:
        raise ValueError(f"“{shown}”: zone indexes (%…) are not allowed in a whitelist.")
    if "-" in entry:
        blocks = _parse_range(entry, shown)
    else:
        try:
            blocks = [ipaddress.ip_network(entry, strict=False)]
        except ValueError:
            raise ValueError(
                f"“{shown}” is not an IP address, a CIDR block or a range (a-b)."
            ) from None
    broadest = min(blocks, key=lambda block: block.prefixlen)
    if broadest.prefixlen == 0:
        raise ValueError(
            f"“{shown}” allows every {_family(broadest)} address: that is no whitelist at all."
        )
    minimum = min_prefix[broadest.version]
    if broadest.prefixlen < minimum:
        size = 2 ** (broadest.max_prefixlen - minimum)
        raise ValueError(
            f"“{shown}” is too broad: one entry may cover at most a /{minimum} "
            f"({size:,} addresses). List the addresses your bot uses."
        )
    if any(block.overlaps(translated) for block in blocks for translated in IPV4_AS_IPV6):
        raise ValueError(
            f"“{shown}” is an IPv4 address written as IPv6: write the IPv4 address "
            "(like 203.0.113.7) instead."
        )
    return blocks


def _parse_range(entry: str, shown: str) -> list[Network]:
    start_text, _, end_text = entry.partition("-")
    try:
        start = ipaddress.ip_address(start_text)
        end = ipaddress.ip_address(end_text)
    except ValueError:
        raise ValueError(
            f"“{shown}” is not a range: write two addresses, like 192.0.2.10-192.0.2.20."
        ) from None
    if start.version != end.version:
        raise ValueError(f"“{shown}” mixes an IPv4 and an IPv6 address in one range.")
    if end < start:
        raise ValueError(f"“{shown}” ends before it starts: write the lower address first.")
    return list(ipaddress.summarize_address_range(start, end))


def _collapse(networks: list[Network]) -> list[Network]:
    v4 = [n for n in networks if n.version == 4]
    v6 = [n for n in networks if n.version == 6]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def _warnings(networks: list[Network]) -> list[str]:
    warnings = []
    for network in networks:
        for special, kind in _SPECIAL_NETWORKS:
            if network.version == special.version and network.overlaps(special):
                warnings.append(_warning(network, special, kind))
                break
    return warnings


def _warning(network: Network, special: Network, kind: str) -> str:
    shown = display_block(network)
    where = shown if network.subnet_of(special) else f"{shown} includes {special} which"
    if kind == "loopback":
        return f"{where} is a loopback address: requests from other machines never come from it."
    return (
        f"{where} is a private network: requests reach us from a public address, "
        "so a private one will not match."
    )


def _family(network: Network) -> str:
    return f"IPv{network.version}"


def _capped(errors: list[str]) -> list[str]:
    if len(errors) <= _MAX_ERRORS:
        return errors
    return [*errors[:_MAX_ERRORS], f"… and {len(errors) - _MAX_ERRORS} more entries like these."]
