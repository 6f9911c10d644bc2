"""django-modeltranslation registration: translated template and type fields (en, es, fr, de)."""

from modeltranslation.translator import TranslationOptions, register

from catalogue.models import NotificationType, Template


@register(Template)
class TemplateTranslationOptions(TranslationOptions):
    fields = ("subject", "preheader", "body_text", "body_html", "link")


@register(NotificationType)
class NotificationTypeTranslationOptions(TranslationOptions):
    fields = ("name", "description")
