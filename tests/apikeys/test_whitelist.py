"""The IP whitelist parser: what it accepts, how it normalises, what it refuses."""

import ipaddress

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from apikeys.whitelist import IpWhitelist, WhitelistError, display_block


def blocks(text, **kwargs):
    return IpWhitelist.parse(text, **kwargs).as_blocks()


def refusal(text, **kwargs) -> str:
    with pytest.raises(WhitelistError) as refused:
        IpWhitelist.parse(text, **kwargs)
    return " ".join(refused.value.messages)


# --- What it accepts --------------------------------------------------------------


def test_empty_input_is_an_empty_whitelist():
    assert blocks("") == []
    assert blocks("  \n , ") == []
    assert not IpWhitelist.parse("")


def test_single_ipv4_and_ipv6_addresses_become_host_blocks():
    assert blocks("203.0.113.7 2001:db8::1") == ["203.0.113.7/32", "2001:db8::1/128"]


def test_cidr_blocks_drop_host_bits():
    assert blocks("198.51.100.9/24") == ["198.51.100.0/24"]
    assert blocks("2001:db8:0:1::5/64") == ["2001:db8:0:1::/64"]


def test_entries_may_be_separated_by_commas_spaces_and_new_lines():
    text = "203.0.113.1,203.0.113.3\n203.0.113.5 \t 203.0.113.7;203.0.113.9"
    assert len(blocks(text)) == 5


def test_range_becomes_the_fewest_cidr_blocks():
    assert blocks("192.0.2.0-192.0.2.255") == ["192.0.2.0/24"]
    assert blocks("192.0.2.10-192.0.2.20") == [
        "192.0.2.10/31",
        "192.0.2.12/30",
        "192.0.2.16/30",
        "192.0.2.20/32",
    ]


def test_range_with_spaces_around_the_dash_is_one_range():
    assert blocks("192.0.2.0 - 192.0.2.3") == ["192.0.2.0/30"]


def test_ipv6_range():
    assert blocks("2001:db8::-2001:db8::ff") == ["2001:db8::/120"]


def test_duplicates_and_covered_entries_are_merged():
    text = "198.51.100.7, 198.51.100.7, 198.51.100.0/24, 198.51.100.20-198.51.100.30"
    assert blocks(text) == ["198.51.100.0/24"]


def test_neighbours_are_joined_into_one_block():
    assert blocks("198.51.100.0/25 198.51.100.128/25") == ["198.51.100.0/24"]


def test_ipv4_comes_before_ipv6_each_in_address_order():
    text = "2001:db8::2 203.0.113.9 2001:db8::1:0 198.51.100.1"
    assert blocks(text) == [
        "198.51.100.1/32",
        "203.0.113.9/32",
        "2001:db8::2/128",
        "2001:db8::1:0/128",
    ]


def test_text_shows_single_addresses_without_prefix():
    whitelist = IpWhitelist.parse("203.0.113.7, 198.51.100.0/24, 2001:db8::1")
    assert whitelist.as_text() == "198.51.100.0/24\n203.0.113.7\n2001:db8::1"
    assert display_block("203.0.113.7/32") == "203.0.113.7"


def test_membership():
    whitelist = IpWhitelist.parse("198.51.100.0/24")
    assert "198.51.100.42" in whitelist
    assert "198.51.101.1" not in whitelist
    assert "not an ip" not in whitelist


def test_thirty_entries_are_allowed(settings):
    settings.APIKEY_MAX_WHITELIST_ENTRIES = 30
    text = ",".join(f"203.0.113.{i}" for i in range(0, 60, 2))
    assert len(blocks(text)) == 30


def test_more_entries_before_merging_are_fine_when_they_merge_below_the_limit():
    text = " ".join(f"203.0.113.{i}" for i in range(256))
    assert blocks(text) == ["203.0.113.0/24"]


# --- What it refuses, naming the entry --------------------------------------------


