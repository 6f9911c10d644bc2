"""The message templates Waypost ships with: for every notification type, the copy for email, SMS,
WhatsApp and push in English, Spanish, French and German, as Django template source.

``ensure_catalogue()`` copies ``DEFAULT_TEMPLATES`` into ``Template`` rows once; merchants then
edit those rows. The copy below is written per type and language; ``_build()`` turns it into
``{type_key: {channel: {language: {field: source}}}}``, adding the parts every email shares
(greeting, tracking button, order summary, return code, help line, sign-off).

To keep the copy readable, ``$name`` placeholders stand for the template variables in ``VARS``
(``$order`` is ``{{ order.number }}``); ``{% if %}`` tags are written out. Each type may use only
the variables its snapshot carries (``catalogue.context_parts``), money and dates only through
their ``*_display`` values, and optional values only inside ``{% if %}``.
"""
from string import Template as _Placeholders

LANGUAGES = ("en", "es", "fr", "de")

VARS = {
    "brand": "{{ brand.name }}",
    "support": "{{ brand.support_url }}",
    "order": "{{ order.number }}",
    "placed": "{{ order.placed_at_display }}",
    "total": "{{ order.total_display }}",
    "carrier": "{{ shipment.carrier_name }}",
    "tracking": "{{ shipment.tracking_url }}",
    "tracking_number": "{{ shipment.tracking_number }}",
    "eta": "{{ shipment.estimated_delivery_display }}",
    "reschedule": "{{ links.reschedule }}",
    "item": "{{ line.name }}",
    "product": "{{ product.name }}",
    "price": "{{ product.price_display }}",
    "restock": "{{ product.restock_eta_display }}",
    "code": "{{ return.code }}",
    "label": "{{ return.label_url }}",
    "return_tracking": "{{ return.return_tracking_number }}",
    "estimate": "{{ return.refund_estimate_display }}",
    "refund": "{{ return.refund_amount_display }}",
    "reason": "{{ return.rejection_reason }}",
}

# Where a push notification opens: the carrier's tracking page, the return label, or help.
TRACKING_LINK = "{{ shipment.tracking_url|default:brand.support_url }}"
LABEL_LINK = "{{ return.label_url|default:brand.support_url }}"
SUPPORT_LINK = "{{ brand.support_url }}"

# --- what every email shares, per language ------------------------------------------------------

EMAIL_PARTS = {
    "en": {
        "greeting": 'Hi {{ customer.first_name|default:"there" }},',
        "colon": ": ",
        "help": "Questions? Just reply to this email.{% if brand.support_url %} Our help center: $support{% endif %}",
        "help_html": 'Questions? Just reply to this email{% if brand.support_url %} or visit our '
                     '<a href="$support">help center</a>{% endif %}.',
        "reschedule_on_tracking": "Need a different delivery day? You can arrange it with $carrier on the tracking "
                                  "page.",
        "sign_off": ("Thanks,", "The $brand team"),
        "track": "Track your package",
        "tracking_number": "$carrier tracking number: $tracking_number",
        "reschedule": "Choose a new delivery date",
        "summary": "Order #$order",
        "columns": ("Item", "Qty", "Price"),
        "subtotal": "Subtotal",
        "total": "Total",
        "line": "{qty} × {name} – {price} each",
        "return_code": "Return code",
        "print_label": "Print your return label",
    },
    "es": {
        "greeting": '¡Hola, {{ customer.first_name|default:"qué tal" }}!',
        "colon": ": ",
        "help": "¿Tienes alguna duda? Responde a este correo.{% if brand.support_url %} Centro de ayuda: "
                "$support{% endif %}",
        "reschedule_on_tracking": "¿Necesitas otro día de entrega? Puedes cambiarlo con $carrier en la página de "
                                  "rastreo.",
        "help_html": '¿Tienes alguna duda? Responde a este correo{% if brand.support_url %} o visita nuestro '
                     '<a href="$support">centro de ayuda</a>{% endif %}.',
        "sign_off": ("Saludos,", "El equipo de $brand"),
        "track": "Rastrear mi paquete",
        "tracking_number": "Número de seguimiento de $carrier: $tracking_number",
        "reschedule": "Elegir otra fecha de entrega",
        "summary": "Pedido #$order",
        "columns": ("Artículo", "Cant.", "Precio"),
        "subtotal": "Subtotal",
        "total": "Total",
        "line": "{qty} × {name} – {price} c/u",
        "return_code": "Código de devolución",
        "print_label": "Imprimir mi etiqueta de devolución",
    },
    "fr": {
        "greeting": 'Bonjour {{ customer.first_name|default:"chère cliente, cher client" }},',
        "colon": " : ",
        "help": "Une question ? Répondez simplement à cet e-mail.{% if brand.support_url %} Notre centre "
                "d'aide : $support{% endif %}",
        "reschedule_on_tracking": "Ce jour ne vous convient pas ? Vous pouvez convenir d'une nouvelle date avec "
                                  "$carrier sur la page de suivi.",
        "help_html": "Une question ? Répondez simplement à cet e-mail{% if brand.support_url %} ou consultez "
                     'notre <a href="$support">centre d\'aide</a>{% endif %}.',
        "sign_off": ("Bien à vous,", "L'équipe $brand"),
        "track": "Suivre mon colis",
        "tracking_number": "Numéro de suivi $carrier : $tracking_number",
        "reschedule": "Choisir une autre date de livraison",
        "summary": "Commande n° $order",
        "columns": ("Article", "Qté", "Prix unitaire"),
        "subtotal": "Sous-total",
        "total": "Total",
        "line": "{qty} × {name} – {price} l'unité",
        "return_code": "Code de retour",
        "print_label": "Imprimer mon étiquette de retour",
    },
    "de": {
        "greeting": 'Hallo {{ customer.first_name|default:"liebe Kundin, lieber Kunde" }},',
        "colon": ": ",
        "help": "Fragen? Antworten Sie einfach auf diese E-Mail.{% if brand.support_url %} Unser Hilfe-Center: "
                "$support{% endif %}",
        "reschedule_on_tracking": "Sie brauchen einen anderen Liefertag? Auf der Seite zur Sendungsverfolgung "
                                  "können Sie ihn mit $carrier vereinbaren.",
        "help_html": "Fragen? Antworten Sie einfach auf diese E-Mail{% if brand.support_url %} oder besuchen "
                     'Sie unser <a href="$support">Hilfe-Center</a>{% endif %}.',
        "sign_off": ("Viele Grüße", "Ihr Team von $brand"),
        "track": "Sendung verfolgen",
        "tracking_number": "Sendungsnummer ($carrier): $tracking_number",
        "reschedule": "Neuen Liefertermin wählen",
        "summary": "Bestellung Nr. $order",
        "columns": ("Artikel", "Menge", "Einzelpreis"),
        "subtotal": "Zwischensumme",
        "total": "Gesamtsumme",
        "line": "{qty} × {name} – je {price}",
        "return_code": "Rücksendenummer",
        "print_label": "Rücksendeetikett drucken",
    },
}

# --- the copy, per notification type and language -----------------------------------------------
# email: subject, preheader, heading, body (paragraphs; a (condition, text) pair is shown only when
# the condition holds); sms; whatsapp (defaults to the SMS text); push: (title, body).

ETA = "{% if shipment.estimated_delivery %}"
TRACKED = "{% if shipment.tracking_url %}"
DELAYED = "{% if event == 'shipment.delayed' %}"
RESTOCK = "{% if product.restock_eta %}"
PRICED = "{% if product.price %}"
LABELLED = "{% if return.label_url %}"
ESTIMATED = "{% if return.refund_estimate %}"
REFUNDED = "{% if return.refund_amount %}"
REASONED = "{% if return.rejection_reason %}"
SUPPORTED = "{% if brand.support_url %}"
ACCEPTED = "{% if return.inspection_result == 'accepted' %}"
PARTIAL = "{% elif return.inspection_result == 'partial' %}"
REFUSED = "{% elif return.inspection_result == 'refused' %}"
ELSE, END = "{% else %}", "{% endif %}"

SHIPPING_BLOCKS = ("tracking", "summary")

