from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = "Channels & providers"

    def ready(self):
        # Email: provider webhooks (anymail's tracking signal) and a startup check that the chosen
        # ESP has its required settings (anymail names the missing one).
        from channels import webhooks_email
        from channels.email import check_email_configuration

        webhooks_email.connect()
        check_email_configuration()
        # SMS: every provider SMS_ROUTES (or SMS_PROVIDER / WHATSAPP_PROVIDER) names must be configured.
        from channels.routing import check_providers

        check_providers()