@pytest.mark.parametrize(
    "entry",
    ["203.0.113.256", "example.com", "203.0.113.7/33", "2001:db8::g", "1.2.3", "-", "1.2.3.4-"],
)
def test_unparsable_entry_is_refused_by_name(entry):
    message = refusal(f"203.0.113.1, {entry}")
    assert f"“{entry}”" in message


def test_every_bad_entry_is_named():
    message = refusal("nope, 203.0.113.1, bad")
    assert "“nope”" in message and "“bad”" in message


def test_reversed_range_is_refused():
    assert "ends before it starts" in refusal("192.0.2.20-192.0.2.10")


def test_range_mixing_ipv4_and_ipv6_is_refused():
    assert "mixes an IPv4 and an IPv6" in refusal("192.0.2.1-2001:db8::1")


@pytest.mark.parametrize("entry", ["0.0.0.0/0", "::/0", "10.1.2.3/0"])
def test_block_covering_everything_is_refused(entry):
    assert "every IPv" in refusal(entry)


@pytest.mark.parametrize(
    "entry", ["0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
)
def test_range_covering_everything_is_refused(entry):
    assert "every IPv" in refusal(entry)


@pytest.mark.parametrize(
    "entry",
    ["0.0.0.0/1", "8.0.0.0/8", "0.0.0.0-255.255.255.191", "203.0.0.0-203.2.0.0", "2001::/16"],
)
def test_an_entry_broader_than_the_minimum_prefix_is_refused_by_name(entry):
    # A few huge blocks would make a Withdraw key work from almost anywhere, forever.
    message = refusal(entry)
    assert f"“{entry}” is too broad" in message


def test_the_broadest_allowed_entries_are_accepted():
    assert blocks("198.51.0.0/16, 2001:db8::/32") == ["198.51.0.0/16", "2001:db8::/32"]


def test_the_minimum_prefix_comes_from_the_settings(settings):
    settings.APIKEY_WHITELIST_MIN_PREFIX_V4 = 24
    assert "at most a /24" in refusal("198.51.100.0/23")


def test_more_than_thirty_entries_after_normalisation_are_refused(settings):
    settings.APIKEY_MAX_WHITELIST_ENTRIES = 30
    text = ",".join(f"203.0.113.{i}" for i in range(0, 62, 2))
    assert "31 entries" in refusal(text)


def test_the_limit_comes_from_the_setting(settings):
    settings.APIKEY_MAX_WHITELIST_ENTRIES = 2
    assert "at most 2" in refusal("203.0.113.1 203.0.113.3 203.0.113.5")


def test_limit_message_names_the_range_that_splits_into_many_blocks(settings):
    settings.APIKEY_MAX_WHITELIST_ENTRIES = 30
    # 198.51.0.1-198.53.255.254 is 33 blocks, none broader than a /16.
    text = "198.51.0.1-198.53.255.254"
    assert "“198.51.0.1-198.53.255.254” alone takes 33 blocks" in refusal(text)


def test_zone_index_is_refused():
    assert "zone" in refusal("fe80::1%eth0")


def test_long_garbage_is_named_shortened():
    message = refusal("x" * 200)
    assert "x" * 57 + "…" in message and "x" * 58 not in message


# --- Warnings (accepted) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.0/16", "private"),
        ("192.168.1.0/24", "private"),
        ("fd00::/32", "private"),
        ("fe80::1", "private"),
    ],
)
def test_private_and_loopback_entries_are_accepted_with_a_warning(entry, kind):
    whitelist = IpWhitelist.parse(entry)
    assert whitelist.as_blocks()
    assert len(whitelist.warnings) == 1 and kind in whitelist.warnings[0]


def test_block_that_includes_a_private_network_warns_about_it():
    (warning,) = IpWhitelist.parse("10.0.0.0/7", min_prefix={4: 1, 6: 1}).warnings
    assert "10.0.0.0/7 includes 10.0.0.0/8" in warning


def test_public_addresses_raise_no_warning():
    assert IpWhitelist.parse("203.0.113.7, 8.8.8.8, 2001:4860::/32").warnings == ()


# --- Property: the normalised list admits exactly what the input admits -----------


def v4_addresses():
    return st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)


