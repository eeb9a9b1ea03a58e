"""Which network a request comes from: an IPv4 /24 or IPv6 /64, what one abuser controls.

A card tester rotates addresses inside the block their host or provider gives them, so limits
and alarms count per network as well as per address. Only the network is ever stored.
"""

import ipaddress

from flask import request

IPV4_PREFIX = 24
IPV6_PREFIX = 64
UNKNOWN = "unknown"


def network_of(address: str | None) -> str:
    """The address's network in CIDR notation ("203.0.113.0/24"), or "unknown"."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return UNKNOWN
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    host_bits = ip.max_prefixlen - prefix
    network = ipaddress.ip_network((int(ip) >> host_bits << host_bits, prefix))
    return str(network)


def client_network() -> str:
    """The current request's network (request.remote_addr: see PROXY_FIX_HOPS)."""
    return network_of(request.remote_addr)


def address_in(address: str | None, cidr: str) -> bool:
    """Whether an address lies in a network; False for anything unreadable."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.version == network.version and ip in network
