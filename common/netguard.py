"""Where the server may connect on someone else's say-so (a webhook URL an admin typed, later
a calendar feed): only to public addresses, unless private ones are allowed on purpose (a
test, a demo on one machine, an intranet deployment).

Check the host when the URL is saved, and again at every connection: `public_address`
resolves the name once and returns the address to connect to. Connect to that address
itself (keeping the host name for TLS: SNI and the certificate check), so a name that
resolves to a public address at the check and to a private one a moment later (DNS
rebinding) never reaches the private one.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(ValueError):
    """The host is not one we may connect to; the message says why, for a person."""


class UnresolvableHost(OSError):
    """The host name has no address right now (may be temporary)."""


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet: not private, loopback, link-local,
    shared (carrier-grade NAT), reserved, multicast or unspecified — whichever way it is
    written (an IPv4 address inside IPv6 is judged as the IPv4 address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (a literal address is itself), in resolver order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnresolvableHost(f"{host} could not be resolved: {error}") from error
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"); the zone is no part of it.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableHost(f"{host} has no address.")
    return addresses


def public_address(host: str, port: int, *, allow_private: bool) -> IPAddress:
    """The address to connect to for `host`: its first, once every address it resolves to
    is public (one private answer among public ones refuses it: a resolver may hand out
    either). With `allow_private`, any address goes."""
    addresses = resolve(host, port)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise RefusedAddress(
                    f"{host} resolves to {address}, a private, loopback, link-local or "
                    "reserved address; only public addresses may be used."
                )
    return addresses[0]


def check_url(url: str, *, allow_private: bool) -> IPAddress:
    """A URL the server may call: https (plain http only while private hosts are allowed,
    as for a local test receiver), a host, no user name or password in it, and a host
    that resolves to public addresses. Returns the address; raises RefusedAddress or
    UnresolvableHost."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise RefusedAddress(
            "The URL must start with https://."
            if not allow_private
            else "The URL must start with https:// or http://."
        )
    if parts.username is not None or parts.password is not None:
        raise RefusedAddress("The URL must not contain a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise RefusedAddress(f"The URL's port is not valid: {error}.") from error
    if not parts.hostname:
        raise RefusedAddress("The URL must name a host.")
    return public_address(parts.hostname, port, allow_private=allow_private)