def v6_addresses():
    return st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address)


def entries(addresses, max_prefix):
    single = addresses.map(str)
    block = st.tuples(addresses, st.integers(1, max_prefix)).map(lambda t: f"{t[0]}/{t[1]}")
    span = st.tuples(addresses, addresses).map(lambda t: f"{min(t)}-{max(t)}")
    return st.one_of(single, block, span)


def intervals(networks) -> list[tuple[int, int, int]]:
    """The merged (version, first, last) address intervals of ``networks``."""
    spans = sorted((n.version, int(n.network_address), int(n.broadcast_address)) for n in networks)
    merged: list[list[int]] = []
    for version, first, last in spans:
        if merged and merged[-1][0] == version and first <= merged[-1][2] + 1:
            merged[-1][2] = max(merged[-1][2], last)
        else:
            merged.append([version, first, last])
    return [tuple(span) for span in merged]


def input_networks(entry: str):
    if "-" in entry:
        first, last = (ipaddress.ip_address(part) for part in entry.split("-"))
        return list(ipaddress.summarize_address_range(first, last))
    return [ipaddress.ip_network(entry, strict=False)]


# The properties hold for any block size; the product's breadth limits are tested above.
ANY_SIZE = {"max_entries": 10_000, "min_prefix": {4: 1, 6: 1}}

whitelist_texts = st.lists(
    st.one_of(entries(v4_addresses(), 32), entries(v6_addresses(), 128)), min_size=1, max_size=12
)
separators = st.sampled_from([",", " ", "\n", ", ", " ,\n"])


@settings(max_examples=300, deadline=None)
@given(
    whitelist_texts, separators, st.lists(st.one_of(v4_addresses(), v6_addresses()), max_size=20)
)
def test_normalised_list_admits_exactly_the_addresses_of_the_input(entries_, separator, probes):
    try:
        whitelist = IpWhitelist.parse(separator.join(entries_), **ANY_SIZE)
    except WhitelistError:
        # Only refusal left for valid entries: a /0 block or range.
        assume(False)
    given_networks = [n for entry in entries_ for n in input_networks(entry)]

    # Exactly the same set of addresses, compared as intervals...
    assert intervals(whitelist.networks) == intervals(given_networks)
    # ...and probed at the edges of every entry and at random.
    edges = [a for n in given_networks for a in (n.network_address, n.broadcast_address)]
    for address in [*edges, *probes]:
        expected = any(address in n for n in given_networks)
        assert (address in whitelist) == expected


@settings(max_examples=200, deadline=None)
@given(whitelist_texts)
def test_normalised_list_is_minimal_and_stable(entries_):
    try:
        whitelist = IpWhitelist.parse(",".join(entries_), **ANY_SIZE)
    except WhitelistError:
        assume(False)
    networks = list(whitelist.networks)
    # No block lies inside another or could join its neighbour: collapsing changes nothing.
    v4 = [n for n in networks if n.version == 4]
    v6 = [n for n in networks if n.version == 6]
    assert [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)] == networks
    # Parsing the shown text again gives the same list.
    assert IpWhitelist.parse(whitelist.as_text(), **ANY_SIZE) == IpWhitelist(
        networks=whitelist.networks, warnings=whitelist.warnings
    )


@pytest.mark.parametrize(
    "entry", ["::ffff:0.0.0.0/96", "::ffff:203.0.113.7", "64:ff9b::/96", "64:ff9b::cb00:7107"]
)
def test_ipv4_written_as_ipv6_is_refused_with_a_hint(entry):
    # One such entry would cover every IPv4 address past the IPv4 /16 rule.
    with pytest.raises(WhitelistError) as refused:
        IpWhitelist.parse(entry)
    assert "write the IPv4 address" in str(refused.value)


def test_a_client_seen_as_an_ipv4_mapped_address_matches_its_ipv4_entry():
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
    whitelist = IpWhitelist.parse("203.0.113.7")
    assert "::ffff:203.0.113.7" in whitelist
    assert "::ffff:203.0.113.8" not in whitelist