COPY = {
    "order_confirmed": {
        "blocks": ("summary",), "push_link": SUPPORT_LINK,
        "en": {
            "subject": "Your order #$order is confirmed",
            "preheader": "Thanks for shopping with us. We'll let you know as soon as it ships.",
            "heading": "Thanks for your order!",
            "body": ["We've received your order #$order, placed on $placed, and we're getting it ready.",
                     "We'll let you know as soon as it ships."],
            "sms": "$brand: Thanks for your order #$order ($total)! We're getting it ready and will let you know "
                   "when it ships.",
            "whatsapp": "$brand: Thanks for your order *#$order*! We're getting it ready and will let you know as "
                        "soon as it ships.\nTotal: $total",
            "push": ("Order #$order confirmed",
                     "Thanks for your order! We're getting it ready and will let you know when it ships."),
        },
        "es": {
            "subject": "Confirmamos tu pedido #$order",
            "preheader": "Gracias por tu compra. Te avisaremos en cuanto lo enviemos.",
            "heading": "¡Gracias por tu pedido!",
            "body": ["Recibimos tu pedido #$order, realizado el $placed, y ya lo estamos preparando.",
                     "Te avisaremos en cuanto lo enviemos."],
            "sms": "$brand: ¡Gracias por tu pedido #$order ($total)! Ya lo estamos preparando y te avisaremos "
                   "cuando lo enviemos.",
            "whatsapp": "$brand: ¡Gracias por tu pedido *#$order*! Ya lo estamos preparando y te avisaremos en "
                        "cuanto lo enviemos.\nTotal: $total",
            "push": ("Pedido #$order confirmado",
                     "¡Gracias por tu compra! Ya estamos preparando tu pedido y te avisaremos cuando lo enviemos."),
        },
        "fr": {
            "subject": "Votre commande n° $order est confirmée",
            "preheader": "Merci pour votre achat. Nous vous préviendrons dès son expédition.",
            "heading": "Merci pour votre commande !",
            "body": ["Nous avons bien reçu votre commande n° $order, passée le $placed, et nous la préparons "
                     "dès maintenant.",
                     "Nous vous préviendrons dès qu'elle sera expédiée."],
            "sms": "$brand: Merci pour votre commande $order ($total) ! Nous la préparons et vous préviendrons "
                   "dès son expédition.",
            "whatsapp": "$brand: Merci pour votre commande *n° $order* ! Nous la préparons et vous préviendrons "
                        "dès qu'elle sera expédiée.\nTotal : $total",
            "push": ("Commande n° $order confirmée",
                     "Merci ! Nous préparons votre commande et vous préviendrons dès son expédition."),
        },
        "de": {
            "subject": "Ihre Bestellung Nr. $order ist bestätigt",
            "preheader": "Vielen Dank für Ihren Einkauf. Wir melden uns, sobald Ihre Bestellung versandt ist.",
            "heading": "Vielen Dank für Ihre Bestellung!",
            "body": ["Wir haben Ihre Bestellung Nr. $order vom $placed erhalten und bereiten sie gerade vor.",
                     "Sobald sie versandt ist, geben wir Ihnen Bescheid."],
            "sms": "$brand: Vielen Dank für Ihre Bestellung Nr. $order ($total)! Wir bereiten sie vor und melden "
                   "uns, sobald sie versandt ist.",
            "whatsapp": "$brand: Vielen Dank für Ihre Bestellung *Nr. $order*! Wir bereiten sie vor und melden "
                        "uns, sobald sie versandt ist.\nGesamtsumme: $total",
            "push": ("Bestellung Nr. $order bestätigt",
                     "Vielen Dank! Wir bereiten Ihre Bestellung vor und melden uns, sobald sie versandt ist."),
        },
    },
    "shipment_shipped": {
        "blocks": SHIPPING_BLOCKS, "push_link": TRACKING_LINK,
        "en": {
            "subject": "Your order #$order is on its way",
            "preheader": f"{ETA}Estimated delivery: $eta.{ELSE}Track your package with $carrier.{END}",
            "heading": "Your order is on its way!",
            "body": [f"Good news: your order #$order has shipped with $carrier{ETA} and should arrive on $eta{END}."],
            "sms": f"$brand: Your order #$order has shipped with $carrier.{TRACKED} Track it: $tracking{END}",
            "whatsapp": f"$brand: Your order *#$order* is on its way with $carrier!{ETA} Estimated delivery: "
                        f"$eta.{END}{TRACKED}\nTrack it here: $tracking{END}",
            "push": ("Your order is on its way",
                     f"Order #$order has shipped with $carrier.{ETA} Estimated delivery: $eta.{END}"),
        },
        "es": {
            "subject": "Tu pedido #$order ya va en camino",
            "preheader": f"{ETA}Entrega estimada: $eta.{ELSE}Rastréalo con $carrier.{END}",
            "heading": "¡Tu pedido va en camino!",
            "body": [f"¡Buenas noticias! Enviamos tu pedido #$order con $carrier{ETA} y debería llegar el $eta{END}."],
            "sms": f"$brand: Tu pedido #$order ya va en camino con $carrier.{TRACKED} Rastréalo: $tracking{END}",
            "whatsapp": f"$brand: ¡Tu pedido *#$order* ya va en camino con $carrier!{ETA} Entrega estimada: "
                        f"$eta.{END}{TRACKED}\nRastréalo aquí: $tracking{END}",
            "push": ("Tu pedido va en camino",
                     f"Enviamos tu pedido #$order con $carrier.{ETA} Entrega estimada: $eta.{END}"),
        },
        "fr": {
            "subject": "Votre commande n° $order est en route",
            "preheader": f"{ETA}Livraison prévue le $eta.{ELSE}Suivez votre colis avec $carrier.{END}",
            "heading": "Votre commande est en route !",
            "body": [f"Bonne nouvelle : votre commande n° $order a été expédiée avec $carrier{ETA} et devrait "
                     f"arriver le $eta{END}."],
            "sms": f"$brand: Votre commande $order a été expédiée avec $carrier.{TRACKED} Suivi : $tracking{END}",
            "whatsapp": f"$brand: Votre commande *n° $order* est en route avec $carrier !{ETA} Livraison prévue "
                        f"le $eta.{END}{TRACKED}\nSuivez votre colis ici : $tracking{END}",
            "push": ("Votre commande est en route",
                     f"Commande n° $order expédiée avec $carrier.{ETA} Livraison prévue le $eta.{END}"),
        },
        "de": {
            "subject": "Ihre Bestellung Nr. $order ist unterwegs",
            "preheader": f"{ETA}Voraussichtliche Zustellung: $eta.{ELSE}Verfolgen Sie Ihr Paket bei $carrier.{END}",
            "heading": "Ihre Bestellung ist unterwegs!",
            "body": [f"Gute Nachrichten: Ihre Bestellung Nr. $order wurde mit $carrier versandt{ETA} und kommt "
                     f"voraussichtlich am $eta bei Ihnen an{END}."],
            "sms": f"$brand: Ihre Bestellung Nr. $order wurde mit $carrier versandt.{TRACKED} Sendungsverfolgung: "
                   f"$tracking{END}",
            "whatsapp": f"$brand: Ihre Bestellung *Nr. $order* ist mit $carrier unterwegs!{ETA} Voraussichtliche "
                        f"Zustellung: $eta.{END}{TRACKED}\nHier können Sie Ihr Paket verfolgen: $tracking{END}",
            "push": ("Ihre Bestellung ist unterwegs",
                     f"Bestellung Nr. $order wurde mit $carrier versandt.{ETA} Voraussichtliche Zustellung: "
                     f"$eta.{END}"),
        },
    },
    "shipment_in_transit": {
        "blocks": SHIPPING_BLOCKS, "push_link": TRACKING_LINK,
        "en": {
            "subject": "Order #$order is in transit",
            "preheader": f"{ETA}Estimated delivery: $eta.{ELSE}It's making its way to you.{END}",
            "heading": "Your package is on the move",
            "body": [f"Your order #$order is in transit with $carrier{ETA} and is expected to arrive on $eta{END}.",
                     "We'll let you know when it's out for delivery."],
            "sms": f"$brand: Your order #$order is in transit with $carrier.{TRACKED} Track it: $tracking{END}",
            "whatsapp": f"$brand: Your order *#$order* is in transit with $carrier.{ETA} Expected delivery: "
                        f"$eta.{END}{TRACKED}\nTrack it here: $tracking{END}",
            "push": ("Your package is on the move",
                     f"Order #$order is in transit with $carrier.{ETA} Expected on $eta.{END}"),
        },
        "es": {
            "subject": "Tu pedido #$order está en tránsito",
            "preheader": f"{ETA}Entrega estimada: $eta.{ELSE}Ya va en camino hacia ti.{END}",
            "heading": "Tu paquete sigue su camino",
            "body": [f"Tu pedido #$order está en tránsito con $carrier{ETA} y debería llegar el $eta{END}.",
                     "Te avisaremos cuando esté en ruta de entrega."],
            "sms": f"$brand: Tu pedido #$order está en tránsito con $carrier.{TRACKED} Rastréalo: $tracking{END}",
            "whatsapp": f"$brand: Tu pedido *#$order* está en tránsito con $carrier.{ETA} Entrega estimada: "
                        f"$eta.{END}{TRACKED}\nRastréalo aquí: $tracking{END}",
            "push": ("Tu paquete sigue su camino",
                     f"Tu pedido #$order está en tránsito con $carrier.{ETA} Entrega estimada: $eta.{END}"),
        },
        "fr": {
            "subject": "Votre commande n° $order est en cours d'acheminement",
            "preheader": f"{ETA}Livraison prévue le $eta.{ELSE}Elle est en route vers chez vous.{END}",
            "heading": "Votre colis est en chemin",
            "body": [f"Votre commande n° $order est en cours d'acheminement par $carrier{ETA} et devrait arriver "
                     f"le $eta{END}.",
                     "Nous vous préviendrons dès qu'elle sera en cours de livraison."],
            "sms": f"$brand: Votre commande $order est en transit avec $carrier.{TRACKED} Suivi : $tracking{END}",
            "whatsapp": f"$brand: Votre commande *n° $order* est en transit avec $carrier.{ETA} Livraison prévue "
                        f"le $eta.{END}{TRACKED}\nSuivez votre colis ici : $tracking{END}",
            "push": ("Votre colis est en chemin",
                     f"Commande n° $order en transit avec $carrier.{ETA} Livraison prévue le $eta.{END}"),
        },
        "de": {
            "subject": "Bestellung Nr. $order: Ihr Paket ist auf dem Weg",
            "preheader": f"{ETA}Voraussichtliche Zustellung: $eta.{ELSE}Ihr Paket ist auf dem Weg zu Ihnen.{END}",
            "heading": "Ihr Paket ist auf dem Weg",
            "body": [f"Ihre Bestellung Nr. $order ist mit $carrier auf dem Weg zu Ihnen{ETA} und kommt "
                     f"voraussichtlich am $eta an{END}.",
                     "Wir melden uns, sobald sie in Zustellung ist."],
            "sms": f"$brand: Ihr Paket zu Bestellung Nr. $order ist mit $carrier auf dem Weg.{TRACKED} Verfolgen: "
                   f"$tracking{END}",
            "whatsapp": f"$brand: Ihr Paket zu Bestellung *Nr. $order* ist mit $carrier auf dem Weg.{ETA} "
                        f"Voraussichtliche Zustellung: $eta.{END}{TRACKED}\nHier verfolgen: $tracking{END}",
            "push": ("Ihr Paket ist auf dem Weg",
                     f"Bestellung Nr. $order ist mit $carrier unterwegs.{ETA} Voraussichtliche Zustellung: $eta.{END}"),
        },
    },
    "shipment_out_for_delivery": {
        "blocks": SHIPPING_BLOCKS, "push_link": TRACKING_LINK,
        "en": {
            "subject": "Your order #$order arrives today",
            "preheader": "It's out for delivery and should be with you today.",
            "heading": "Arriving today",
            "body": ["Your order #$order is out for delivery with $carrier and should arrive today."],
            "sms": f"$brand: Your order #$order is out for delivery with $carrier today.{TRACKED} Track it: "
                   f"$tracking{END}",
            "whatsapp": f"$brand: Your order *#$order* is out for delivery with $carrier and should arrive today!"
                        f"{TRACKED}\nFollow it here: $tracking{END}",
            "push": ("Arriving today", "Order #$order is out for delivery with $carrier and should arrive today."),
        },
        "es": {
            "subject": "Tu pedido #$order llega hoy",
            "preheader": "Ya está en ruta de entrega y debería llegar hoy.",
            "heading": "¡Llega hoy!",
            "body": ["Tu pedido #$order está en ruta de entrega con $carrier y debería llegar hoy."],
            "sms": f"$brand: Tu pedido #$order debería llegar hoy con $carrier.{TRACKED} Rastréalo: $tracking{END}",
            "whatsapp": f"$brand: ¡Tu pedido *#$order* está en ruta de entrega con $carrier y debería llegar hoy!"
                        f"{TRACKED}\nSíguelo aquí: $tracking{END}",
            "push": ("Tu pedido llega hoy",
                     "Tu pedido #$order está en ruta de entrega con $carrier y debería llegar hoy."),
        },
        "fr": {
            "subject": "Votre commande n° $order arrive aujourd'hui",
            "preheader": "Elle est en cours de livraison et devrait arriver aujourd'hui.",
            "heading": "Livraison aujourd'hui",
            "body": ["Votre commande n° $order est en cours de livraison par $carrier et devrait arriver "
                     "aujourd'hui."],
            "sms": f"$brand: Votre commande $order devrait être livrée aujourd'hui par $carrier.{TRACKED} Suivi : "
                   f"$tracking{END}",
            "whatsapp": f"$brand: Votre commande *n° $order* est en cours de livraison par $carrier et devrait "
                        f"arriver aujourd'hui !{TRACKED}\nSuivez-la ici : $tracking{END}",
            "push": ("Livraison aujourd'hui",
                     "Votre commande n° $order est en cours de livraison par $carrier et arrive aujourd'hui."),
        },
        "de": {
            "subject": "Ihre Bestellung Nr. $order kommt heute",
            "preheader": "Ihr Paket ist in Zustellung und kommt voraussichtlich heute an.",
            "heading": "Heute ist es so weit",
            "body": ["Ihre Bestellung Nr. $order ist bei $carrier in Zustellung und kommt voraussichtlich heute "
                     "bei Ihnen an."],
            "sms": f"$brand: Ihre Bestellung Nr. $order ist heute bei $carrier in Zustellung.{TRACKED} Verfolgen: "
                   f"$tracking{END}",
            "whatsapp": f"$brand: Ihre Bestellung *Nr. $order* ist bei $carrier in Zustellung und kommt "
                        f"voraussichtlich heute an!{TRACKED}\nHier verfolgen: $tracking{END}",
            "push": ("Ihre Bestellung kommt heute",
                     "Bestellung Nr. $order ist bei $carrier in Zustellung und kommt voraussichtlich heute an."),
        },
    },
    "shipment_delivered": {
        "blocks": SHIPPING_BLOCKS, "push_link": TRACKING_LINK,
        "en": {
            "subject": "Your order #$order has been delivered",
            "preheader": "We hope you love it.",
            "heading": "Delivered!",
            "body": ["Your order #$order has been delivered. We hope you love it!",
                     "If anything is missing or not quite right, let us know and we'll sort it out."],
            "sms": f"$brand: Your order #$order has been delivered. We hope you love it!{TRACKED} Details: "
                   f"$tracking{END}",
            "whatsapp": f"$brand: Your order *#$order* has been delivered. We hope you love it!{TRACKED}\n"
                        f"Delivery details: $tracking{END}",
            "push": ("Your order has arrived", "Order #$order has been delivered. We hope you love it!"),
        },
        "es": {
            "subject": "Tu pedido #$order fue entregado",
            "preheader": "Esperamos que lo disfrutes.",
            "heading": "¡Entregado!",
            "body": ["Tu pedido #$order fue entregado. ¡Esperamos que lo disfrutes!",
                     "Si falta algo o hay algún problema, avísanos y lo resolvemos."],
            "sms": f"$brand: Tu pedido #$order fue entregado. ¡Esperamos que lo disfrutes!{TRACKED} Detalles: "
                   f"$tracking{END}",
            "whatsapp": f"$brand: Tu pedido *#$order* fue entregado. ¡Esperamos que lo disfrutes!{TRACKED}\n"
                        f"Detalles de la entrega: $tracking{END}",
            "push": ("Tu pedido llegó", "Tu pedido #$order fue entregado. ¡Esperamos que lo disfrutes!"),
        },
        "fr": {
            "subject": "Votre commande n° $order a été livrée",
            "preheader": "Nous espérons qu'elle vous plaira.",
            "heading": "C'est livré !",
            "body": ["Votre commande n° $order a été livrée. Nous espérons qu'elle vous plaira !",
                     "S'il manque quelque chose ou si un article ne convient pas, dites-le-nous et nous "
                     "trouverons une solution."],
            "sms": f"$brand: Votre commande $order a été livrée, nous espérons qu'elle vous plaira !{TRACKED} "
                   f"Suivi : $tracking{END}",
            "whatsapp": f"$brand: Votre commande *n° $order* a été livrée. Nous espérons qu'elle vous plaira !"
                        f"{TRACKED}\nDétails de la livraison : $tracking{END}",
            "push": ("Votre commande est arrivée",
                     "Votre commande n° $order a été livrée. Nous espérons qu'elle vous plaira !"),
        },
        "de": {
            "subject": "Ihre Bestellung Nr. $order wurde zugestellt",
            "preheader": "Wir wünschen Ihnen viel Freude damit.",
            "heading": "Zugestellt!",
            "body": ["Ihre Bestellung Nr. $order wurde zugestellt. Wir wünschen Ihnen viel Freude damit!",
                     "Fehlt etwas oder stimmt etwas nicht? Geben Sie uns Bescheid, wir kümmern uns darum."],
            "sms": f"$brand: Ihre Bestellung Nr. $order wurde zugestellt. Viel Freude damit!{TRACKED} Details: "
                   f"$tracking{END}",
            "whatsapp": f"$brand: Ihre Bestellung *Nr. $order* wurde zugestellt. Viel Freude damit!{TRACKED}\n"
                        f"Details zur Zustellung: $tracking{END}",
            "push": ("Ihre Bestellung ist da",
                     "Bestellung Nr. $order wurde zugestellt. Wir wünschen Ihnen viel Freude damit!"),
        },
    },
    # One type for both events: a carrier exception and a plain delay.
    "shipment_exception": {
        "blocks": ("tracking", "reschedule", "summary"), "push_link": TRACKING_LINK,
        "en": {
            "subject": f"{DELAYED}Your order #$order is running late{ELSE}A delivery issue with your order "
                       f"#$order{END}",
            "preheader": "We're sorry for the inconvenience. Here are the details.",
            "heading": f"{DELAYED}Your delivery is delayed{ELSE}There's a problem with your delivery{END}",
            "body": [f"{DELAYED}Your order #$order is taking longer than expected to reach you with $carrier. "
                     f"We're sorry for the wait.{ELSE}$carrier ran into a problem delivering your order #$order. "
                     f"We're sorry for the inconvenience.{END}",
                     ("shipment.estimated_delivery", "The new estimated delivery date is $eta.")],
            "sms": f"$brand: {DELAYED}Your order #$order is delayed.{ELSE}There's a delivery issue with your order "
                   f"#$order.{END}{TRACKED} Details: $tracking{END}",
            "whatsapp": f"$brand: {DELAYED}Your order *#$order* is running late, sorry for the wait.{ELSE}$carrier "
                        f"ran into a problem delivering your order *#$order*. We're sorry!{END}{ETA} New estimated "
                        f"delivery: $eta.{END}{TRACKED}\nDetails and options: $tracking{END}",
            "push": (f"{DELAYED}Your order is delayed{ELSE}Delivery issue with your order{END}",
                     f"Order #$order {DELAYED}is running late{ELSE}couldn't be delivered as planned{END}. "
                     f"Tap for details."),
        },
        "es": {
            "subject": f"{DELAYED}Tu pedido #$order viene con retraso{ELSE}Hubo un problema con la entrega de tu "
                       f"pedido #$order{END}",
            "preheader": "Lamentamos las molestias. Aquí tienes los detalles.",
            "heading": f"{DELAYED}Tu entrega se retrasó{ELSE}Hubo un problema con tu entrega{END}",
            "body": [f"{DELAYED}Tu pedido #$order está tardando más de lo previsto en llegar con $carrier. "
                     f"Lamentamos la espera.{ELSE}$carrier tuvo un problema al entregar tu pedido #$order. "
                     f"Lamentamos las molestias.{END}",
                     ("shipment.estimated_delivery", "La nueva fecha estimada de entrega es el $eta.")],
            "sms": f"$brand: {DELAYED}Tu pedido #$order viene con retraso.{ELSE}Hubo un problema con la entrega de "
                   f"tu pedido #$order.{END}{TRACKED} Detalles: $tracking{END}",
            "whatsapp": f"$brand: {DELAYED}Tu pedido *#$order* viene con retraso, lamentamos la espera.{ELSE}"
                        f"$carrier tuvo un problema al entregar tu pedido *#$order*. ¡Lo sentimos!{END}{ETA} Nueva "
                        f"fecha estimada: $eta.{END}{TRACKED}\nDetalles y opciones: $tracking{END}",
            "push": (f"{DELAYED}Tu pedido viene con retraso{ELSE}Problema con la entrega de tu pedido{END}",
                     f"Tu pedido #$order {DELAYED}se retrasó{ELSE}no se pudo entregar como estaba previsto{END}. "
                     f"Toca para ver los detalles."),
        },
        "fr": {
            "subject": f"{DELAYED}Votre commande n° $order a du retard{ELSE}Un problème de livraison pour votre "
                       f"commande n° $order{END}",
            "preheader": "Veuillez nous excuser pour ce désagrément. Voici les détails.",
            "heading": f"{DELAYED}Votre livraison a du retard{ELSE}Un problème est survenu lors de la livraison{END}",
            "body": [f"{DELAYED}Votre commande n° $order, acheminée par $carrier, met plus de temps que prévu à "
                     f"arriver. Nous sommes désolés pour cette attente.{ELSE}$carrier a rencontré un problème lors "
                     f"de la livraison de votre commande n° $order. Veuillez nous excuser pour ce désagrément.{END}",
                     ("shipment.estimated_delivery", "La nouvelle date de livraison prévue est le $eta.")],
            "sms": f"$brand: {DELAYED}Votre commande $order a du retard.{ELSE}Votre commande $order n'a pas pu être "
                   f"livrée comme prévu.{END}{TRACKED} Détails : $tracking{END}",
            "whatsapp": f"$brand: {DELAYED}Votre commande *n° $order* a du retard, veuillez nous en excuser.{ELSE}"
                        f"$carrier a rencontré un problème lors de la livraison de votre commande *n° $order*. "
                        f"Nous en sommes désolés.{END}{ETA} Nouvelle date prévue : $eta.{END}{TRACKED}\n"
                        f"Détails et options : $tracking{END}",
            "push": (f"{DELAYED}Votre commande a du retard{ELSE}Problème de livraison{END}",
                     f"Votre commande n° $order {DELAYED}a du retard{ELSE}n'a pas pu être livrée comme prévu{END}. "
                     f"Touchez pour voir les détails."),
        },
        "de": {
            "subject": f"{DELAYED}Ihre Bestellung Nr. $order verzögert sich{ELSE}Problem bei der Zustellung Ihrer "
                       f"Bestellung Nr. $order{END}",
            "preheader": "Bitte entschuldigen Sie die Unannehmlichkeiten. Hier finden Sie alle Details.",
            "heading": f"{DELAYED}Ihre Lieferung verzögert sich{ELSE}Bei der Zustellung gab es ein Problem{END}",
            "body": [f"{DELAYED}Ihre Bestellung Nr. $order braucht mit $carrier leider länger als geplant. Bitte "
                     f"entschuldigen Sie die Wartezeit.{ELSE}Bei der Zustellung Ihrer Bestellung Nr. $order durch "
                     f"$carrier ist leider ein Problem aufgetreten. Bitte entschuldigen Sie die "
                     f"Unannehmlichkeiten.{END}",
                     ("shipment.estimated_delivery", "Neuer voraussichtlicher Liefertermin: $eta.")],
            "sms": f"$brand: {DELAYED}Ihre Bestellung Nr. $order verzögert sich leider.{ELSE}Bei der Zustellung "
                   f"Ihrer Bestellung Nr. $order gab es ein Problem.{END}{TRACKED} Details: $tracking{END}",
            "whatsapp": f"$brand: {DELAYED}Ihre Bestellung *Nr. $order* verzögert sich leider, bitte entschuldigen "
                        f"Sie.{ELSE}Bei der Zustellung Ihrer Bestellung *Nr. $order* durch $carrier gab es leider "
                        f"ein Problem.{END}{ETA} Neuer voraussichtlicher Termin: $eta.{END}{TRACKED}\n"
                        f"Details und Optionen: $tracking{END}",
            "push": (f"{DELAYED}Ihre Bestellung verzögert sich{ELSE}Problem bei der Zustellung{END}",
                     f"Bestellung Nr. $order {DELAYED}verzögert sich leider{ELSE}konnte nicht wie geplant "
                     f"zugestellt werden{END}. Tippen Sie für Details."),
        },
    },
    "order_backordered": {
        "blocks": ("backordered_line",), "push_link": SUPPORT_LINK,
        "en": {
            "subject": "An item in your order #$order is on backorder",
            "preheader": f"{RESTOCK}We expect it back by $restock.{ELSE}We'll ship it as soon as it's back in "
                         f"stock.{END}",
            "heading": "One item is on backorder",
            "body": ["We're sorry: $item from your order #$order is temporarily out of stock.",
                     f"{RESTOCK}We expect it back by $restock and will ship it as soon as it arrives.{ELSE}We'll "
                     f"ship it as soon as it's back in stock and let you know when it's on its way.{END}",
                     "You don't need to do anything. If you'd rather not wait, just let us know."],
            "sms": f"$brand: Sorry, $item from order #$order is on backorder.{RESTOCK} Expected back by $restock; "
                   f"we'll ship it then.{ELSE} We'll ship it as soon as it's back.{END}",
            "whatsapp": f"$brand: Sorry, *$item* from your order *#$order* is temporarily out of stock.{RESTOCK} "
                        f"We expect it back by $restock.{END} We'll ship it as soon as it arrives, no need to do "
                        f"anything.",
            "push": ("An item is on backorder",
                     f"$item from order #$order is on backorder.{RESTOCK} Expected back by $restock.{END}"),
        },
        "es": {
            "subject": "Un artículo de tu pedido #$order está agotado por el momento",
            "preheader": f"{RESTOCK}Esperamos tenerlo de vuelta para el $restock.{ELSE}Te lo enviaremos en cuanto "
                         f"vuelva a estar disponible.{END}",
            "heading": "Un artículo está agotado por el momento",
            "body": ["Lo sentimos: $item de tu pedido #$order está agotado por el momento.",
                     f"{RESTOCK}Esperamos tenerlo de vuelta para el $restock y te lo enviaremos en cuanto llegue."
                     f"{ELSE}Te lo enviaremos en cuanto vuelva a estar disponible y te avisaremos cuando vaya en "
                     f"camino.{END}",
                     "No necesitas hacer nada. Si prefieres no esperar, avísanos."],
            "sms": f"$brand: Lo sentimos, $item (pedido #$order) está agotado.{RESTOCK} Te lo enviaremos en cuanto "
                   f"llegue, hacia el $restock.{ELSE} Te lo enviaremos en cuanto vuelva.{END}",
            "whatsapp": f"$brand: Lo sentimos, *$item* de tu pedido *#$order* está agotado por el momento."
                        f"{RESTOCK} Esperamos tenerlo de vuelta para el $restock.{END} Te lo enviaremos en cuanto "
                        f"llegue, no necesitas hacer nada.",
            "push": ("Un artículo de tu pedido está agotado",
                     f"$item (pedido #$order) está agotado por el momento.{RESTOCK} Lo esperamos para el "
                     f"$restock.{END}"),
        },
        "fr": {
            "subject": "Un article de votre commande n° $order est en rupture de stock",
            "preheader": f"{RESTOCK}Retour en stock prévu le $restock.{ELSE}Nous l'expédierons dès son retour en "
                         f"stock.{END}",
            "heading": "Un article est momentanément indisponible",
            "body": ["Nous sommes désolés : l'article $item de votre commande n° $order est momentanément en "
                     "rupture de stock.",
                     f"{RESTOCK}Son retour en stock est prévu le $restock et nous vous l'expédierons dès sa "
                     f"réception.{ELSE}Nous vous l'expédierons dès son retour en stock et vous préviendrons de son "
                     f"envoi.{END}",
                     "Vous n'avez rien à faire. Si vous préférez ne pas attendre, il vous suffit de nous le dire."],
            "sms": f"$brand: Désolés, $item (commande $order) est en rupture de stock.{RESTOCK} Retour prévu le "
                   f"$restock, expédition dès réception.{ELSE} Nous l'expédierons dès son retour en stock.{END}",
            "whatsapp": f"$brand: Désolés, l'article *$item* de votre commande *n° $order* est momentanément en "
                        f"rupture de stock.{RESTOCK} Retour prévu le $restock.{END} Nous vous l'expédierons dès "
                        f"sa réception, vous n'avez rien à faire.",
            "push": ("Un article est en rupture de stock",
                     f"$item (commande n° $order) est momentanément indisponible.{RESTOCK} Retour prévu le "
                     f"$restock.{END}"),
        },
        "de": {
            "subject": "Ein Artikel aus Ihrer Bestellung Nr. $order ist derzeit nicht vorrätig",
            "preheader": f"{RESTOCK}Wir erwarten ihn bis zum $restock zurück.{ELSE}Wir versenden ihn, sobald er "
                         f"wieder verfügbar ist.{END}",
            "heading": "Ein Artikel ist derzeit nicht vorrätig",
            "body": ["Es tut uns leid: Der Artikel „$item“ aus Ihrer Bestellung Nr. $order ist vorübergehend "
                     "nicht vorrätig.",
                     f"{RESTOCK}Wir erwarten ihn bis zum $restock zurück und versenden ihn, sobald er eintrifft."
                     f"{ELSE}Wir versenden ihn, sobald er wieder verfügbar ist, und geben Ihnen Bescheid, wenn er "
                     f"unterwegs ist.{END}",
                     "Sie müssen nichts weiter tun. Wenn Sie nicht warten möchten, sagen Sie uns einfach Bescheid."],
            "sms": f"$brand: Leider ist $item (Bestellung Nr. $order) nicht vorrätig.{RESTOCK} Erwartet bis "
                   f"zum $restock, Versand direkt danach.{ELSE} Wir versenden, sobald der Artikel wieder da ist."
                   f"{END}",
            "whatsapp": f"$brand: Leider ist *$item* aus Ihrer Bestellung *Nr. $order* derzeit nicht vorrätig."
                        f"{RESTOCK} Wir erwarten den Artikel bis zum $restock zurück.{END} Wir versenden ihn, "
                        f"sobald er eintrifft. Sie müssen nichts weiter tun.",
            "push": ("Ein Artikel ist nicht vorrätig",
                     f"$item (Bestellung Nr. $order) ist derzeit nicht vorrätig.{RESTOCK} Erwartet bis zum "
                     f"$restock.{END}"),
        },
    },
    # Back-in-stock alerts go to subscribers, who may never have ordered: product only.
    "back_in_stock": {
        "blocks": ("product",), "push_link": SUPPORT_LINK,
        "en": {
            "subject": "$product is back in stock",
            "preheader": "The item you were waiting for is available again.",
            "heading": "It's back in stock!",
            "body": [f"Good news: $product is available again{PRICED} at $price{END}.",
                     "You asked us to let you know when it was back, and it's ready to order now."],
            "sms": f"$brand: Good news! $product is back in stock{PRICED} ($price){END} and ready to order.",
            "whatsapp": f"$brand: Good news! *$product* is back in stock{PRICED} at $price{END}. It's ready to "
                        f"order now.",
            "push": ("It's back in stock!", f"$product is available again{PRICED} at $price{END}."),
        },
        "es": {
            "subject": "$product ya está disponible de nuevo",
            "preheader": "El artículo que esperabas ya está disponible.",
            "heading": "¡Ya está de vuelta!",
            "body": [f"¡Buenas noticias! $product ya está disponible de nuevo{PRICED} por $price{END}.",
                     "Nos pediste que te avisáramos cuando volviera y ya puedes pedirlo."],
            "sms": f"$brand: ¡Buenas noticias! $product ya está disponible de nuevo{PRICED} ($price){END}. Ya "
                   f"puedes pedirlo.",
            "whatsapp": f"$brand: ¡Buenas noticias! *$product* ya está disponible de nuevo{PRICED} por $price{END}. "
                        f"Ya puedes pedirlo.",
            "push": ("¡Ya está de vuelta!", f"$product ya está disponible de nuevo{PRICED} por $price{END}."),
        },
        "fr": {
            "subject": "$product est de retour en stock",
            "preheader": "L'article que vous attendiez est de nouveau disponible.",
            "heading": "Il est de retour !",
            "body": [f"Bonne nouvelle : $product est de nouveau disponible{PRICED} au prix de $price{END}.",
                     "Vous nous aviez demandé de vous prévenir : vous pouvez le commander dès maintenant."],
            "sms": f"$brand: Bonne nouvelle ! $product est de nouveau disponible{PRICED} ($price){END}. Vous pouvez "
                   f"le commander dès maintenant.",
            "whatsapp": f"$brand: Bonne nouvelle ! *$product* est de nouveau disponible{PRICED} au prix de "
                        f"$price{END}. Vous pouvez le commander dès maintenant.",
            "push": ("De retour en stock !", f"$product est de nouveau disponible{PRICED} au prix de $price{END}."),
        },
        "de": {
            "subject": "$product ist wieder verfügbar",
            "preheader": "Der Artikel, auf den Sie gewartet haben, ist wieder da.",
            "heading": "Wieder auf Lager!",
            "body": [f"Gute Nachrichten: $product ist wieder verfügbar{PRICED} – für $price{END}.",
                     "Sie wollten benachrichtigt werden, sobald der Artikel wieder da ist. Ab sofort können Sie "
                     "ihn bestellen."],
            "sms": f"$brand: Gute Nachrichten! $product ist wieder verfügbar{PRICED} ($price){END} und kann ab "
                   f"sofort bestellt werden.",
            "whatsapp": f"$brand: Gute Nachrichten! *$product* ist wieder verfügbar{PRICED} – für $price{END}. Ab "
                        f"sofort können Sie den Artikel bestellen.",
            "push": ("Wieder auf Lager!", f"$product ist wieder verfügbar{PRICED} – für $price{END}."),
        },
    },
    "return_approved": {
        "blocks": ("label", "return_code"), "push_link": LABEL_LINK,
        "en": {
            "subject": "Your return for order #$order is approved",
            "preheader": f"{LABELLED}Your return label is ready.{ELSE}We'll send you a return label shortly.{END}",
            "heading": "Your return is approved",
            "body": ["Good news: we've approved your return for order #$order.",
                     f"{LABELLED}Print the return label, attach it to your package and drop it off with the "
                     f"carrier.{ELSE}We'll send you a return label shortly.{END}",
                     ("return.refund_estimate", "Estimated refund: $estimate, once we've received and checked "
                                                "your items.")],
            "sms": f"$brand: Your return $code for order #$order is approved.{LABELLED} Label: $label{END}",
            "whatsapp": f"$brand: Your return for order *#$order* is approved. Your return code is *$code*."
                        f"{LABELLED}\nPrint your label here: $label{END}",
            "push": ("Your return is approved",
                     f"Return $code for order #$order is approved.{LABELLED} Tap to get your return label.{END}"),
        },
        "es": {
            "subject": "Aprobamos tu devolución del pedido #$order",
            "preheader": f"{LABELLED}Tu etiqueta de devolución está lista.{ELSE}Pronto te enviaremos la etiqueta "
                         f"de devolución.{END}",
            "heading": "Tu devolución fue aprobada",
            "body": ["¡Buenas noticias! Aprobamos tu devolución del pedido #$order.",
                     f"{LABELLED}Imprime la etiqueta de devolución, pégala en el paquete y llévalo a la empresa de "
                     f"envíos.{ELSE}Pronto te enviaremos la etiqueta de devolución.{END}",
                     ("return.refund_estimate", "Reembolso estimado: $estimate, una vez que recibamos y revisemos "
                                                "los artículos.")],
            "sms": f"$brand: Aprobamos tu devolución $code del pedido #$order.{LABELLED} Etiqueta: $label{END}",
            "whatsapp": f"$brand: Aprobamos tu devolución del pedido *#$order*. Tu código de devolución es "
                        f"*$code*.{LABELLED}\nImprime tu etiqueta aquí: $label{END}",
            "push": ("Tu devolución fue aprobada",
                     f"Aprobamos la devolución $code del pedido #$order.{LABELLED} Toca para obtener tu "
                     f"etiqueta.{END}"),
        },
        "fr": {
            "subject": "Votre retour pour la commande n° $order est accepté",
            "preheader": f"{LABELLED}Votre étiquette de retour est prête.{ELSE}Nous vous enverrons très "
                         f"prochainement votre étiquette de retour.{END}",
            "heading": "Votre retour est accepté",
            "body": ["Bonne nouvelle : nous avons accepté votre demande de retour pour la commande n° $order.",
                     f"{LABELLED}Imprimez l'étiquette de retour, collez-la sur votre colis et déposez-le auprès du "
                     f"transporteur.{ELSE}Nous vous enverrons très prochainement votre étiquette de retour.{END}",
                     ("return.refund_estimate", "Remboursement estimé : $estimate, une fois vos articles reçus "
                                                "et vérifiés.")],
            "sms": f"$brand: Votre retour $code (commande $order) est accepté.{LABELLED} Étiquette : $label{END}",
            "whatsapp": f"$brand: Votre retour pour la commande *n° $order* est accepté. Votre code de retour est "
                        f"*$code*.{LABELLED}\nImprimez votre étiquette ici : $label{END}",
            "push": ("Votre retour est accepté",
                     f"Retour $code (commande n° $order) accepté.{LABELLED} Touchez pour obtenir votre "
                     f"étiquette.{END}"),
        },
        "de": {
            "subject": "Ihre Rücksendung zu Bestellung Nr. $order wurde genehmigt",
            "preheader": f"{LABELLED}Ihr Rücksendeetikett ist bereit.{ELSE}Ihr Rücksendeetikett erhalten Sie in "
                         f"Kürze.{END}",
            "heading": "Ihre Rücksendung wurde genehmigt",
            "body": ["Gute Nachrichten: Wir haben Ihre Rücksendung zu Bestellung Nr. $order genehmigt.",
                     f"{LABELLED}Drucken Sie das Rücksendeetikett aus, kleben Sie es auf Ihr Paket und geben Sie es "
                     f"beim Versanddienstleister ab.{ELSE}Ihr Rücksendeetikett erhalten Sie in Kürze.{END}",
                     ("return.refund_estimate", "Voraussichtliche Erstattung: $estimate, sobald die Artikel bei "
                                                "uns eingegangen und geprüft sind.")],
            "sms": f"$brand: Ihre Rücksendung $code zu Bestellung Nr. $order wurde genehmigt.{LABELLED} Etikett: "
                   f"$label{END}",
            "whatsapp": f"$brand: Ihre Rücksendung zu Bestellung *Nr. $order* wurde genehmigt. Ihre "
                        f"Rücksendenummer lautet *$code*.{LABELLED}\nHier Etikett drucken: $label{END}",
            "push": ("Ihre Rücksendung wurde genehmigt",
                     f"Rücksendung $code zu Bestellung Nr. $order genehmigt.{LABELLED} Tippen Sie für Ihr "
                     f"Etikett.{END}"),
        },
    },
    "return_rejected": {
        "blocks": ("return_code",), "push_link": SUPPORT_LINK,
        "en": {
            "subject": "About your return request for order #$order",
            "preheader": "Unfortunately, we couldn't approve it this time.",
            "heading": "We couldn't approve your return",
            "body": ["We're sorry, but we couldn't approve your return request for order #$order.",
                     ("return.rejection_reason", "Reason: $reason"),
                     "If you think this is a mistake or have any questions, get in touch and we'll take another "
                     "look."],
            "sms": f"$brand: Sorry, we couldn't approve your return request for order #$order.{REASONED} Reason: "
                   f"$reason{END}{SUPPORTED} Questions? $support{END}",
            "whatsapp": f"$brand: Sorry, we couldn't approve your return request for order *#$order*.{REASONED}\n"
                        f"Reason: $reason{END}{SUPPORTED}\nQuestions? We're happy to help: $support{END}",
            "push": ("Return request not approved",
                     "Sorry, we couldn't approve your return for order #$order. Tap for details."),
        },
        "es": {
            "subject": "Sobre tu solicitud de devolución del pedido #$order",
            "preheader": "Lamentablemente, esta vez no pudimos aprobarla.",
            "heading": "No pudimos aprobar tu devolución",
            "body": ["Lo sentimos, pero no pudimos aprobar tu solicitud de devolución del pedido #$order.",
                     ("return.rejection_reason", "Motivo: $reason"),
                     "Si crees que se trata de un error o tienes alguna pregunta, escríbenos y lo revisaremos "
                     "de nuevo."],
            "sms": f"$brand: Lo sentimos, no pudimos aprobar tu devolución del pedido #$order.{REASONED} Motivo: "
                   f"$reason{END}{SUPPORTED} ¿Dudas? $support{END}",
            "whatsapp": f"$brand: Lo sentimos, no pudimos aprobar tu solicitud de devolución del pedido "
                        f"*#$order*.{REASONED}\nMotivo: $reason{END}{SUPPORTED}\n¿Dudas? Con gusto te ayudamos: "
                        f"$support{END}",
            "push": ("Devolución no aprobada",
                     "Lo sentimos, no pudimos aprobar tu devolución del pedido #$order. Toca para ver los detalles."),
        },
        "fr": {
            "subject": "Votre demande de retour pour la commande n° $order",
            "preheader": "Malheureusement, nous n'avons pas pu l'accepter.",
            "heading": "Nous ne pouvons pas accepter votre retour",
            "body": ["Nous sommes désolés, mais nous ne pouvons pas accepter votre demande de retour pour la "
                     "commande n° $order.",
                     ("return.rejection_reason", "Motif : $reason"),
                     "Si vous pensez qu'il s'agit d'une erreur ou si vous avez des questions, contactez-nous et "
                     "nous réexaminerons votre demande."],
            "sms": f"$brand: Désolés, nous ne pouvons pas accepter votre retour pour la commande $order."
                   f"{REASONED} Motif : $reason{END}{SUPPORTED} Questions : $support{END}",
            "whatsapp": f"$brand: Désolés, nous ne pouvons pas accepter votre demande de retour pour la commande "
                        f"*n° $order*.{REASONED}\nMotif : $reason{END}{SUPPORTED}\nUne question ? Nous sommes là "
                        f"pour vous aider : $support{END}",
            "push": ("Retour non accepté",
                     "Désolés, nous ne pouvons pas accepter votre retour pour la commande n° $order. Touchez pour "
                     "en savoir plus."),
        },
        "de": {
            "subject": "Ihre Rücksendeanfrage zu Bestellung Nr. $order",
            "preheader": "Leider konnten wir sie nicht genehmigen.",
            "heading": "Wir konnten Ihre Rücksendung nicht genehmigen",
            "body": ["Es tut uns leid, aber wir konnten Ihre Rücksendeanfrage zu Bestellung Nr. $order nicht "
                     "genehmigen.",
                     ("return.rejection_reason", "Grund: $reason"),
                     "Wenn Sie glauben, dass es sich um einen Fehler handelt, oder Fragen haben, melden Sie sich "
                     "gern bei uns. Wir prüfen Ihre Anfrage dann noch einmal."],
            "sms": f"$brand: Leider konnten wir Ihre Rücksendung zu Bestellung Nr. $order nicht genehmigen."
                   f"{REASONED} Grund: $reason{END}{SUPPORTED} Fragen? $support{END}",
            "whatsapp": f"$brand: Leider konnten wir Ihre Rücksendeanfrage zu Bestellung *Nr. $order* nicht "
                        f"genehmigen.{REASONED}\nGrund: $reason{END}{SUPPORTED}\nFragen? Wir helfen Ihnen gern: "
                        f"$support{END}",
            "push": ("Rücksendung nicht genehmigt",
                     "Leider konnten wir Ihre Rücksendung zu Bestellung Nr. $order nicht genehmigen. Tippen Sie "
                     "für Details."),
        },
    },
    "return_label_issued": {
        "blocks": ("label", "return_code"), "push_link": LABEL_LINK,
        "en": {
            "subject": "Your return label for order #$order",
            "preheader": "Print it, attach it to your package and drop it off.",
            "heading": "Your return label is ready",
            "body": ["Your return label for order #$order is ready.",
                     ("return.label_url", "Print it, attach it to your package and drop it off with the carrier. "
                                          "Please include all the items listed below."),
                     ("return.return_tracking_number", "Return tracking number: $return_tracking")],
            "sms": f"$brand: Your return label for order #$order is ready.{LABELLED} Print it here: $label{END}",
            "whatsapp": f"$brand: Your return label for order *#$order* is ready. Return code: *$code*.{LABELLED}\n"
                        f"Print it here: $label{END}",
            "push": ("Your return label is ready",
                     "Print it, attach it to your package and drop it off to return items from order #$order."),
        },
        "es": {
            "subject": "Tu etiqueta de devolución del pedido #$order",
            "preheader": "Imprímela, pégala en el paquete y llévalo a la empresa de envíos.",
            "heading": "Tu etiqueta de devolución está lista",
            "body": ["Tu etiqueta de devolución del pedido #$order ya está lista.",
                     ("return.label_url", "Imprímela, pégala en el paquete y llévalo a la empresa de envíos. No "
                                          "olvides incluir todos los artículos que aparecen abajo."),
                     ("return.return_tracking_number", "Número de seguimiento de la devolución: $return_tracking")],
            "sms": f"$brand: Tu etiqueta de devolución del pedido #$order ya está lista.{LABELLED} Imprímela aquí: "
                   f"$label{END}",
            "whatsapp": f"$brand: Tu etiqueta de devolución del pedido *#$order* ya está lista. Código de "
                        f"devolución: *$code*.{LABELLED}\nImprímela aquí: $label{END}",
            "push": ("Tu etiqueta de devolución está lista",
                     "Imprímela, pégala en el paquete y entrégalo para devolver los artículos del pedido #$order."),
        },
        "fr": {
            "subject": "Votre étiquette de retour pour la commande n° $order",
            "preheader": "Imprimez-la, collez-la sur votre colis et déposez-le.",
            "heading": "Votre étiquette de retour est prête",
            "body": ["Votre étiquette de retour pour la commande n° $order est prête.",
                     ("return.label_url", "Imprimez-la, collez-la sur votre colis et déposez-le auprès du "
                                          "transporteur. Pensez à y joindre tous les articles listés ci-dessous."),
                     ("return.return_tracking_number", "Numéro de suivi du retour : $return_tracking")],
            "sms": f"$brand: Votre étiquette de retour pour la commande $order est prête.{LABELLED} Imprimez-la "
                   f"ici : $label{END}",
            "whatsapp": f"$brand: Votre étiquette de retour pour la commande *n° $order* est prête. Code de "
                        f"retour : *$code*.{LABELLED}\nImprimez-la ici : $label{END}",
            "push": ("Votre étiquette de retour est prête",
                     "Imprimez-la, collez-la sur votre colis et déposez-le pour retourner la commande n° $order."),
        },
        "de": {
            "subject": "Ihr Rücksendeetikett zu Bestellung Nr. $order",
            "preheader": "Ausdrucken, auf das Paket kleben und abgeben.",
            "heading": "Ihr Rücksendeetikett ist bereit",
            "body": ["Ihr Rücksendeetikett zu Bestellung Nr. $order ist bereit.",
                     ("return.label_url", "Drucken Sie es aus, kleben Sie es auf Ihr Paket und geben Sie es beim "
                                          "Versanddienstleister ab. Bitte legen Sie alle unten aufgeführten "
                                          "Artikel bei."),
                     ("return.return_tracking_number", "Sendungsnummer der Rücksendung: $return_tracking")],
            "sms": f"$brand: Ihr Rücksendeetikett zu Bestellung Nr. $order ist bereit.{LABELLED} Hier ausdrucken: "
                   f"$label{END}",
            "whatsapp": f"$brand: Ihr Rücksendeetikett zu Bestellung *Nr. $order* ist bereit. Rücksendenummer: "
                        f"*$code*.{LABELLED}\nHier ausdrucken: $label{END}",
            "push": ("Ihr Rücksendeetikett ist bereit",
                     "Ausdrucken, auf das Paket kleben und abgeben, um Bestellung Nr. $order zurückzusenden."),
        },
    },
    "return_received": {
        "blocks": ("return_code",), "push_link": SUPPORT_LINK,
        "en": {
            "subject": "We've received your return",
            "preheader": "We'll check your items and update you on your refund.",
            "heading": "We've received your return",
            "body": ["Thanks for sending your items back. Your return $code for order #$order has arrived at our "
                     "warehouse.",
                     f"We'll check the items and let you know about your refund{ESTIMATED} (estimated $estimate)"
                     f"{END}."],
            "sms": "$brand: We've received your return $code for order #$order. We'll check the items and update "
                   "you on your refund soon.",
            "push": ("We've received your return",
                     "Return $code has arrived. We'll check the items and update you on your refund soon."),
        },
        "es": {
            "subject": "Recibimos tu devolución",
            "preheader": "Revisaremos los artículos y te avisaremos sobre tu reembolso.",
            "heading": "Recibimos tu devolución",
            "body": ["Gracias por enviarnos los artículos. Tu devolución $code del pedido #$order ya llegó a "
                     "nuestro almacén.",
                     f"Revisaremos los artículos y te avisaremos sobre tu reembolso{ESTIMATED} (estimado: "
                     f"$estimate){END}."],
            "sms": "$brand: Recibimos tu devolución $code del pedido #$order. Revisaremos los artículos y pronto "
                   "te avisaremos sobre tu reembolso.",
            "push": ("Recibimos tu devolución",
                     "Tu devolución $code ya llegó. Revisaremos los artículos y pronto te avisaremos sobre tu "
                     "reembolso."),
        },
        "fr": {
            "subject": "Nous avons bien reçu votre retour",
            "preheader": "Nous allons vérifier vos articles et revenir vers vous au sujet du remboursement.",
            "heading": "Nous avons bien reçu votre retour",
            "body": ["Merci de nous avoir renvoyé vos articles. Votre retour $code pour la commande n° $order est "
                     "bien arrivé dans notre entrepôt.",
                     f"Nous allons les vérifier et reviendrons vers vous au sujet de votre remboursement"
                     f"{ESTIMATED} (estimé à $estimate){END}."],
            "sms": "$brand: Nous avons bien reçu votre retour $code (commande $order). Nous vérifions vos articles "
                   "et revenons vite vers vous.",
            "push": ("Votre retour est bien arrivé",
                     "Retour $code reçu. Nous vérifions vos articles et revenons vite vers vous pour le "
                     "remboursement."),
        },
        "de": {
            "subject": "Ihre Rücksendung ist bei uns eingegangen",
            "preheader": "Wir prüfen die Artikel und melden uns zu Ihrer Erstattung.",
            "heading": "Ihre Rücksendung ist angekommen",
            "body": ["Vielen Dank! Ihre Rücksendung $code zu Bestellung Nr. $order ist in unserem Lager "
                     "eingegangen.",
                     f"Wir prüfen jetzt die Artikel und melden uns dann zu Ihrer Erstattung{ESTIMATED} "
                     f"(voraussichtlich $estimate){END}."],
            "sms": "$brand: Ihre Rücksendung $code zu Bestellung Nr. $order ist eingegangen. Wir prüfen die "
                   "Artikel und melden uns zur Erstattung.",
            "push": ("Ihre Rücksendung ist angekommen",
                     "Rücksendung $code ist eingegangen. Wir prüfen die Artikel und melden uns bald zu Ihrer "
                     "Erstattung."),
        },
    },
    # The result decides the copy: accepted, partially accepted, refused (or not recorded).
    "return_inspected": {
        "blocks": ("return_code",), "push_link": SUPPORT_LINK,
        "en": {
            "subject": "We've checked your return $code",
            "preheader": "Here's the result and what happens next.",
            "heading": "We've checked your return",
            "body": [f"{ACCEPTED}Everything looks good: we've accepted all the items in your return $code for "
                     f"order #$order. We'll now process your refund{ESTIMATED} of $estimate{END}."
                     f"{PARTIAL}We've checked your return $code for order #$order and accepted some of the items. "
                     f"The others didn't meet our return conditions, so we can't refund them. We'll now process "
                     f"the refund for the accepted items{ESTIMATED} (estimated $estimate){END}."
                     f"{REFUSED}We've checked your return $code for order #$order. Unfortunately, the items didn't "
                     f"meet our return conditions, so we can't issue a refund."
                     f"{ELSE}We've checked the items in your return $code for order #$order and will be in touch "
                     f"about your refund shortly.{END}"],
            "sms": f"$brand: {ACCEPTED}Your return $code has been checked and accepted. We'll now process your "
                   f"refund.{PARTIAL}Your return $code has been checked: some items were accepted and will be "
                   f"refunded.{REFUSED}Your return $code has been checked but unfortunately couldn't be accepted."
                   f"{SUPPORTED} Questions? $support{END}{ELSE}Your return $code has been checked. We'll update you "
                   f"on your refund soon.{END}",
            "push": ("Your return has been checked",
                     f"{ACCEPTED}Return $code accepted. We'll now process your refund.{PARTIAL}Return $code: some "
                     f"items accepted and will be refunded.{REFUSED}Return $code couldn't be accepted. Tap for "
                     f"details.{ELSE}Return $code checked. We'll update you on your refund soon.{END}"),
        },
        "es": {
            "subject": "Revisamos tu devolución $code",
            "preheader": "Te contamos el resultado y los siguientes pasos.",
            "heading": "Revisamos tu devolución",
            "body": [f"{ACCEPTED}¡Todo en orden! Aceptamos todos los artículos de tu devolución $code del pedido "
                     f"#$order. Ahora procesaremos tu reembolso{ESTIMATED} de $estimate{END}."
                     f"{PARTIAL}Revisamos tu devolución $code del pedido #$order y aceptamos parte de los "
                     f"artículos. Los demás no cumplen con nuestras condiciones de devolución, así que no podemos "
                     f"reembolsarlos. Ahora procesaremos el reembolso de los artículos aceptados{ESTIMATED} "
                     f"(estimado: $estimate){END}."
                     f"{REFUSED}Revisamos tu devolución $code del pedido #$order. Lamentablemente, los artículos no "
                     f"cumplen con nuestras condiciones de devolución, así que no podemos hacer el reembolso."
                     f"{ELSE}Revisamos los artículos de tu devolución $code del pedido #$order. Pronto te "
                     f"avisaremos sobre tu reembolso.{END}"],
            "sms": f"$brand: {ACCEPTED}Revisamos tu devolución $code y la aceptamos. Ahora procesaremos tu "
                   f"reembolso.{PARTIAL}Revisamos tu devolución $code: aceptamos parte de los artículos y te los "
                   f"reembolsaremos.{REFUSED}Revisamos tu devolución $code y lamentablemente no pudimos aceptarla."
                   f"{SUPPORTED} ¿Dudas? $support{END}{ELSE}Revisamos tu devolución $code. Pronto te avisaremos "
                   f"sobre tu reembolso.{END}",
            "push": ("Revisamos tu devolución",
                     f"{ACCEPTED}Aceptamos tu devolución $code. Ahora procesaremos tu reembolso.{PARTIAL}Aceptamos "
                     f"parte de tu devolución $code y te reembolsaremos esos artículos.{REFUSED}No pudimos aceptar "
                     f"tu devolución $code. Toca para ver los detalles.{ELSE}Revisamos tu devolución $code. Pronto "
                     f"te avisaremos sobre tu reembolso.{END}"),
        },
        "fr": {
            "subject": "Votre retour $code a été vérifié",
            "preheader": "Voici le résultat et la suite.",
            "heading": "Nous avons vérifié votre retour",
            "body": [f"{ACCEPTED}Tout est en ordre : nous avons accepté l'ensemble des articles de votre retour "
                     f"$code (commande n° $order). Nous allons maintenant procéder à votre remboursement"
                     f"{ESTIMATED} de $estimate{END}."
                     f"{PARTIAL}Nous avons vérifié votre retour $code (commande n° $order) et accepté une partie "
                     f"des articles. Les autres ne remplissent pas nos conditions de retour et ne peuvent donc pas "
                     f"être remboursés. Nous allons rembourser les articles acceptés{ESTIMATED} (montant estimé : "
                     f"$estimate){END}."
                     f"{REFUSED}Nous avons vérifié votre retour $code (commande n° $order). Malheureusement, les "
                     f"articles ne remplissent pas nos conditions de retour : nous ne pouvons donc pas procéder au "
                     f"remboursement."
                     f"{ELSE}Nous avons vérifié les articles de votre retour $code (commande n° $order) et "
                     f"reviendrons très vite vers vous au sujet de votre remboursement.{END}"],
            "sms": f"$brand: {ACCEPTED}Votre retour $code a été vérifié et accepté. Nous procédons à votre "
                   f"remboursement.{PARTIAL}Votre retour $code a été vérifié : une partie des articles a été "
                   f"acceptée et sera remboursée.{REFUSED}Votre retour $code a été vérifié mais n'a "
                   f"malheureusement pas pu être accepté.{SUPPORTED} Questions : $support{END}{ELSE}Votre retour "
                   f"$code a été vérifié. Nous revenons vite vers vous pour le remboursement.{END}",
            "push": ("Votre retour a été vérifié",
                     f"{ACCEPTED}Retour $code accepté. Nous procédons à votre remboursement.{PARTIAL}Retour $code "
                     f"partiellement accepté : les articles acceptés seront remboursés.{REFUSED}Votre retour $code "
                     f"n'a pas pu être accepté. Touchez pour en savoir plus.{ELSE}Retour $code vérifié. Nous "
                     f"revenons vite vers vous pour le remboursement.{END}"),
        },
        "de": {
            "subject": "Ihre Rücksendung $code wurde geprüft",
            "preheader": "Hier finden Sie das Ergebnis und wie es weitergeht.",
            "heading": "Wir haben Ihre Rücksendung geprüft",
            "body": [f"{ACCEPTED}Alles in Ordnung: Wir haben alle Artikel Ihrer Rücksendung $code zu Bestellung "
                     f"Nr. $order angenommen. Ihre Erstattung{ESTIMATED} über $estimate{END} wird jetzt bearbeitet."
                     f"{PARTIAL}Wir haben Ihre Rücksendung $code zu Bestellung Nr. $order geprüft und einen Teil "
                     f"der Artikel angenommen. Die übrigen Artikel erfüllen unsere Rückgabebedingungen leider nicht "
                     f"und können nicht erstattet werden. Die Erstattung für die angenommenen Artikel{ESTIMATED} "
                     f"(voraussichtlich $estimate){END} wird jetzt bearbeitet."
                     f"{REFUSED}Wir haben Ihre Rücksendung $code zu Bestellung Nr. $order geprüft. Leider erfüllen "
                     f"die Artikel unsere Rückgabebedingungen nicht, daher können wir keine Erstattung vornehmen."
                     f"{ELSE}Wir haben die Artikel Ihrer Rücksendung $code zu Bestellung Nr. $order geprüft und "
                     f"melden uns in Kürze zu Ihrer Erstattung.{END}"],
            "sms": f"$brand: {ACCEPTED}Ihre Rücksendung $code wurde geprüft und angenommen. Ihre Erstattung wird "
                   f"jetzt bearbeitet.{PARTIAL}Ihre Rücksendung $code wurde geprüft: Ein Teil der Artikel wurde "
                   f"angenommen und wird erstattet.{REFUSED}Ihre Rücksendung $code wurde geprüft, konnte aber "
                   f"leider nicht angenommen werden.{SUPPORTED} Fragen? $support{END}{ELSE}Ihre Rücksendung $code "
                   f"wurde geprüft. Wir melden uns in Kürze zu Ihrer Erstattung.{END}",
            "push": ("Ihre Rücksendung wurde geprüft",
                     f"{ACCEPTED}Rücksendung $code angenommen. Ihre Erstattung wird jetzt bearbeitet.{PARTIAL}"
                     f"Rücksendung $code teilweise angenommen: Die angenommenen Artikel werden erstattet.{REFUSED}"
                     f"Rücksendung $code konnte nicht angenommen werden. Tippen Sie für Details.{ELSE}Rücksendung "
                     f"$code geprüft. Wir melden uns in Kürze zu Ihrer Erstattung.{END}"),
        },
    },
    "refund_processed": {
        "blocks": ("return_code",), "push_link": SUPPORT_LINK,
        "en": {
            "subject": "We've issued your refund for order #$order",
            "preheader": f"{REFUNDED}Your refund of $refund is on its way.{ELSE}Your refund is on its way.{END}",
            "heading": "Your refund is on its way",
            "body": [f"We've issued your refund{REFUNDED} of $refund{END} for return $code (order #$order).",
                     "Depending on your bank or payment provider, it may take a few business days to show up on "
                     "your statement."],
            "sms": f"$brand: We've issued your refund{REFUNDED} of $refund{END} for order #$order. It may take a "
                   f"few business days to show up on your statement.",
            "push": ("Your refund is on its way",
                     f"We've issued your refund{REFUNDED} of $refund{END} for order #$order. It may take a few "
                     f"business days to show up."),
        },
        "es": {
            "subject": "Emitimos el reembolso de tu pedido #$order",
            "preheader": f"{REFUNDED}Tu reembolso de $refund está en camino.{ELSE}Tu reembolso está en camino.{END}",
            "heading": "Tu reembolso está en camino",
            "body": [f"Emitimos tu reembolso{REFUNDED} de $refund{END} por la devolución $code (pedido #$order).",
                     "Según tu banco o medio de pago, puede tardar algunos días hábiles en reflejarse en tu "
                     "estado de cuenta."],
            "sms": f"$brand: Emitimos tu reembolso{REFUNDED} de $refund{END} del pedido #$order. Puede tardar "
                   f"algunos días hábiles en reflejarse.",
            "push": ("Tu reembolso está en camino",
                     f"Emitimos tu reembolso{REFUNDED} de $refund{END} del pedido #$order. Puede tardar algunos "
                     f"días hábiles en reflejarse."),
        },
        "fr": {
            "subject": "Votre remboursement pour la commande n° $order a été effectué",
            "preheader": f"{REFUNDED}Votre remboursement de $refund est en route.{ELSE}Votre remboursement est en "
                         f"route.{END}",
            "heading": "Votre remboursement est en route",
            "body": [f"Nous avons effectué votre remboursement{REFUNDED} de $refund{END} pour le retour $code "
                     f"(commande n° $order).",
                     "Selon votre banque ou votre moyen de paiement, il peut s'écouler quelques jours ouvrés avant "
                     "qu'il n'apparaisse sur votre relevé."],
            "sms": f"$brand: Votre remboursement{REFUNDED} de $refund{END} pour la commande $order a été effectué. "
                   f"Il apparaîtra sous quelques jours ouvrés.",
            "push": ("Votre remboursement est en route",
                     f"Remboursement{REFUNDED} de $refund{END} effectué pour la commande n° $order. Il apparaîtra "
                     f"sous quelques jours ouvrés."),
        },
        "de": {
            "subject": "Ihre Erstattung zu Bestellung Nr. $order ist veranlasst",
            "preheader": f"{REFUNDED}Ihre Erstattung über $refund ist unterwegs.{ELSE}Ihre Erstattung ist "
                         f"unterwegs.{END}",
            "heading": "Ihre Erstattung ist unterwegs",
            "body": [f"Wir haben Ihre Erstattung{REFUNDED} über $refund{END} für die Rücksendung $code (Bestellung "
                     f"Nr. $order) veranlasst.",
                     "Je nach Bank oder Zahlungsanbieter kann es einige Werktage dauern, bis der Betrag auf Ihrem "
                     "Konto erscheint."],
            "sms": f"$brand: Wir haben Ihre Erstattung{REFUNDED} über $refund{END} zu Bestellung Nr. $order "
                   f"veranlasst. Die Gutschrift kann einige Werktage dauern.",
            "push": ("Ihre Erstattung ist unterwegs",
                     f"Erstattung{REFUNDED} über $refund{END} zu Bestellung Nr. $order veranlasst. Die Gutschrift "
                     f"kann einige Werktage dauern."),
        },
    },
    "return_resolved": {
        "blocks": ("return_code",), "push_link": SUPPORT_LINK,
        "en": {
            "subject": "Your return $code is complete",
            "preheader": "Thanks for your patience.",
            "heading": "Your return is complete",
            "body": ["Your return $code for order #$order is now complete. Thanks for your patience!",
                     "If anything still isn't right, let us know and we'll help."],
            "sms": "$brand: Your return $code for order #$order is complete. Thanks for your patience!",
            "push": ("Your return is complete",
                     "Return $code for order #$order is complete. Thanks for your patience!"),
        },
        "es": {
            "subject": "Tu devolución $code está completa",
            "preheader": "Gracias por tu paciencia.",
            "heading": "Tu devolución está completa",
            "body": ["Tu devolución $code del pedido #$order ya está completa. ¡Gracias por tu paciencia!",
                     "Si algo todavía no está bien, avísanos y te ayudamos."],
            "sms": "$brand: Tu devolución $code del pedido #$order ya está completa. ¡Gracias por tu paciencia!",
            "push": ("Tu devolución está completa",
                     "Tu devolución $code del pedido #$order ya está completa. ¡Gracias por tu paciencia!"),
        },
        "fr": {
            "subject": "Votre retour $code est clôturé",
            "preheader": "Merci pour votre patience.",
            "heading": "Votre retour est clôturé",
            "body": ["Votre retour $code pour la commande n° $order est désormais clôturé. Merci pour votre "
                     "patience !",
                     "Si quelque chose ne va toujours pas, dites-le-nous et nous vous aiderons."],
            "sms": "$brand: Votre retour $code pour la commande $order est clôturé. Merci pour votre patience !",
            "push": ("Votre retour est clôturé",
                     "Votre retour $code (commande n° $order) est clôturé. Merci pour votre patience !"),
        },
        "de": {
            "subject": "Ihre Rücksendung $code ist abgeschlossen",
            "preheader": "Vielen Dank für Ihre Geduld.",
            "heading": "Ihre Rücksendung ist abgeschlossen",
            "body": ["Ihre Rücksendung $code zu Bestellung Nr. $order ist jetzt abgeschlossen. Vielen Dank für "
                     "Ihre Geduld!",
                     "Falls noch etwas nicht stimmt, geben Sie uns einfach Bescheid. Wir helfen Ihnen gern."],
            "sms": "$brand: Ihre Rücksendung $code zu Bestellung Nr. $order ist abgeschlossen. Vielen Dank für "
                   "Ihre Geduld!",
            "push": ("Ihre Rücksendung ist abgeschlossen",
                     "Rücksendung $code zu Bestellung Nr. $order ist abgeschlossen. Vielen Dank für Ihre Geduld!"),
        },
    },
}


