"""``manage.py preference_link EMAIL_OR_PHONE``: print a fresh preference-center link for the
customer(s) with that email or phone (an agent on the phone reads or sends it to them)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from customers.models import Customer
from customers.validators import normalize_phone
from preferences.links import preference_link_for, short_preference_link_for


class Command(BaseCommand):
    help = "Print a fresh preference-center link for the customer with this email address or phone number."

    def add_arguments(self, parser):
        parser.add_argument("email_or_phone")
        parser.add_argument("--short", action="store_true", help="Also print the short link for SMS")

    def handle(self, *args, email_or_phone: str, short: bool = False, **options):
        value = email_or_phone.strip()
        query = Q(email__iexact=value)
        if "@" not in value:
            try:
                query |= Q(phone=normalize_phone(value, ""))
            except ValidationError:
                query |= Q(phone=value)
        customers = list(Customer.objects.select_related("brand").filter(query).order_by("brand__name", "pk"))
        if not customers:
            raise CommandError(f"No customer with email or phone {value!r}.")
        for customer in customers:
            prefix = f"{customer.brand.name} / {customer} (#{customer.pk}): " if len(customers) > 1 else ""
            self.stdout.write(f"{prefix}{preference_link_for(customer)}")
            if short:
                self.stdout.write(f"{prefix}{short_preference_link_for(customer)}")
