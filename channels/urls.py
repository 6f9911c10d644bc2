"""Webhook URLs for SMS and WhatsApp providers (mounted under ``/webhooks/``)."""

from django.urls import path

from channels import webhooks_sms as views

urlpatterns = [
    path("vonage/sms/dlr/", views.vonage_sms_dlr, name="webhooks-vonage-sms-dlr"),
    path("vonage/sms/inbound/", views.vonage_sms_inbound, name="webhooks-vonage-sms-inbound"),
    path("vonage/messages/status/", views.vonage_messages_status, name="webhooks-vonage-messages-status"),
    path("vonage/messages/inbound/", views.vonage_messages_inbound, name="webhooks-vonage-messages-inbound"),
    path("twilio/status/", views.twilio_status, name="webhooks-twilio-status"),
    path("twilio/inbound/", views.twilio_inbound, name="webhooks-twilio-inbound"),
]
