"""The daily digest's own templates (email, SMS, WhatsApp, push in en, es, fr, de): one message
listing the updates that were held for it. Installed as ``Template`` rows of the ``daily_digest``
type the first time a digest is built, so merchants can edit them like any other template.

Context: ``brand``, ``customer``, ``links`` and ``digest`` = {count, day_display, items: [{title, text,
link}]} where each item's title and text are the held notification's own push copy."""

DIGEST_TYPE_KEY = "daily_digest"
DIGEST_TYPE_NAME = "Daily digest"

_ITEMS_TEXT = "{% for item in digest.items %}\n- {{ item.title }}: {{ item.text }}{% endfor %}"
_ITEMS_HTML = ('<ul>{% for item in digest.items %}<li><strong>{{ item.title }}</strong><br>{{ item.text }}'
               '{% if item.link %} <a href="{{ item.link }}">{{ item.link_label }}</a>{% endif %}</li>{% endfor %}</ul>')
_TITLES = "{% for item in digest.items %}{{ item.title }}{% if not forloop.last %}; {% endif %}{% endfor %}"

_COPY = {
    "en": {
        "subject": "Your updates from {{ brand.name }} ({{ digest.count }})",
        "hello": 'Hi {{ customer.first_name|default:"there" }},',
        "intro": "Here is what happened with your orders on {{ digest.day_display }}:",
        "outro": "You get these updates once a day because you chose a daily digest.",
        "manage": "Change how we keep you updated",
        "short": "{{ brand.name }}: {{ digest.count }} updates. ",
        "push_title": "{{ digest.count }} updates from {{ brand.name }}",
    },
    "es": {
        "subject": "Tus novedades de {{ brand.name }} ({{ digest.count }})",
        "hello": '¡Hola, {{ customer.first_name|default:"qué tal" }}!',
        "intro": "Esto es lo que pasó con tus pedidos el {{ digest.day_display }}:",
        "outro": "Recibes estas novedades una vez al día porque elegiste un resumen diario.",
        "manage": "Cambiar cómo te mantenemos al día",
        "short": "{{ brand.name }}: {{ digest.count }} novedades. ",
        "push_title": "{{ digest.count }} novedades de {{ brand.name }}",
    },
    "fr": {
        "subject": "Vos nouvelles de {{ brand.name }} ({{ digest.count }})",
        "hello": 'Bonjour {{ customer.first_name|default:"" }},',
        "intro": "Voici ce qui s'est passé avec vos commandes le {{ digest.day_display }} :",
        "outro": "Vous recevez ces nouvelles une fois par jour, car vous avez choisi un récapitulatif quotidien.",
        "manage": "Modifier la façon dont nous vous informons",
        "short": "{{ brand.name }} : {{ digest.count }} nouvelles. ",
        "push_title": "{{ digest.count }} nouvelles de {{ brand.name }}",
    },
    "de": {
        "subject": "Ihre Neuigkeiten von {{ brand.name }} ({{ digest.count }})",
        "hello": 'Hallo {{ customer.first_name|default:"" }},',
        "intro": "Das ist am {{ digest.day_display }} mit Ihren Bestellungen passiert:",
        "outro": "Sie erhalten diese Neuigkeiten einmal am Tag, weil Sie eine tägliche Zusammenfassung gewählt haben.",
        "manage": "Ändern, wie wir Sie informieren",
        "short": "{{ brand.name }}: {{ digest.count }} Neuigkeiten. ",
        "push_title": "{{ digest.count }} Neuigkeiten von {{ brand.name }}",
    },
}


def _build() -> dict:
    templates = {"email": {}, "sms": {}, "whatsapp": {}, "push": {}}
    for language, c in _COPY.items():
        templates["email"][language] = {
            "subject": c["subject"],
            "preheader": c["intro"],
            "body_text": f'{c["hello"]}\n\n{c["intro"]}\n{_ITEMS_TEXT}\n\n{c["outro"]}\n{c["manage"]}: {{{{ links.preferences }}}}',
            "body_html": (f'<p>{c["hello"]}</p><p>{c["intro"]}</p>{_ITEMS_HTML}<p>{c["outro"]}</p>'
                          f'<p><a href="{{{{ links.preferences }}}}">{c["manage"]}</a></p>'),
        }
        templates["sms"][language] = {"body_text": c["short"] + _TITLES}
        templates["whatsapp"][language] = {"body_text": f'{c["short"]}{_ITEMS_TEXT}'}
        templates["push"][language] = {"subject": c["push_title"], "body_text": _TITLES,
                                       "link": "{{ links.preferences }}"}
    return templates


DIGEST_TEMPLATES = _build()