# --- assembling the templates ---------------------------------------------------------------------

def _expand(text: str) -> str:
    """Replace the ``$name`` placeholders with template variables (a typo raises at import)."""
    return _Placeholders(text).substitute(VARS)


def _blocks(kind: str, p: dict) -> tuple[str, str]:
    """One shared email part as (plain text, HTML); each starts with its own separator."""
    c = p["colon"]
    if kind == "tracking":
        return (f"{TRACKED}\n\n{p['track']}{c}$tracking{END}"
                f"{{% if shipment.tracking_number %}}\n{p['tracking_number']}{END}",
                f'{TRACKED}\n<p><a href="$tracking" class="button">{p["track"]}</a></p>{END}'
                f'{{% if shipment.tracking_number %}}\n<p class="muted">{p["tracking_number"]}</p>{END}')
    if kind == "reschedule":
        # Carriers often reschedule on the tracking page itself: then one button is enough.
        own_page = "{% if links.reschedule and links.reschedule != shipment.tracking_url %}"
        on_tracking = "{% elif links.reschedule %}"
        return (f"{own_page}\n\n{p['reschedule']}{c}$reschedule{on_tracking}\n\n{p['reschedule_on_tracking']}{END}",
                f'{own_page}\n<p><a href="$reschedule" class="button secondary">{p["reschedule"]}</a></p>'
                f"{on_tracking}\n<p>{p['reschedule_on_tracking']}</p>{END}")
    if kind == "summary":
        line = p["line"].format(qty="{{ item.quantity }}", name="{{ item.name }}",
                                price="{{ item.unit_price_display }}")
        head = "".join(f"<th>{column}</th>" for column in p["columns"])
        return (f"\n\n{p['summary']}{{% for item in order.lines %}}\n- {line}{{% endfor %}}\n"
                f"{p['subtotal']}{c}{{{{ order.subtotal_display }}}}\n{p['total']}{c}$total",
                f'\n<h2>{p["summary"]}</h2>\n<table class="summary">\n<tr>{head}</tr>\n'
                "{% for item in order.lines %}<tr><td>{{ item.name }}</td><td>{{ item.quantity }}</td>"
                "<td>{{ item.unit_price_display }}</td></tr>\n{% endfor %}"
                f'<tr class="subtotal"><td colspan="2">{p["subtotal"]}</td><td>{{{{ order.subtotal_display }}}}'
                f'</td></tr>\n<tr class="total"><td colspan="2">{p["total"]}</td><td>$total</td></tr>\n</table>')
    if kind == "backordered_line":
        line = p["line"].format(qty="{{ line.quantity }}", name="$item", price="{{ line.unit_price_display }}")
        head = "".join(f"<th>{column}</th>" for column in p["columns"])
        return (f"\n\n- {line}",
                f'\n<table class="summary">\n<tr>{head}</tr>\n<tr><td>$item</td><td>{{{{ line.quantity }}}}</td>'
                "<td>{{ line.unit_price_display }}</td></tr>\n</table>")
    if kind == "product":
        return ("",
                '{% if product.image_url %}\n<p><img src="{{ product.image_url }}" alt="$product" width="240">'
                f"</p>{END}\n<p><strong>$product</strong>{PRICED}<br>$price{END}</p>")
    if kind == "return_code":
        return (f"\n\n{p['return_code']}{c}$code"
                "{% for item in return.lines %}\n- {{ item.quantity }} × {{ item.name }}{% endfor %}",
                f'\n<p class="code">{p["return_code"]}{c}<strong>$code</strong></p>\n'
                "{% if return.lines %}<ul>{% for item in return.lines %}<li>{{ item.quantity }} × {{ item.name }}"
                "</li>{% endfor %}</ul>{% endif %}")
    if kind == "label":
        return (f"{LABELLED}\n\n{p['print_label']}{c}$label{END}",
                f'{LABELLED}\n<p><a href="$label" class="button">{p["print_label"]}</a></p>{END}')
    raise ValueError(f"Unknown email block {kind!r}")


