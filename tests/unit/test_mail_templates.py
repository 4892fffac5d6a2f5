"""The mail templates render exactly the bytes the mails have always carried (pure: no app)."""

from server.mail.compose import MailSettings, compose
from server.mail.templating import render

SETTINGS = MailSettings(
    mail_from="Fieldline <f@agency.test>",
    domain="agency.test",
    secret="s3cret",
    base_url="https://fieldline.test",
    replies_read=True,
)
PAYLOAD = {
    "to": "zoe@example.test",
    "to_name": "Zoë",
    "subject": "[T-000001] Leak",
    "body": 'A plumber comes "Tuesday".\nBring <keys> & coffee.\n\nThanks, O\'Neil',
    "ticket_id": 1,
    "ticket_ref": "T-000001",
    "user_id": 7,
}


def test_a_tenants_notification_has_exactly_these_text_and_html_parts():
    message = compose(PAYLOAD, "email:event:1:user:7", SETTINGS, unsubscribe=True)
    link = message["List-Unsubscribe"].strip("<>")

    text = message.get_body(("plain",)).get_content()
    markup = message.get_body(("html",)).get_content()

    assert text == (
        PAYLOAD["body"] + "\n\n-- \n"
        "Reply to this email to answer on T-000001; your reply is added to the ticket.\n"
        f"Stop emails about ticket updates: {link}\n"
    )
    assert markup == (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">\n'
        "<p>A plumber comes &quot;Tuesday&quot;.<br>\n"
        "Bring &lt;keys&gt; &amp; coffee.</p>\n"
        "<p>Thanks, O&#x27;Neil</p>\n"
        '<hr><p style="color:#666;font-size:small">\n'
        "Reply to this email to answer on T-000001; your reply is added to the ticket.<br>\n"
        f'<a href="{link}">Stop emails about ticket updates</a><br>\n'
        "</p>\n"
        "</body></html>\n"
    )


def test_a_mail_without_footer_or_body_is_just_the_frame():
    markup = render(
        "notification.html", paragraphs=[], footer=[], unsubscribe=None, unsubscribe_line=None
    )
    assert markup == (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">\n'
        "</body></html>"
    )
    assert render("notification.txt", body="Just this.", footer=[]) == "Just this."


def test_values_in_html_templates_are_escaped_and_text_templates_are_not():
    page = render("page.html", title="<b>T</b>", text="a & \"b\" 'c'")
    assert "<title>&lt;b&gt;T&lt;/b&gt;</title>" in page
    assert "<p>a &amp; &quot;b&quot; &#x27;c&#x27;</p>" in page
    body = render("password_link.txt", name="<Zoë>", email="z@x.test", hours=72)
    assert body.startswith("Hello <Zoë>,\n\nyour Fieldline login is z@x.test.")
    assert body.endswith("for 72 hours):\n\n{link}\n")
