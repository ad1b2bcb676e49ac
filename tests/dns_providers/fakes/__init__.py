"""Local stand-ins for cloud DNS APIs, written from each provider's public API
reference: they check every request the way the real API would and keep records in
memory; given the harness BIND, they also apply records to it by RFC 2136 so a TXT
record they accept becomes really visible in DNS."""
