"""SMS content arithmetic: GSM-7 or UCS-2, characters, segments, and the estimated cost.

One character outside the GSM 03.38 alphabet switches the whole message to UCS-2. Characters of
the GSM extension table (``{}[]~|^\\€`` and form feed) take two septets. A single SMS carries 160
GSM-7 septets or 70 UCS-2 code units; a concatenated one 153 or 67 per segment (the rest is the
user data header). An escape pair or a surrogate pair is never split across segments.
"""

from dataclasses import dataclass, field
from decimal import Decimal

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class SmsStats:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # what a person counts
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of one segment at this length
    ucs2_forced_by: list = field(default_factory=list)  # the characters that forced UCS-2, in order

    def as_dict(self) -> dict:
        return {
            "encoding": self.encoding,
            "characters": self.characters,
            "units": self.units,
            "segments": self.segments,
            "per_segment": self.per_segment,
            "ucs2_forced_by": self.ucs2_forced_by,
        }


def non_gsm_characters(text: str) -> list[str]:
    """The distinct characters of ``text`` that GSM-7 cannot carry, in order of appearance."""
    seen: list[str] = []
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION and ch not in seen:
            seen.append(ch)
    return seen


def _segments(unit_sizes: list[int], single: int, multi: int) -> int:
    total = sum(unit_sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in unit_sizes:  # a character never straddles two segments
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


def sms_stats(text: str) -> SmsStats:
    forced = non_gsm_characters(text)
    if forced:
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # UTF-16 code units
        segments = _segments(sizes, UCS2_SINGLE, UCS2_MULTI)
        per = UCS2_SINGLE if segments <= 1 else UCS2_MULTI
        return SmsStats("UCS-2", len(text), sum(sizes), segments, per, forced)
    sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    segments = _segments(sizes, GSM7_SINGLE, GSM7_MULTI)
    per = GSM7_SINGLE if segments <= 1 else GSM7_MULTI
    return SmsStats("GSM-7", len(text), sum(sizes), segments, per, [])


def parse_prices(spec: str) -> dict[tuple[str, str], Decimal]:
    """``vonage:US=0.0079,vonage:*=0.05,twilio:*=0.04`` -> {("vonage", "US"): Decimal("0.0079"), ...}."""
    prices: dict[tuple[str, str], Decimal] = {}
    for item in filter(None, (part.strip() for part in (spec or "").split(","))):
        key, _, price = item.partition("=")
        provider, _, country = key.partition(":")
        prices[(provider.strip().lower(), (country.strip() or "*").upper())] = Decimal(price.strip())
    return prices


def segment_price(*, provider: str, country: str) -> Decimal | None:
    from django.conf import settings

    prices = parse_prices(settings.SMS_PRICES)
    provider, country = provider.lower(), (country or "*").upper()
    return prices.get((provider, country), prices.get((provider, "*")))


def estimated_cost(text: str, *, provider: str, country: str) -> Decimal | None:
    """Segments x the provider's per-segment price for the country (None when not in the table)."""
    price = segment_price(provider=provider, country=country)
    if price is None:
        return None
    return price * max(1, sms_stats(text).segments)
