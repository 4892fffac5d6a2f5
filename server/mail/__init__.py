"""Mail, in and out, in one package.

Pure (no Flask, no SQLAlchemy; enforced by import-linter):
  compose      a notification email from an outbox payload (headers, text, HTML)
  tokens       signed reply addresses, unsubscribe and set-password tokens
  parse        a received RFC 822 message, defensively, into a `ParsedMail`
  reply_text   the new text of a reply: HTML to text, quoted history cut
  templating   the Jinja2 templates (autoescaped HTML, plain text) in templates/

With the app:
  transport    the `Mailer` protocol: SMTP, folder of .eml files, memory (tests)
  channel      the outbox's `email` channel: compose one row's message and send it
  imap         polling an IMAP mailbox (the `fieldline mail-in` command is in server.cli)

What a received mail does to tickets is a service: server.services.inbound_mail
(receiving) and server.services.mail_quarantine (staff review). The endpoints are
server.api.mail. This file imports nothing, so importing a pure module stays pure.
"""
