"""Local stand-ins for cloud DNS APIs, written from each provider's public API
reference: they check every request the way the real API would and keep records in
memory; given the harness BIND, they also apply records to it by RFC 2136 so a TXT
record they accept becomes really visible in DNS."""

# The zones the fakes hold (the harness BIND serves the first two).
ZONES = ("example.com", "example.net", "sub.example.com")
# More zones than one page of a provider's zone list, so pagination is exercised.
FILLER_ZONES = tuple(f"filler-{number:02}.test" for number in range(60))
