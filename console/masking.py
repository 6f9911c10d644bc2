"""Hide contact details (email addresses, phone numbers) in text shown to roles without
``customers.view_customer_contact``."""

import re

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+?\d[\d ()-]{6,}\d")


def mask_contact(text: str) -> str:
    if not text:
        return text
    return PHONE.sub("••• (hidden)", EMAIL.sub("•••@••• (hidden)", text))
