"""The automatic answer to an inbound text is a notification now (``InboundMessage.reply``, filled
by the previous migration): the ``reply_*`` columns that duplicated its delivery go. (A migration
of its own: PostgreSQL will not alter a table with row changes still pending in the transaction.)"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0011_direct_notifications"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="inboundmessage",
            name="replied_at",
        ),
        migrations.RemoveField(
            model_name="inboundmessage",
            name="reply_error",
        ),
        migrations.RemoveField(
            model_name="inboundmessage",
            name="reply_provider_message_id",
        ),
        migrations.RemoveField(
            model_name="inboundmessage",
            name="reply_status",
        ),
        migrations.RemoveField(
            model_name="inboundmessage",
            name="reply_text",
        ),
    ]
