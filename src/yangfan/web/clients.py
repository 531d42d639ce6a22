"""Who sent a request, by network address: the key of the per-address limits (logins, downloads).

X-Forwarded-For is written by whoever sends it, so it is believed only when the direct peer is one of
``settings.trusted_proxies``; then the right-most address that is not itself a trusted proxy counts, since
each proxy appends the address it saw and only the left part can have been written by the client.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from fastapi import Request

from yangfan.errors import YangfanError

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The trusted proxies' networks (a bare address is a network of one); a wrong entry is refused."""
    networks = []
    for entry in entries:
        try:
            networks.append(ip_network(entry.strip(), strict=False))
        except ValueError:
            raise YangfanError.single(
                "settings.trusted_proxies", f"YANGFAN_TRUSTED_PROXIES 中的“{entry}”不是 IP 地址或网段",
                f"YANGFAN_TRUSTED_PROXIES: '{entry}' is not an IP address or network") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    """An address as proxies write it: bare, ``1.2.3.4:port`` or ``[v6]:port``; None if it is none."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        found = ip_address(text)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:1.2.3.4) is the IPv4 client.
    return (found.ipv4_mapped or found) if isinstance(found, IPv6Address) else found


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in n for n in networks)


def client_address(request: Request) -> str:
    """The client's address: the direct peer, or behind trusted proxies the right-most untrusted
    X-Forwarded-For entry (an entry that is not an address stops the walk: the proxy before it counts)."""
    peer_text = request.client.host if request.client else ""
    peer = _address(peer_text)
    networks = trusted_networks(tuple(request.app.state.yangfan.settings.trusted_proxies))
    if peer is None or not _trusted(peer, networks):
        return str(peer) if peer is not None else (peer_text or "unknown")
    hops = [h for header in request.headers.getlist("x-forwarded-for") for h in header.split(",")]
    nearest = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        nearest = address
        if not _trusted(address, networks):
            break
    return str(nearest)