def _email(copy: dict, blocks: tuple, language: str) -> dict:
    p = EMAIL_PARTS[language]
    text, html = [p["greeting"]], [f"<h1>{copy['heading']}</h1>", f"\n<p>{p['greeting']}</p>"]
    for paragraph in copy["body"]:
        if isinstance(paragraph, tuple):
            condition, paragraph = paragraph
            text.append(f"{{% if {condition} %}}\n\n{paragraph}{END}")
            html.append(f"{{% if {condition} %}}\n<p>{paragraph}</p>{END}")
        else:
            text.append(f"\n\n{paragraph}")
            html.append(f"\n<p>{paragraph}</p>")
    for kind in blocks:
        block_text, block_html = _blocks(kind, p)
        text.append(block_text)
        html.append(block_html)
    first, second = p["sign_off"]
    text.append(f"\n\n{p['help']}\n\n{first}\n{second}")
    html.append(f'\n<p class="help">{p["help_html"]}</p>\n<p>{first}<br>{second}</p>')
    return {"subject": _expand(copy["subject"]), "preheader": _expand(copy["preheader"]),
            "body_text": _expand("".join(text)), "body_html": _expand("".join(html))}


def _build() -> dict:
    templates = {}
    for type_key, spec in COPY.items():
        channels = templates[type_key] = {"email": {}, "sms": {}, "whatsapp": {}, "push": {}}
        for language in LANGUAGES:
            copy = spec[language]
            title, body = copy["push"]
            channels["email"][language] = _email(copy, spec["blocks"], language)
            channels["sms"][language] = {"body_text": _expand(copy["sms"])}
            channels["whatsapp"][language] = {"body_text": _expand(copy.get("whatsapp", copy["sms"]))}
            channels["push"][language] = {"subject": _expand(title), "body_text": _expand(body),
                                          "link": spec["push_link"]}
    return templates


DEFAULT_TEMPLATES = _build()
