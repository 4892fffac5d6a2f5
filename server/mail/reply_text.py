"""The new text of a reply: HTML turned into text, quoted history and signatures cut.

Pure functions (stdlib only), so the rules are tested without an app. What counts as
history: `>` lines (anywhere, so inline answers survive), an attribution line ("On …
wrote:", also wrapped over up to three lines and in a few languages), Outlook's
"-----Original Message-----" and "From: … Sent: …" header blocks (everything after
them is the forwarded original), and the signature after "-- ".
"""

import re
from html.parser import HTMLParser

ATTRIBUTION_START = re.compile(r"^(On|Am|Le|El|Op|Il|Em)\s", re.IGNORECASE)
ATTRIBUTION_VERB = re.compile(
    r"\b(wrote|schrieb|a écrit|escribió|schreef|ha scritto|escreveu)\b", re.IGNORECASE
)
ORIGINAL_MESSAGE = re.compile(
    r"^-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)",
    re.IGNORECASE,
)
HEADER_FROM = re.compile(r"^\*?(From|Von|De)\s*:\*?\s*\S", re.IGNORECASE)
HEADER_SENT = re.compile(r"^\*?(Sent|Date|Gesendet|Datum|Envoyé)\s*:", re.IGNORECASE)
UNDERSCORES = re.compile(r"^_{10,}\s*$")
SIGNATURE = re.compile(r"^--\s?$")
MOBILE_FOOTER = re.compile(
    r"^(Sent from my \w+.*|Sent from Mail for Windows.*|Get Outlook for \w+.*|"
    r"Von meinem \w+ gesendet.*)$",
    re.IGNORECASE,
)


def _is_attribution(lines: list[str], index: int) -> int:
    """How many lines the attribution starting at `index` spans (0: none)."""
    if not ATTRIBUTION_START.match(lines[index].strip()):
        return 0
    joined = ""
    for span in range(3):
        if index + span >= len(lines):
            return 0
        joined += " " + lines[index + span].strip()
        # "On … wrote:", "Am … schrieb Name:": the verb, and a colon at the end.
        if joined.endswith(":") and ATTRIBUTION_VERB.search(joined):
            return span + 1
    return 0


def _is_outlook_header(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if UNDERSCORES.match(line):
        following = [candidate.strip() for candidate in lines[index + 1 : index + 3]]
        return any(HEADER_FROM.match(candidate) for candidate in following)
    if not HEADER_FROM.match(line):
        return False
    return any(HEADER_SENT.match(candidate.strip()) for candidate in lines[index + 1 : index + 5])


def strip_reply(text: str) -> str:
    """The text the sender wrote, without what they quoted or signed with."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if SIGNATURE.match(line.rstrip("\n")) or ORIGINAL_MESSAGE.match(stripped):
            break
        if _is_outlook_header(lines, index):
            break
        span = _is_attribution(lines, index)
        if span:
            index += span
            continue
        if not stripped.startswith(">"):
            kept.append(line.rstrip())
        index += 1
    while kept and (not kept[-1].strip() or MOBILE_FOOTER.match(kept[-1].strip())):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
HIDDEN_TAGS = {"script", "style", "head", "title", "template", "noscript"}


class _TextExtractor(HTMLParser):
    """Visible text with line breaks at blocks; blockquotes become `> ` lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._hidden = 0
        self._quote = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._line).split())
        self._line = []
        if text:
            self.lines.append("> " * self._quote + text)
        elif self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_TAGS:
            self._hidden += 1
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag == "blockquote":
                self._quote += 1

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)

    def handle_data(self, data):
        if not self._hidden:
            self._line.append(data)

    def text(self) -> str:
        self._flush()
        return "\n".join(self.lines).strip()


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body; never raises on broken markup."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser is lenient, but a mail body must never crash us
        pass
    return parser.text()
